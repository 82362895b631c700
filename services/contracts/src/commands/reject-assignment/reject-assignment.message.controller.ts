import { PoolEvents, type CloudEvent, type ReservationRejectedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { RejectAssignmentHandler } from './reject-assignment.handler';

@Controller()
export class RejectAssignmentMessageController {
  constructor(private readonly handler: RejectAssignmentHandler) {}

  @EventPattern(PoolEvents.reservationRejected)
  reservationRejected(@Payload() event: CloudEvent<ReservationRejectedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.execute(event, ctx.logger);
  }
}
