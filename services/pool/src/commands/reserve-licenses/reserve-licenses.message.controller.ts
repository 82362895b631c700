import { ContractsEvents, type AssignmentRequestedV1, type CloudEvent } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ReserveLicensesHandler } from './reserve-licenses.handler';

@Controller()
export class ReserveLicensesMessageController {
  constructor(private readonly handler: ReserveLicensesHandler) {}

  @EventPattern(ContractsEvents.assignmentRequested)
  async assignmentRequested(@Payload() event: CloudEvent<AssignmentRequestedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    if (result !== 'duplicate' && result.outcome === 'conflict') {
      const { partnerId, assignmentId, clientId } = event.data;
      ctx.logger.warn(
        { partnerId, assignmentId, clientId },
        'assignment id used before with another client or other lines: not reserved, not answered',
      );
    } else ctx.logger.debug({ result: typeof result === 'string' ? result : result.outcome }, 'assignment request handled');
  }
}
