import { isRefusal } from '@licensing/domain';
import { InjectClock, InjectConfig, type Clock, type Logger } from '@licensing/platform';
import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { chaseExchange, nextChaseAt, type Chase } from '../../domain/wallet.aggregate';
import { PointsMetrics } from '../../infrastructure/points.metrics';
import { EXCHANGE_TIMEOUT_JOB, EXCHANGE_TIMEOUTS_QUEUE, type ExchangeTimeoutJob } from '../../infrastructure/points.queues';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import type { PointsConfig } from '../../points.config';

/**
 * The saga timeout (DESIGN §5): an exchange the pool has not answered in time is asked again
 * with the same exchange-debited event, after each timeout, until the pool answers; the first
 * time it is also flagged stalled for operators (docs/points.md).
 */
@Injectable()
export class CheckExchangeTimeoutHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly metrics: PointsMetrics,
    @InjectQueue(EXCHANGE_TIMEOUTS_QUEUE) private readonly timeouts: Queue<ExchangeTimeoutJob>,
    private readonly deadlines: Deadlines,
    @InjectConfig() private readonly config: PointsConfig,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** What this call did to the exchange (nothing when it is settled or not due yet). */
  async check(partnerId: string, exchangeId: string, logger: Logger): Promise<Chase> {
    const outcome = await this.wallets.decide(partnerId, { now: this.clock() }, (w, ctx) =>
      chaseExchange(w, exchangeId, this.config.exchangeTimeoutMs, ctx),
    );
    const chase = outcome.duplicate || isRefusal(outcome.result) ? { askedAgain: false, flagged: false } : outcome.result;
    if (chase.flagged) this.metrics.exchangesStalled.inc();
    if (chase.askedAgain) {
      this.metrics.exchangesAskedAgain.inc();
      logger.warn({ partnerId, exchangeId }, 'exchange stalled: the pool has not answered; asked it again with the same exchange-debited');
      const exchange = outcome.state?.exchanges.find((e) => e.exchangeId === exchangeId);
      const at = exchange ? nextChaseAt(exchange, this.config.exchangeTimeoutMs) : null;
      if (at) await this.remind(partnerId, exchangeId, at, exchange?.asks ?? 0, logger);
    } else if (chase.flagged) {
      logger.warn({ partnerId, exchangeId }, 'exchange stalled: the pool has not answered; it stays pending until it does');
    }
    return chase;
  }

  /** The sweep behind the reminders: every pending exchange due to be asked again, whatever happened to its job. */
  async sweep(logger: Logger): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - this.config.exchangeTimeoutMs).toISOString();
    let chased = 0;
    for (const { partnerId, exchangeIds } of await this.wallets.overdueExchanges(cutoff)) {
      for (const exchangeId of exchangeIds) {
        const chase = await this.check(partnerId, exchangeId, logger);
        if (chase.askedAgain || chase.flagged) chased++;
      }
    }
    return chased;
  }

  /** The next reminder, one per time asked (a job id is used once by BullMQ while it is kept). */
  private async remind(partnerId: string, exchangeId: string, at: Date, asks: number, logger: Logger): Promise<void> {
    try {
      await this.deadlines.remind(this.timeouts, EXCHANGE_TIMEOUT_JOB, jobIdOf('exchange', exchangeId, String(asks)), at, { partnerId, exchangeId });
    } catch (error) {
      // The wallet says when it is due; the periodic sweep asks again if this reminder is lost.
      logger.warn({ err: error, exchangeId }, 'could not schedule the next exchange timeout');
    }
  }
}
