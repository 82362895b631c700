import { ContractsEvents } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { UnassignLicensesHandler, type ContractEndedOrRenewed } from './unassign-licenses.handler';

@Controller()
export class UnassignLicensesMessageController {
  constructor(private readonly handler: UnassignLicensesHandler) {}

  @EventPattern([ContractsEvents.contractEnded, ContractsEvents.contractRenewed])
  async contractEndedOrRenewed(@Payload() event: ContractEndedOrRenewed, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    const { partnerId, contractId } = event.data;
    if (result !== 'duplicate' && result.outcome !== 'ignored' && result.shortfall > 0) {
      // Should not happen: the contracts service lists only licenses the pool assigned to it.
      const lines = result.lines.filter((l) => l.shortfall > 0);
      ctx.logger.warn({ partnerId, contractId, type: event.type, lines }, 'the pool held fewer assigned licenses than the contract gave up');
    } else ctx.logger.debug({ result }, 'contract end or renewal handled');
  }
}
