import { ContractsEvents, type AssignmentRejectedV1, type CloudEvent } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ReleaseReservationHandler } from './release-reservation.handler';

@Controller()
export class ReleaseReservationMessageController {
  constructor(private readonly handler: ReleaseReservationHandler) {}

  @EventPattern(ContractsEvents.assignmentRejected)
  async assignmentRejected(@Payload() event: CloudEvent<AssignmentRejectedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    ctx.logger.debug({ result }, 'assignment rejection handled');
  }
}
