import { InjectClock, InjectConfig, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { markStalled } from '../../domain/wallet.aggregate';
import { PointsMetrics } from '../../infrastructure/points.metrics';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import type { PointsConfig } from '../../points.config';

/**
 * The saga timeout: an exchange the pool has not answered in time is flagged stalled for
 * operators and keeps waiting, since the pool's answer is idempotent (docs/points.md).
 */
@Injectable()
export class CheckExchangeTimeoutHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly metrics: PointsMetrics,
    @InjectConfig() private readonly config: PointsConfig,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** True when this call flagged the exchange; false when it was settled or flagged already. */
  async check(partnerId: string, exchangeId: string, logger: Logger): Promise<boolean> {
    const outcome = await this.wallets.decide(partnerId, { now: this.clock() }, (w, ctx) => markStalled(w, exchangeId, ctx));
    if (outcome.duplicate || outcome.result !== true) return false;
    logger.warn({ partnerId, exchangeId }, 'exchange stalled: the pool has not answered; it stays pending until it does');
    this.metrics.exchangesStalled.inc();
    return true;
  }

  /** The sweep behind the reminders: any pending exchange older than the timeout, whatever happened to its job. */
  async sweep(logger: Logger): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - this.config.exchangeTimeoutMs).toISOString();
    let flagged = 0;
    for (const { partnerId, exchangeIds } of await this.wallets.overdueExchanges(cutoff)) {
      for (const exchangeId of exchangeIds) if (await this.check(partnerId, exchangeId, logger)) flagged++;
    }
    return flagged;
  }
}
