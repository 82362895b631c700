import { PointsEvents, type CloudEvent, type MonthlyLapsedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ExpireLapsedHandler } from './expire-lapsed.handler';

@Controller()
export class ExpireLapsedMessageController {
  constructor(private readonly handler: ExpireLapsedHandler) {}

  @EventPattern(PointsEvents.monthlyLapsed)
  async monthlyLapsed(@Payload() event: CloudEvent<MonthlyLapsedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    ctx.logger.debug({ result }, 'monthly lapse handled');
  }
}
