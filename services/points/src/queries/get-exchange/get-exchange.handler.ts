import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { PointsCodes } from '../../domain/points.rules';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import { exchangeView, type ExchangeView } from '../../points.views';
import { ExchangeHistoryRepository } from '../../projections/exchange-history.repository';

/** How often a `Prefer: wait` re-reads the exchange. */
const WAIT_POLL_MS = 100;

@Injectable()
export class GetExchangeHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly history: ExchangeHistoryRepository,
  ) {}

  /** The wallet holds recent exchanges (fresh); older ones come from the projection. */
  async find(partnerId: string, exchangeId: string): Promise<ExchangeView | null> {
    const wallet = await this.wallets.load(partnerId);
    const recent = wallet?.state.exchanges.find((e) => e.exchangeId === exchangeId);
    if (recent) return exchangeView(partnerId, recent);
    const record = await this.history.find(partnerId, exchangeId);
    if (!record) return null;
    return {
      exchangeId: record._id,
      partnerId,
      status: record.status,
      lines: record.lines,
      totalPoints: record.totalPoints,
      correlationId: record.correlationId,
      requestedAt: record.requestedAt,
      settledAt: record.settledAt,
      refund: record.refund,
      stalled: false,
    };
  }

  /** The exchange, after waiting up to `waitMs` for it to be final (the Prefer: wait contract). */
  async execute(partnerId: string, exchangeId: string, waitMs = 0): Promise<ExchangeView> {
    // A time budget for the HTTP answer, not a business decision: measured on the system clock.
    const deadline = Date.now() + waitMs;
    for (;;) {
      const exchange = await this.find(partnerId, exchangeId);
      if (!exchange) throw notFound(PointsCodes.exchangeNotFound, `partner ${partnerId} has no exchange ${exchangeId}`);
      if (exchange.status !== 'pending' || Date.now() >= deadline) return exchange;
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }
}
