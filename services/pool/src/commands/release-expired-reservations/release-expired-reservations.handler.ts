import { randomUUID } from 'node:crypto';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { releaseExpired } from '../../domain/pool.aggregate';
import { PoolRepository } from '../../infrastructure/pool.repository';

export interface Released {
  partnerId: string;
  assignmentIds: string[];
}

/** A reservation never stays open forever: past its deadline it is released (reason timeout). */
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
    return outcome.result.outcome === 'released' ? { partnerId, assignmentIds: outcome.result.assignmentIds } : undefined;
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
}
