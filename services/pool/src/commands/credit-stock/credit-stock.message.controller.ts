import { ContractsEvents, PointsEvents, type CloudEvent, type ExchangeDebitedV1, type LicensesRecoveredV1 } from '@licensing/events';
import type { EventContext } from '@licensing/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CreditStockHandler } from './credit-stock.handler';

@Controller()
export class CreditStockMessageController {
  constructor(private readonly handler: CreditStockHandler) {}

  @EventPattern(ContractsEvents.licensesRecovered)
  async licensesRecovered(@Payload() event: CloudEvent<LicensesRecoveredV1>, @Ctx() ctx: EventContext): Promise<void> {
    const { partnerId, recoveryId, lines } = event.data;
    const result = await this.handler.execute(event, partnerId, { creditId: recoveryId, source: 'recovery', lines });
    if (result !== 'duplicate' && result.outcome === 'conflict') {
      ctx.logger.warn({ partnerId, recoveryId, lines }, 'recovery id used before with other lines: not credited, not answered');
    } else ctx.logger.debug({ result }, 'recovery handled');
  }

  @EventPattern(PointsEvents.exchangeDebited)
  async exchangeDebited(@Payload() event: CloudEvent<ExchangeDebitedV1>, @Ctx() ctx: EventContext): Promise<void> {
    const { partnerId, exchangeId, lines } = event.data;
    const credited = lines.map(({ sku, termMonths, quantity }) => ({ sku, termMonths, quantity }));
    const result = await this.handler.execute(event, partnerId, { creditId: exchangeId, source: 'points', lines: credited });
    if (result !== 'duplicate' && result.outcome === 'conflict') {
      ctx.logger.warn({ partnerId, exchangeId, lines: credited }, 'exchange id used before with other lines: not credited, not answered');
    } else ctx.logger.debug({ result }, 'points exchange handled');
  }
}
