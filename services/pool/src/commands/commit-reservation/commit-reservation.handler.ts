import type { CloudEvent, ContractActivatedV1 } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { commit, type CommitResult } from '../../domain/pool.aggregate';
import { poolKey } from '../../infrastructure/pool-keys';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

/** Contracts were activated: the reserved licenses become assigned (or are taken again after a timeout). */
@Injectable()
export class CommitReservationHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** An assignment the pool document has forgotten is answered from its durable record (committed once, ever). */
  async execute(event: CloudEvent<ContractActivatedV1>): Promise<CommitResult | 'duplicate'> {
    const { partnerId, assignmentId, contracts } = event.data;
    const key = poolKey.assignment(partnerId, assignmentId);
    const record = await this.pools.keys.find(key);
    const past = record ? { sameBody: true, outcome: record.outcome } : undefined;
    const outcome = await this.pools.decide(
      partnerId,
      this.clock,
      causeOf(event),
      (pool, ctx) => commit(pool, partnerId, { assignmentId, contracts }, ctx, past),
      event.id,
    );
    const result = resultOf(outcome);
    if (result === 'duplicate' || result.outcome === 'committed') await this.pools.rememberEnded(partnerId, outcome.state, [assignmentId]);
    return result;
  }
}
