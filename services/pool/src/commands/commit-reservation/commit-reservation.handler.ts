import type { CloudEvent, ContractActivatedV1 } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { commit, type CommitResult } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

/** Contracts were activated: the reserved licenses become assigned (or are taken again after a timeout). */
@Injectable()
export class CommitReservationHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent<ContractActivatedV1>): Promise<CommitResult | 'duplicate'> {
    const { partnerId, assignmentId, contracts } = event.data;
    const contractIds = contracts.map((c) => c.contractId);
    return resultOf(
      await this.pools.decide(
        partnerId,
        this.clock,
        causeOf(event),
        (pool, ctx) => commit(pool, partnerId, assignmentId, contractIds, ctx),
        event.id,
      ),
    );
  }
}
