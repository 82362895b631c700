import type { CloudEvent } from '@licensing/events';
import type { AggregateDocument, OutboxListener } from '@licensing/persistence';
import type { Logger, Metrics } from '@licensing/platform';
import type { Model } from 'mongoose';
import type { EventPublisher } from './publisher';

type OutboxDocument = Pick<AggregateDocument<unknown>, '_id' | 'outbox'>;
type AggregateModel = Model<AggregateDocument<unknown>>;

/** Documents read per round, and the most event bytes one publish carries (the broker takes about 1 MB a request). */
const DOCUMENTS_PER_ROUND = 500;
const BYTES_PER_PUBLISH = 512 * 1024;

/**
 * Publishes the events saved in aggregate documents' `outbox` arrays, then removes exactly
 * those events ($pullAll of the published documents; events appended meanwhile stay). Runs
 * right after a save (trigger) and on an interval (sweep) for anything a crash left behind.
 * Delivery is at least once; consumers are idempotent by event id.
 *
 * In batches (issue 10): the documents triggered while a round runs wait for the next one, and a
 * round reads every waiting document of a collection in one query, publishes all their events in
 * one producer request (each document's in order, keyed by partner, so each partner's order
 * holds) and removes them in one bulk write. One round at a time in this process, so a trigger
 * and the sweep never publish the same events twice.
 */
export class OutboxRelay implements OutboxListener {
  /** Documents waiting for the next round, by collection. */
  private readonly waiting = new Map<AggregateModel, Set<string>>();
  private round?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  // Triggers work from construction (the api role publishes right after its saves); only the
  // worker role also sweeps, after start().
  private stopped = false;

  private readonly models: AggregateModel[] = [];

  constructor(
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: { sweepMs: number; metrics?: Metrics },
  ) {}

  /** Adds a collection of aggregates to sweep (each repository adds its own). */
  watch(model: AggregateModel): void {
    if (!this.models.includes(model)) this.models.push(model);
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.sweepMs);
    void this.sweep();
  }

  /** Publish one aggregate's pending events now (in the next round). */
  trigger(model: AggregateModel, id: string): void {
    if (!this.stopped) void this.enqueue(model, [id]);
  }

  /** Adds documents to the next round and answers when a round has looked at them. */
  private enqueue(model: AggregateModel, ids: string[]): Promise<void> {
    const set = this.waiting.get(model) ?? new Set<string>();
    for (const id of ids) set.add(id);
    this.waiting.set(model, set);
    return this.kick();
  }

  private kick(): Promise<void> {
    this.round ??= this.rounds().finally(() => {
      this.round = undefined;
      // Triggered after the last round looked and before it ended: one more.
      if (this.waiting.size > 0 && !this.stopped) void this.kick();
    });
    return this.round;
  }

  /** Rounds until nothing waits; the triggers of a round in flight wait for the next. */
  private async rounds(): Promise<void> {
    // Lets the saves of this tick trigger before the first round reads.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.size > 0 && !this.stopped) {
      for (const [model, set] of [...this.waiting]) {
        const ids = [...set].slice(0, DOCUMENTS_PER_ROUND);
        for (const id of ids) set.delete(id);
        if (set.size === 0) this.waiting.delete(model);
        await this.flush(model, ids).catch((error: unknown) =>
          this.logger.warn({ err: error, documents: ids.length }, 'outbox flush failed; the sweep will retry'),
        );
      }
    }
  }

  /** Publishes everything pending in every collection. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        for (const model of this.models) {
          const pending = (await model
            .find({ 'outbox.0': { $exists: true } }, { _id: 1, outbox: 1 })
            .limit(1000)
            .lean()
            .exec()) as OutboxDocument[];
          this.options.metrics?.outboxBacklog.set(
            { collection: model.collection.collectionName },
            pending.reduce((n, d) => n + d.outbox.length, 0),
          );
          if (this.stopped) return;
          if (pending.length > 0)
            await this.enqueue(
              model,
              pending.map((d) => d._id),
            );
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox sweep failed; retrying on the next interval');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  /** One collection's documents: read at once, published in requests of at most BYTES_PER_PUBLISH, removed at once. */
  private async flush(model: AggregateModel, ids: string[]): Promise<void> {
    // By _id alone, so the local Mongo-compatible server reads them through its index (it scans
    // the collection for a query on any other fields); the empty outboxes are skipped here.
    const docs = (
      (await model.collection.find({ _id: { $in: ids } } as never, { projection: { outbox: 1 } }).toArray()) as unknown as OutboxDocument[]
    ).filter((doc) => (doc.outbox?.length ?? 0) > 0);
    let chunk: OutboxDocument[] = [];
    let bytes = 0;
    const publish = async (): Promise<void> => {
      if (chunk.length === 0) return;
      await this.publisher.publish(chunk.flatMap((doc) => doc.outbox));
      await model.collection.bulkWrite(
        chunk.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $pullAll: { outbox: doc.outbox } } } })) as never,
        { ordered: false },
      );
      chunk = [];
      bytes = 0;
    };
    for (const doc of docs) {
      const size = doc.outbox.reduce((n: number, event: CloudEvent) => n + JSON.stringify(event).length, 0);
      if (bytes > 0 && bytes + size > BYTES_PER_PUBLISH) await publish();
      chunk.push(doc);
      bytes += size;
    }
    await publish();
  }

  /** Stops triggering and sweeping and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([this.round, this.sweeping]);
  }
}
