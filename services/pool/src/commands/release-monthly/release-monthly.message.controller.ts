import { PointsEvents, type CloudEvent, type MonthlyReleasedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ReleaseMonthlyHandler } from './release-monthly.handler';

@Controller()
export class ReleaseMonthlyMessageController {
  constructor(private readonly handler: ReleaseMonthlyHandler) {}

  @EventPattern(PointsEvents.monthlyReleased)
  async monthlyReleased(@Payload() event: CloudEvent<MonthlyReleasedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const result = await this.handler.execute(event);
    ctx.logger.debug({ result }, 'monthly release handled');
  }
}
