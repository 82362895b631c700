import { PointsEvents, PoolEvents, type CloudEvent, type MonthlyRenewedV1, type StockExpiredV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApplyMonthlyHandler } from './apply-monthly.handler';

@Controller()
export class ApplyMonthlyMessageController {
  constructor(private readonly handler: ApplyMonthlyHandler) {}

  @EventPattern(PointsEvents.monthlyRenewed)
  monthlyRenewed(@Payload() event: CloudEvent<MonthlyRenewedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.renewed(event, ctx.logger);
  }

  @EventPattern(PoolEvents.stockExpired)
  stockExpired(@Payload() event: CloudEvent<StockExpiredV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.lapsed(event, ctx.logger);
  }
}
