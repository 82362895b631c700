import { ContractsEvents, type CloudEvent, type ContractEndedV1, type ContractRenewedV1 } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { unassign, type Unassignment, type UnassignResult } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

export type ContractEndedOrRenewed = CloudEvent<ContractEndedV1> | CloudEvent<ContractRenewedV1>;

/** What the pool takes out of `assigned` for a contracts event; none for a grouping. */
export function unassignmentOf(event: ContractEndedOrRenewed): Unassignment | undefined {
  const reference = event.id;
  if (event.type === ContractsEvents.contractRenewed) {
    const { clientId, contractId, unassigned } = event.data as ContractRenewedV1;
    return { clientId, contractId, reason: 'renewed', reference, lines: unassigned };
  }
  const { clientId, contractId, reason, unassigned } = event.data as ContractEndedV1;
  // A grouped contract's licenses move to the grouped contract: they stay assigned.
  if (reason === 'grouped') return undefined;
  return { clientId, contractId, reason, reference, lines: unassigned };
}

/** C9, C3: an ended contract's licenses, or the term a renewal used up, leave the pool's assigned count. */
@Injectable()
export class UnassignLicensesHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: ContractEndedOrRenewed): Promise<UnassignResult | 'duplicate'> {
    const request = unassignmentOf(event);
    if (!request || request.lines.length === 0) return { outcome: 'ignored' };
    const { partnerId } = event.data;
    return resultOf(await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => unassign(pool, request, ctx), event.id));
  }
}
