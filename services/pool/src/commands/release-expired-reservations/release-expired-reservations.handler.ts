import { randomUUID } from 'node:crypto';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { expireDue, releaseExpired } from '../../domain/pool.aggregate';
import { PoolRepository } from '../../infrastructure/pool.repository';

export interface Released {
  partnerId: string;
  assignmentIds: string[];
}

export interface Lapsed {
  partnerId: string;
  months: string[];
  assignmentIds: string[];
}

/**
 * The pool's deadlines, found in the pool documents: a reservation never stays open forever
 * (past its deadline it is released, reason timeout), and a lapse received before its month
 * began is applied once that month has begun (M4).
 */
@Injectable()
export class ReleaseExpiredReservationsHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** Re-reads the partner's pool and releases only what is still open and past its deadline. */
  async forPartner(partnerId: string): Promise<Released | undefined> {
    // The released events carry each reservation's own saga correlation id; this one names the run.
    const outcome = await this.pools.decide(partnerId, this.clock, { correlationId: randomUUID() }, (pool, ctx) => releaseExpired(pool, ctx));
    if (outcome.result.outcome !== 'released') return undefined;
    await this.pools.rememberEnded(partnerId, outcome.state, outcome.result.assignmentIds);
    return { partnerId, assignmentIds: outcome.result.assignmentIds };
  }

  /** Applies the partner's lapses whose month has begun; their events carry each lapse's own ids. */
  async lapsesOf(partnerId: string): Promise<Lapsed | undefined> {
    const outcome = await this.pools.decide(partnerId, this.clock, { correlationId: randomUUID() }, (pool, ctx) => expireDue(pool, ctx));
    if (outcome.result.outcome !== 'expired') return undefined;
    await this.pools.rememberEnded(partnerId, outcome.state, outcome.result.released);
    return { partnerId, months: outcome.result.months, assignmentIds: outcome.result.released };
  }

  /** Every pool holding a reservation past its deadline. */
  async sweep(): Promise<Released[]> {
    const released: Released[] = [];
    for (const partnerId of await this.pools.partnersWithExpiredReservations(this.clock())) {
      const found = await this.forPartner(partnerId);
      if (found) released.push(found);
    }
    return released;
  }

  /** Every pool holding a lapse whose month has begun. */
  async sweepLapses(): Promise<Lapsed[]> {
    const lapsed: Lapsed[] = [];
    for (const partnerId of await this.pools.partnersWithDueLapses(this.clock())) {
      const found = await this.lapsesOf(partnerId);
      if (found) lapsed.push(found);
    }
    return lapsed;
  }
}
