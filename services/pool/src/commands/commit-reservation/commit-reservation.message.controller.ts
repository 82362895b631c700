import { ContractsEvents, type CloudEvent, type ContractActivatedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CommitReservationHandler } from './commit-reservation.handler';

@Controller()
export class CommitReservationMessageController {
  constructor(private readonly handler: CommitReservationHandler) {}

  @EventPattern(ContractsEvents.contractActivated)
  async contractActivated(@Payload() event: CloudEvent<ContractActivatedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    ctx.logger.debug({ result }, 'contract activation handled');
  }
}
