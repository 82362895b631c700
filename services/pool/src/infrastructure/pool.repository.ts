import type { Decision } from '@licensing/domain';
import type { CloudEvent } from '@licensing/events';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, OnceRecords, type AggregateDocument, type Outcome } from '@licensing/persistence';
import type { Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { outcomeOf, type AssignmentOutcome, type Pool, type PoolContext } from '../domain/pool.aggregate';
import { POOL_KEYS, poolKey } from './pool-keys';

export const POOLS = 'pools';

/** One pool document per partner; the sweep looks pools up by their reservations' deadlines and their lapses' months. */
export const poolSchema = aggregateSchema(POOLS, [[{ 'state.reservations.expiresAt': 1 }], [{ 'state.lapses.dueAt': 1 }]]);

/** The message (or request) a change answers: its events carry these ids. */
export interface Cause {
  correlationId: string;
  causationId?: string;
}

export const causeOf = (event: CloudEvent): Cause => ({ correlationId: event.correlationid, causationId: event.id });

/** An event handler's answer: what the decision said, or that the event was handled before. */
export const resultOf = <R>(outcome: Outcome<Pool, R>): R | 'duplicate' => (outcome.duplicate ? 'duplicate' : outcome.result);

type Decide<R> = (pool: Pool | null, ctx: PoolContext) => Decision<Pool, R>;
/** The outcome of a decision taken without a dedupe key: it always ran. */
type Decided<R> = Extract<Outcome<Pool, R>, { duplicate: false }>;

@Injectable()
export class PoolRepository extends AggregateRepository<Pool> {
  /** Every orderId, assignmentId and credit key a pool used, past the window its document keeps. */
  readonly keys: OnceRecords<AssignmentOutcome>;

  constructor(@InjectModel(POOLS) model: Model<AggregateDocument<Pool>>, relay: OutboxRelay) {
    super(model, relay);
    this.keys = new OnceRecords<AssignmentOutcome>(model.db, POOL_KEYS);
  }

  /**
   * Runs a domain decision on a partner's pool. 'Now' is read on each attempt, so a retry after
   * a version conflict decides anew; with a `dedupeKey` (an event id) a redelivery changes nothing.
   */
  decide<R>(partnerId: string, clock: Clock, cause: Cause, decide: Decide<R>): Promise<Decided<R>>;
  decide<R>(partnerId: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey: string): Promise<Outcome<Pool, R>>;
  decide<R>(partnerId: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey?: string): Promise<Outcome<Pool, R>> {
    return this.execute<R>(partnerId, (state, version) => decide(state, { now: clock(), version, ...cause }), dedupeKey);
  }

  /** Partners holding a reservation past its deadline (the sweep's work list). */
  partnersWithExpiredReservations(now: Date, limit = 500): Promise<string[]> {
    return this.ids({ 'state.reservations.expiresAt': { $lte: now.toISOString() } }, limit);
  }

  /** Partners holding a lapse whose month has begun (the sweep's work list, M4). */
  partnersWithDueLapses(now: Date, limit = 500): Promise<string[]> {
    return this.ids({ 'state.lapses.dueAt': { $lte: now.toISOString() } }, limit);
  }

  /** How assignments a write ended (released, lapsed, committed) came out, in the durable records of assignment ids. */
  async rememberEnded(partnerId: string, after: Pool | null, assignmentIds: readonly string[]): Promise<void> {
    for (const assignmentId of assignmentIds) {
      const outcome = outcomeOf(after, assignmentId);
      if (outcome) await this.keys.remember(poolKey.assignment(partnerId, assignmentId), null, outcome);
    }
  }
}
