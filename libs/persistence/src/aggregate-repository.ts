import { assertValidEvent, createEvent, type CloudEvent, type EventDraft } from '@licensing/events';
import { isRefusal, type Refusal } from '@licensing/platform';
import { MongoServerError, type Collection, type Db } from 'mongodb';

/**
 * One aggregate per document. A command changes exactly one document, atomically: the new
 * state, the events it causes (the outbox) and the id of the message it handled are written by
 * one update, guarded by the version read. DESIGN.md §4.
 */
export interface AggregateDocument<S> {
  _id: string;
  version: number;
  state: S;
  outbox: CloudEvent[];
  /** Ids of handled events and idempotency keys, newest last, bounded. */
  handled: string[];
}

/** What a command decides. Without `state` nothing is written (a refusal or a no-op). */
export interface Decision<S, R> {
  state?: S;
  events?: EventDraft[];
  result: R;
}

export type Outcome<S, R> =
  { duplicate: false; result: R; state: S | null; version: number; events: CloudEvent[] } | { duplicate: true; state: S | null; version: number };

export class ConcurrencyError extends Error {
  constructor(id: string, attempts: number) {
    super(`aggregate ${id} kept changing under ${attempts} attempts`);
    this.name = 'ConcurrencyError';
  }
}

export interface RepositoryOptions {
  /** Called after a save that added events, so the relay publishes them now. */
  onEventsSaved?: (id: string) => void;
  handledLimit?: number;
  maxAttempts?: number;
}

const DUPLICATE_KEY = 11000;

export class AggregateRepository<S> {
  readonly collection: Collection<AggregateDocument<S>>;

  constructor(
    db: Db,
    readonly collectionName: string,
    private readonly options: RepositoryOptions = {},
  ) {
    this.collection = db.collection<AggregateDocument<S>>(collectionName);
  }

  set onEventsSaved(listener: ((id: string) => void) | undefined) {
    this.options.onEventsSaved = listener;
  }

  async load(id: string): Promise<AggregateDocument<S> | null> {
    return this.collection.findOne({ _id: id } as never) as Promise<AggregateDocument<S> | null>;
  }

  /**
   * Load, decide, save with a version check; retried from the load on a conflict. With a
   * `dedupeKey` (an event id or an idempotency key) already recorded, nothing runs again.
   */
  async execute<R>(id: string, decide: (state: S | null, version: number) => Decision<S, R>, dedupeKey?: string): Promise<Outcome<S, R>> {
    const maxAttempts = this.options.maxAttempts ?? 100;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await this.load(id);
      if (dedupeKey !== undefined && current?.handled.includes(dedupeKey)) {
        return { duplicate: true, state: current.state, version: current.version };
      }
      const decision = decide(current?.state ?? null, current?.version ?? 0);
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
        if (events.length > 0) this.options.onEventsSaved?.(id);
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
   */
  async change(
    id: string,
    apply: (state: S | null) => S | Refusal,
    events: (next: S, version: number) => EventDraft[],
    dedupeKey?: string,
  ): Promise<{ state: S; version: number; duplicate: boolean } | Refusal> {
    const outcome = await this.execute<S | Refusal>(
      id,
      (state, version) => {
        const next = apply(state);
        if (isRefusal(next)) return { result: next };
        return { state: next, events: events(next, version + 1), result: next };
      },
      dedupeKey,
    );
    if (outcome.duplicate) return { state: outcome.state as S, version: outcome.version, duplicate: true };
    if (isRefusal(outcome.result)) return outcome.result;
    return { state: outcome.result, version: outcome.version, duplicate: false };
  }

  private async insert(id: string, state: S, outbox: CloudEvent[], handled: string[]): Promise<boolean> {
    try {
      await this.collection.insertOne({ _id: id, version: 1, state, outbox, handled } as never);
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  private async update(current: AggregateDocument<S>, state: S, events: CloudEvent[], handled: string[]): Promise<boolean> {
    const update: Record<string, unknown> = { $set: { version: current.version + 1, state, handled } };
    // $push, not $set: the relay removes published events concurrently and must not see them come back.
    if (events.length > 0) update.$push = { outbox: { $each: events } };
    const result = await this.collection.updateOne({ _id: current._id, version: current.version } as never, update as never);
    return result.matchedCount === 1;
  }
}
