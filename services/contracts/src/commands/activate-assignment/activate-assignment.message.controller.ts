import { PoolEvents, type CloudEvent, type LicensesReservedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ActivateAssignmentHandler } from './activate-assignment.handler';

@Controller()
export class ActivateAssignmentMessageController {
  constructor(private readonly handler: ActivateAssignmentHandler) {}

  @EventPattern(PoolEvents.licensesReserved)
  licensesReserved(@Payload() event: CloudEvent<LicensesReservedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.execute(event, ctx.logger);
  }
}
