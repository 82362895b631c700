import type { AggregateDocument, OutboxListener } from '@licensing/persistence';
import type { Logger, Metrics } from '@licensing/platform';
import type { Model } from 'mongoose';
import type { EventPublisher } from './publisher';

type OutboxDocument = Pick<AggregateDocument<unknown>, '_id' | 'outbox'>;
type AggregateModel = Model<AggregateDocument<unknown>>;

/**
 * Publishes the events saved in aggregate documents' `outbox` arrays, then removes exactly
 * those events ($pullAll of the published documents; events appended meanwhile stay). Runs
 * right after a save (trigger) and on an interval (sweep) for anything a crash left behind.
 * Delivery is at least once; consumers are idempotent by event id.
 */
export class OutboxRelay implements OutboxListener {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
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

  /** Publish one aggregate's pending events now. */
  trigger(model: AggregateModel, id: string): void {
    if (!this.stopped) void this.flushSerially(model, id);
  }

  /**
   * One flush at a time per aggregate in this process (a request arriving meanwhile runs once
   * more after it), so a trigger and the sweep never publish the same events twice.
   */
  private flushSerially(model: AggregateModel, id: string): Promise<void> {
    const key = `${model.collection.collectionName}/${id}`;
    const inFlight = this.running.get(key);
    if (inFlight) {
      this.again.add(key);
      return inFlight;
    }
    const run = (async () => {
      do {
        this.again.delete(key);
        await this.flush(model, id).catch((error: unknown) => this.logger.warn({ err: error, id }, 'outbox flush failed; the sweep will retry'));
      } while (this.again.has(key) && !this.stopped);
    })().finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
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
          for (const doc of pending) {
            if (this.stopped) return;
            await this.flushSerially(model, doc._id);
          }
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox sweep failed; retrying on the next interval');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  private async flush(model: AggregateModel, id: string): Promise<void> {
    const doc = (await model.collection.findOne({ _id: id } as never, { projection: { outbox: 1 } })) as OutboxDocument | null;
    const events = doc?.outbox ?? [];
    if (events.length === 0) return;
    await this.publisher.publish(events);
    await model.collection.updateOne({ _id: id } as never, { $pullAll: { outbox: events } } as never);
  }

  /** Stops triggering and sweeping and waits for flushes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values(), this.sweeping]);
  }
}
