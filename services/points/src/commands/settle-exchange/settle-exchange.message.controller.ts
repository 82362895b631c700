import { PoolEvents, type CloudEvent, type CreditRejectedV1, type StockCreditedV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SettleExchangeHandler } from './settle-exchange.handler';

/** The pool's answers, in the saga's own consumer group (`points-exchange-saga`). */
const SAGA = { group: 'exchange-saga' };

@Controller()
export class SettleExchangeMessageController {
  constructor(private readonly handler: SettleExchangeHandler) {}

  @EventPattern(PoolEvents.stockCredited, SAGA)
  stockCredited(@Payload() event: CloudEvent<StockCreditedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.complete(event, ctx.logger);
  }

  @EventPattern(PoolEvents.creditRejected, SAGA)
  creditRejected(@Payload() event: CloudEvent<CreditRejectedV1>, @Ctx() ctx: EventContext): Promise<void> {
    return this.handler.refund(event, ctx.logger);
  }
}
