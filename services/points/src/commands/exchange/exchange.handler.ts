import { createHash, randomUUID } from 'node:crypto';
import { CatalogCopy } from '@licensing/catalog-copy';
import { conflict, InjectClock, InjectConfig, InjectLogger, orThrow, type Clock, type Logger } from '@licensing/platform';
import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { PointsCodes } from '../../domain/points.rules';
import { priceExchange, type Quote, type RequestedLine } from '../../domain/pricing';
import { checkExchange, requestExchange, type Exchange } from '../../domain/wallet.aggregate';
import { EXCHANGE_TIMEOUT_JOB, EXCHANGE_TIMEOUTS_QUEUE, type ExchangeTimeoutJob } from '../../infrastructure/points.queues';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import type { PointsConfig } from '../../points.config';
import { exchangeView, type ExchangeView } from '../../points.views';
import { GetExchangeHandler } from '../../queries/get-exchange/get-exchange.handler';

export interface ExchangeAnswer {
  exchange: ExchangeView;
  warnings: Quote['warnings'];
  replayed: boolean;
}

/** The same Idempotency-Key from the same partner always names the same exchange. */
const exchangeIdFor = (partnerId: string, idempotencyKey: string | null): string => {
  if (idempotencyKey === null) return randomUUID();
  const hex = createHash('sha256').update(`${partnerId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const sameLines = (requested: RequestedLine[], exchange: { lines: { sku: string; quantity: number }[] }): boolean =>
  requested.length === exchange.lines.length && requested.every((r) => exchange.lines.some((l) => l.sku === r.sku && l.quantity === r.quantity));

/** MSSP Command (M2, M3): points for monthly licenses, or its dry run. */
@Injectable()
export class ExchangeHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly catalog: CatalogCopy,
    private readonly exchanges: GetExchangeHandler,
    @InjectQueue(EXCHANGE_TIMEOUTS_QUEUE) private readonly timeouts: Queue<ExchangeTimeoutJob>,
    @InjectConfig() private readonly config: PointsConfig,
    @InjectClock() private readonly clock: Clock,
    private readonly deadlines: Deadlines,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  /** The dry run: the same pricing and checks as an exchange, nothing written. */
  async quote(partnerId: string, lines: RequestedLine[]): Promise<{ cost: number; balanceAfter: number } & Pick<Quote, 'lines' | 'warnings'>> {
    const quote = await this.price(lines);
    const wallet = await this.wallets.load(partnerId);
    const check = orThrow(checkExchange(wallet?.state ?? null, partnerId, quote));
    return { ...check, lines: quote.lines, warnings: quote.warnings };
  }

  /**
   * Debits the wallet and starts the saga; then waits up to `waitMs` for the pool's answer. With an
   * Idempotency-Key the exchange id follows from the key, so a replay finds the same exchange
   * (and a different body under the same key is refused).
   */
  async request(
    partnerId: string,
    lines: RequestedLine[],
    idempotencyKey: string | null,
    correlationId: string,
    waitMs = 0,
  ): Promise<ExchangeAnswer> {
    const answer = await this.debit(partnerId, lines, idempotencyKey, correlationId);
    if (waitMs === 0 || answer.exchange.status !== 'pending') return answer;
    return { ...answer, exchange: await this.exchanges.execute(partnerId, answer.exchange.exchangeId, waitMs) };
  }

  private async debit(partnerId: string, lines: RequestedLine[], idempotencyKey: string | null, correlationId: string): Promise<ExchangeAnswer> {
    const exchangeId = exchangeIdFor(partnerId, idempotencyKey);
    if (idempotencyKey !== null) {
      const existing = await this.exchanges.find(partnerId, exchangeId);
      if (existing) return this.replay(lines, existing);
    }
    const quote = await this.price(lines);
    const outcome = await this.wallets.decide(
      partnerId,
      { now: this.clock(), correlationId },
      (w, ctx) => requestExchange(w, partnerId, { exchangeId, quote, idempotencyKey }, { ...ctx, correlationId }),
      idempotencyKey === null ? undefined : `exchange:${idempotencyKey}`,
    );
    if (outcome.duplicate) {
      const existing = await this.exchanges.find(partnerId, exchangeId);
      if (!existing) throw new Error(`exchange ${exchangeId} recorded but not found`);
      return this.replay(lines, existing);
    }
    const exchange = orThrow(outcome.result);
    await this.remindTimeout(partnerId, exchange);
    return { exchange: exchangeView(partnerId, exchange), warnings: quote.warnings, replayed: false };
  }

  private replay(lines: RequestedLine[], existing: ExchangeView): ExchangeAnswer {
    if (!sameLines(lines, existing)) {
      throw conflict(PointsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for a different exchange', {
        exchangeId: existing.exchangeId,
      });
    }
    return { exchange: existing, warnings: [], replayed: true };
  }

  private async price(lines: RequestedLine[]): Promise<Quote> {
    const skus = await this.catalog.getMany(lines.map((l) => l.sku));
    return orThrow(priceExchange(lines, (sku) => skus.get(sku)));
  }

  /** A reminder to look once the pool's answer is overdue, never the deadline itself: the processor re-reads the wallet. */
  private async remindTimeout(partnerId: string, exchange: Exchange): Promise<void> {
    const at = new Date(Date.parse(exchange.requestedAt) + this.config.exchangeTimeoutMs);
    try {
      await this.deadlines.remind(this.timeouts, EXCHANGE_TIMEOUT_JOB, jobIdOf('exchange', exchange.exchangeId), at, {
        partnerId,
        exchangeId: exchange.exchangeId,
      });
    } catch (error) {
      // The exchange is saved; the periodic sweep flags it if it stalls.
      this.logger.warn({ err: error, exchangeId: exchange.exchangeId }, 'could not schedule the exchange timeout');
    }
  }
}
