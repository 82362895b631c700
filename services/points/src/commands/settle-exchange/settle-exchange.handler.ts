import type { Refusal } from '@licensing/domain';
import type { CloudEvent, CreditRejectedV1, StockCreditedV1 } from '@licensing/events';
import { InjectClock, Metrics, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { completeExchange, refundExchange, type Settlement, type Wallet } from '../../domain/wallet.aggregate';
import { WalletRepository, type CommandFacts } from '../../infrastructure/wallet.repository';

/**
 * The exchange saga's last step (M3): the pool's answer completes or refunds the exchange, once,
 * whatever the order or number of answers (deduplicated by event id, then by the exchange's state).
 */
@Injectable()
export class SettleExchangeHandler {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectClock() private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** The pool credited the licenses (pool.stock-credited.v1, source points). */
  async complete(event: CloudEvent<StockCreditedV1>, logger: Logger): Promise<void> {
    if (event.data.source !== 'points') return;
    const { partnerId, creditId } = event.data;
    const outcome = await this.wallets.decide(partnerId, this.factsOf(event), (w, ctx) => completeExchange(w, creditId, ctx), event.id);
    if (!outcome.duplicate) this.settled(outcome.result, outcome.state, creditId, logger, 'stock-credited');
  }

  /** The pool refused the credit (pool.credit-rejected.v1, source points): the points come back. */
  async refund(event: CloudEvent<CreditRejectedV1>, logger: Logger): Promise<void> {
    if (event.data.source !== 'points') return;
    const { partnerId, creditId, code, reason } = event.data;
    const outcome = await this.wallets.decide(
      partnerId,
      this.factsOf(event),
      (w, ctx) => refundExchange(w, creditId, { code, reason }, ctx),
      event.id,
    );
    if (!outcome.duplicate) this.settled(outcome.result, outcome.state, creditId, logger, 'credit-rejected');
  }

  private factsOf(event: CloudEvent): CommandFacts {
    return { now: this.clock(), causationId: event.id };
  }

  /** Logs the answer's effect; an exchange that has just ended is observed in saga_duration_seconds (completed or refunded). */
  private settled(result: Settlement | Refusal, wallet: Wallet | null | undefined, exchangeId: string, logger: Logger, answer: string): void {
    const exchange = result === 'settled' ? wallet?.exchanges.find((e) => e.exchangeId === exchangeId) : undefined;
    if (exchange?.settledAt) this.metrics.sagaEnded('exchange', exchange.status, exchange.requestedAt, exchange.settledAt);
    if (result === 'settled') logger.info({ exchangeId, answer }, 'exchange settled');
    else if (result === 'unknown-exchange') logger.error({ exchangeId, answer }, 'the pool answered an exchange this wallet does not hold');
    else logger.warn({ exchangeId, answer, result }, 'the pool answered an exchange that is already final; ignored');
  }
}
