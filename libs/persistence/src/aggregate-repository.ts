import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { assertValidEvent, createEvent, type CloudEvent, type EventDraft } from '@licensing/events';
import type { Model } from 'mongoose';
import type { AggregateDocument } from './aggregate.schema';
import { isDuplicateKey } from './duplicate-key';

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

export interface RepositoryOptions {
  handledLimit?: number;
  maxAttempts?: number;
}

/**
 * The one way an aggregate is written: load (lean), decide with pure domain code, save with one
 * version-checked `updateOne` that sets the state, appends the events to the outbox and records
 * the handled id. Retried from the load on a conflict. DESIGN.md §4.
 */
export class AggregateRepository<S> {
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
   */
  async execute<R>(
    id: string,
    decide: (state: S | null, version: number) => Decision<S, R> | Promise<Decision<S, R>>,
    dedupeKey?: string,
  ): Promise<Outcome<S, R>> {
    const maxAttempts = this.options.maxAttempts ?? 100;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.load(id);
      if (dedupeKey !== undefined && current?.handled.includes(dedupeKey)) {
        return { duplicate: true, state: current.state, version: current.version };
      }
      const decision = await decide(current?.state ?? null, current?.version ?? 0);
      if (decision.state === undefined) {
        return { duplicate: false, result: decision.result, state: current?.state ?? null, version: current?.version ?? 0, events: [] };
      }
      const events = (decision.events ?? []).map((draft) => {
        const event = createEvent(draft);
        assertValidEvent(event);
        return event;
      });
      const handled =
        dedupeKey === undefined ? (current?.handled ?? []) : [...(current?.handled ?? []), dedupeKey].slice(-(this.options.handledLimit ?? 1000));
      const saved = current ? await this.update(current, decision.state, events, handled) : await this.insert(id, decision.state, events, handled);
      if (saved) {
        if (events.length > 0) this.outbox?.trigger(this.model as unknown as Model<AggregateDocument<unknown>>, id);
        const version = (current?.version ?? 0) + 1;
        return { duplicate: false, result: decision.result, state: decision.state, version, events };
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 3)));
    }
    throw new ConcurrencyError(id, maxAttempts);
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

  private async insert(id: string, state: S, outbox: CloudEvent[], handled: string[]): Promise<boolean> {
    try {
      await this.model.collection.insertOne({ _id: id, version: 1, state, outbox, handled } as never);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  private async update(current: AggregateDocument<S>, state: S, events: CloudEvent[], handled: string[]): Promise<boolean> {
    const update: Record<string, unknown> = { $set: { version: current.version + 1, state, handled } };
    // $push, not $set: the relay removes published events concurrently and must not see them come back.
    if (events.length > 0) update.$push = { outbox: { $each: events } };
    const result = await this.model.collection.updateOne({ _id: current._id, version: current.version } as never, update as never);
    return result.matchedCount === 1;
  }
}
