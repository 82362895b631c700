import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { assertValidEvent, createEvent, type CloudEvent, type EventDraft } from '@licensing/events';
import type { Model } from 'mongoose';
import type { AggregateDocument } from './aggregate.schema';
import { isDuplicateKey } from './duplicate-key';
import { WriteBatch, type Queued } from './write-batch';

export type Outcome<S, R> =
  { duplicate: false; result: R; state: S | null; version: number; events: CloudEvent[] } | { duplicate: true; state: S | null; version: number };

/** A version conflict that outlasted its retries: a bad moment, not a bad message. */
export class ConcurrencyError extends Error {
  constructor(id: string, attempts: number) {
    super(`aggregate ${id} kept changing under ${attempts} attempts`);
    this.name = 'ConcurrencyError';
  }
}

/** Told after a save that added events, so they are published now rather than at the next sweep. */
export interface OutboxListener {
  watch(model: Model<AggregateDocument<unknown>>): void;
  trigger(model: Model<AggregateDocument<unknown>>, id: string): void;
}

/** One call of `execute`: its decision and the id it is handled once under. */
interface Call<S> {
  decide: (state: S | null, version: number) => Decision<S, unknown> | Promise<Decision<S, unknown>>;
  dedupeKey?: string;
}

export interface RepositoryOptions {
  handledLimit?: number;
  maxAttempts?: number;
  /** Documents this process last saved, kept to save again without reading first (0: none). */
  cacheSize?: number;
}

/** What a save left, kept so the next save of the document need not read it first. */
type Saved<S> = Pick<AggregateDocument<S>, '_id' | 'version' | 'state' | 'handled'>;

/**
 * The one way an aggregate is written: load (lean), decide with pure domain code, save with one
 * version-checked `updateOne` that sets the state, appends the events to the outbox and records
 * the handled id. Retried from the load on a conflict. DESIGN.md §4.
 */
export class AggregateRepository<S> {
  /**
   * The documents this process saved last, by id, least recently used first. A save starts from
   * the copy here instead of reading the document: if anything else wrote it since, the version
   * check refuses the save and it is decided again on the document as read (so every write of an
   * aggregate document must move its version: see docs/runbook.md).
   */
  private readonly saved = new Map<string, Saved<S>>();

  constructor(
    readonly model: Model<AggregateDocument<S>>,
    private readonly outbox?: OutboxListener,
    private readonly options: RepositoryOptions = {},
  ) {
    outbox?.watch(model as unknown as Model<AggregateDocument<unknown>>);
  }

  /**
   * The hot path (load and save) goes through the model's own driver collection: the state is
   * Mixed, so mongoose's casting adds nothing there, and its cloning of every update cost about
   * a tenth of the pool's CPU under load. Queries and indexes still come from the model.
   */
  async load(id: string): Promise<AggregateDocument<S> | null> {
    return (await this.model.collection.findOne({ _id: id } as never)) as AggregateDocument<S> | null;
  }

  /**
   * Load, decide, save with a version check; retried from the load on a conflict. With a
   * `dedupeKey` (an event id or an idempotency key) already recorded, nothing runs again.
   * `decide` may read what else it needs (other aggregates, read models) asynchronously: it runs
   * again on every attempt, so a retry after a conflict decides on facts read after the state.
   *
   * Inside a consumer's batch (WriteBatch), the calls on one aggregate wait for each other and
   * are decided one after another, in the messages' order, on one loaded state, then saved in
   * one version-checked write: each still sees the state the ones before it left, each gets its
   * own version (the document's version moves by one per change, as if saved one by one), its
   * own events and its own answer, and a duplicate id is still handled once.
   */
  execute<R>(
    id: string,
    decide: (state: S | null, version: number) => Decision<S, R> | Promise<Decision<S, R>>,
    dedupeKey?: string,
  ): Promise<Outcome<S, R>> {
    const call: Call<S> = { decide: decide as Call<S>['decide'], dedupeKey };
    const queued = WriteBatch.enqueue<Call<S>, Outcome<S, unknown>>(
      `aggregate:${this.model.collection.collectionName}/${id}`,
      call,
      (calls) => this.decideAll(id, calls),
      { ordered: true },
    );
    if (queued) return queued as Promise<Outcome<S, R>>;
    return new Promise<Outcome<S, R>>((resolve, reject) => {
      void this.decideAll(id, [{ item: call, seq: 0, resolve: resolve as (o: Outcome<S, unknown>) => void, reject }]);
    });
  }

  /**
   * Decides the calls one after another on the loaded state and saves once; on a conflict,
   * everything again from the load. A call whose decision throws is answered with its error
   * and changes nothing; the others go on.
   */
  private async decideAll(id: string, calls: Queued<Call<S>, Outcome<S, unknown>>[]): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 100;
    try {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const cached = attempt === 1 ? this.fromCache(id) : undefined;
        const current = cached ?? (await this.load(id));
        let state = current?.state ?? null;
        let version = current?.version ?? 0;
        const handled = [...(current?.handled ?? [])];
        const seen = new Set(handled);
        const outbox: CloudEvent[] = [];
        const answers: (() => void)[] = [];
        for (const { item, resolve, reject } of calls) {
          if (item.dedupeKey !== undefined && seen.has(item.dedupeKey)) {
            const answer: Outcome<S, unknown> = { duplicate: true, state, version };
            answers.push(() => resolve(answer));
            continue;
          }
          try {
            const decision = await item.decide(state, version);
            if (decision.state === undefined) {
              const answer: Outcome<S, unknown> = { duplicate: false, result: decision.result, state, version, events: [] };
              answers.push(() => resolve(answer));
              continue;
            }
            const events = (decision.events ?? []).map((draft) => {
              const event = createEvent(draft);
              assertValidEvent(event);
              return event;
            });
            state = decision.state;
            version += 1;
            outbox.push(...events);
            if (item.dedupeKey !== undefined) {
              handled.push(item.dedupeKey);
              seen.add(item.dedupeKey);
            }
            const answer: Outcome<S, unknown> = { duplicate: false, result: decision.result, state, version, events };
            answers.push(() => resolve(answer));
          } catch (error) {
            answers.push(() => reject(error));
          }
        }
        const changed = version !== (current?.version ?? 0);
        // An answer without a write must come from the document as read, not from a copy that may be behind.
        if (!changed && cached) continue;
        const kept = handled.slice(-(this.options.handledLimit ?? 1000));
        const saved =
          !changed ||
          (current
            ? await this.update(current, state as S, version, outbox, handled.slice(current.handled.length))
            : await this.insert(id, state as S, version, outbox, kept));
        if (saved) {
          if (changed) this.remember({ _id: id, version, state: state as S, handled: kept });
          if (outbox.length > 0) this.outbox?.trigger(this.model as unknown as Model<AggregateDocument<unknown>>, id);
          for (const answer of answers) answer();
          return;
        }
        this.saved.delete(id);
        // A copy that was out of date is no conflict with another writer: read and decide again at once.
        if (attempt > 1 || !cached) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 3)));
      }
      throw new ConcurrencyError(id, maxAttempts);
    } catch (error) {
      // The load or the save failed (a store away, a conflict that outlasted its retries): every call fails with it.
      for (const { reject } of calls) reject(error);
    }
  }

  /** A copy of what this process saved last (domain code may not change the kept one). */
  private fromCache(id: string): AggregateDocument<S> | undefined {
    const kept = this.saved.get(id);
    if (!kept) return undefined;
    this.saved.delete(id);
    this.saved.set(id, kept);
    return { ...structuredClone(kept), outbox: [] };
  }

  private remember(saved: Saved<S>): void {
    const size = this.options.cacheSize ?? 1000;
    if (size <= 0) return;
    this.saved.delete(saved._id);
    this.saved.set(saved._id, structuredClone(saved));
    if (this.saved.size > size) this.saved.delete(this.saved.keys().next().value as string);
  }

  /**
   * The common shape of a command: a domain function returns the next state or a refusal, and
   * the events follow from the next state and its version. A duplicate returns the state as is.
   * `apply` may be async (it reads facts beside the state): it runs again on every attempt.
   */
  async change(
    id: string,
    apply: (state: S | null) => S | Refusal | Promise<S | Refusal>,
    events: (next: S, version: number) => EventDraft[],
    dedupeKey?: string,
  ): Promise<{ state: S; version: number; duplicate: boolean } | Refusal> {
    const outcome = await this.execute<S | Refusal>(
      id,
      async (state, version) => {
        const next = await apply(state);
        if (isRefusal(next)) return { result: next };
        return { state: next, events: events(next, version + 1), result: next };
      },
      dedupeKey,
    );
    if (outcome.duplicate) return { state: outcome.state as S, version: outcome.version, duplicate: true };
    if (isRefusal(outcome.result)) return outcome.result;
    return { state: outcome.result, version: outcome.version, duplicate: false };
  }

  /** Whole documents matching a filter on the state, lean, in id order. */
  async find(filter: Record<string, unknown>, options: { limit?: number } = {}): Promise<AggregateDocument<S>[]> {
    const query = this.model
      .find(filter as never)
      .sort({ _id: 1 })
      .lean();
    if (options.limit !== undefined) query.limit(options.limit);
    return (await query.exec()) as AggregateDocument<S>[];
  }

  /** Ids of the documents matching a filter, in id order. */
  async ids(filter: Record<string, unknown>, limit?: number): Promise<string[]> {
    const query = this.model
      .find(filter as never)
      .select('_id')
      .sort({ _id: 1 })
      .lean();
    if (limit !== undefined) query.limit(limit);
    return ((await query.exec()) as { _id: string }[]).map((d) => d._id);
  }

  private async insert(id: string, state: S, version: number, outbox: CloudEvent[], handled: string[]): Promise<boolean> {
    try {
      await this.model.collection.insertOne({ _id: id, version, state, outbox, handled } as never);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Sets the state; appends the new events to the outbox and the new ids to the handled window (bounded), sending only what is new. */
  private async update(current: AggregateDocument<S>, state: S, version: number, events: CloudEvent[], added: string[]): Promise<boolean> {
    const push: Record<string, unknown> = {};
    // $push, not $set: the relay removes published events concurrently and must not see them come back.
    if (events.length > 0) push.outbox = { $each: events };
    if (added.length > 0) push.handled = { $each: added, $slice: -(this.options.handledLimit ?? 1000) };
    const update: Record<string, unknown> = { $set: { version, state } };
    if (Object.keys(push).length > 0) update.$push = push;
    const result = await this.model.collection.updateOne({ _id: current._id, version: current.version } as never, update as never);
    return result.matchedCount === 1;
  }
}
