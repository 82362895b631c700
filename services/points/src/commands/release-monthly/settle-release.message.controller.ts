import { PoolEvents, type CloudEvent, type StockExpiredV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SettleReleaseHandler } from './settle-release.handler';

/** The pool's answers share the saga's consumer group (`points-exchange-saga`). */
const SAGA = { group: 'exchange-saga' };

@Controller()
export class SettleReleaseMessageController {
  constructor(private readonly handler: SettleReleaseHandler) {}

  @EventPattern(PoolEvents.stockExpired, SAGA)
  stockExpired(@Payload() event: CloudEvent<StockExpiredV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.settle(event, ctx.logger);
  }
}
