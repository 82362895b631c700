import type { AssignmentRejectedV1, CloudEvent } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { release, type ReleaseResult } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

/** Contracts gave the assignment up: its open reservation goes back to available. */
@Injectable()
export class ReleaseReservationHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent<AssignmentRejectedV1>): Promise<ReleaseResult | 'duplicate'> {
    const { partnerId, assignmentId, code, reason } = event.data;
    const detail = `${code}: ${reason}`.slice(0, 1000);
    const outcome = await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => release(pool, assignmentId, detail, ctx), event.id);
    const result = resultOf(outcome);
    // Also for a duplicate: the first attempt may have saved and died before recording.
    if (result === 'duplicate' || result.outcome === 'released') await this.pools.rememberEnded(partnerId, outcome.state, [assignmentId]);
    return result;
  }
}
