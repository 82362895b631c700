import { createHash, randomUUID } from 'node:crypto';
import type { CloudEvent, CreditRejectedV1, StockCreditedV1 } from '@licensing/events';
import type { CatalogReadModel } from '@licensing/messaging';
import type { AggregateRepository } from '@licensing/persistence';
import { badRequest, isRefusal, notFound, orThrow, unprocessable, type Logger, type Refusal } from '@licensing/platform';
import type { Queue } from 'bullmq';
import { MONTH_PATTERN, monthOf, nextMonth, PointsCodes } from './domain/points.rules';
import { monthlyPrice, priceExchange, type PricedSku, type Quote, type RequestedLine } from './domain/pricing';
import { renewMonthly, type RenewalResult } from './domain/renewal';
import {
  changeEnrolment,
  checkExchange,
  completeExchange,
  creditPoints,
  markStalled,
  refundExchange,
  requestExchange,
  type ChangeContext,
  type Exchange,
  type Wallet,
  type WalletChange,
} from './domain/wallet.aggregate';
import type { PointsProjections } from './projections/points.projections';

export interface WalletView {
  partnerId: string;
  enrolled: boolean;
  balance: number;
  holdings: Wallet['holdings'];
  pendingExchanges: number;
  version: number;
  updatedAt: string | null;
}

export interface ExchangeView {
  exchangeId: string;
  partnerId: string;
  status: Exchange['status'];
  lines: Exchange['lines'];
  totalPoints: number;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refund: Exchange['refund'];
  stalled: boolean;
}

export interface RenewalSummary {
  month: string;
  wallets: number;
  renewedWallets: number;
  lapsedWallets: number;
  licensesRenewed: number;
  licensesLapsed: number;
  pointsDebited: number;
}

export interface ExchangeTimeoutJob {
  partnerId: string;
  exchangeId: string;
}

export interface PointsServiceOptions {
  clock: () => Date;
  /** How long the pool may take to answer before an exchange is flagged stalled. */
  exchangeTimeoutMs: number;
  logger: Logger;
  /** Told when an exchange is flagged stalled (a metric). */
  onStalled?: () => void;
}

const walletView = (partnerId: string, wallet: Wallet | null, version: number): WalletView => ({
  partnerId,
  enrolled: wallet?.enrolled ?? false,
  balance: wallet?.balance ?? 0,
  holdings: wallet?.holdings ?? [],
  pendingExchanges: wallet?.exchanges.filter((e) => e.status === 'pending').length ?? 0,
  version,
  updatedAt: wallet?.updatedAt ?? null,
});

const exchangeView = (partnerId: string, e: Exchange): ExchangeView => ({
  exchangeId: e.exchangeId,
  partnerId,
  status: e.status,
  lines: e.lines,
  totalPoints: e.totalPoints,
  correlationId: e.correlationId,
  requestedAt: e.requestedAt,
  settledAt: e.settledAt,
  refund: e.refund,
  stalled: e.stalledAt !== null,
});

/** The same Idempotency-Key from the same partner always names the same exchange. */
const exchangeIdFor = (partnerId: string, idempotencyKey: string | null): string => {
  if (idempotencyKey === null) return randomUUID();
  const hex = createHash('sha256').update(`${partnerId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const sameLines = (requested: RequestedLine[], exchange: { lines: { sku: string; quantity: number }[] }): boolean =>
  requested.length === exchange.lines.length && requested.every((r) => exchange.lines.some((l) => l.sku === r.sku && l.quantity === r.quantity));

/** The points use cases: each changes one wallet (DESIGN.md §4), through its repository. */
export class PointsService {
  constructor(
    readonly wallets: AggregateRepository<Wallet>,
    private readonly catalog: CatalogReadModel,
    readonly projections: PointsProjections,
    private readonly timeouts: Queue<ExchangeTimeoutJob> | undefined,
    private readonly options: PointsServiceOptions,
  ) {}

  private now(): Date {
    return this.options.clock();
  }

  /** Runs a domain decision on one wallet and saves it with its events (or nothing). */
  private change<R>(
    partnerId: string,
    decide: (wallet: Wallet | null, ctx: ChangeContext) => WalletChange<R> | Refusal,
    trace: { correlationId?: string; causationId?: string } = {},
    dedupeKey?: string,
  ) {
    return this.wallets.execute<R | Refusal>(
      partnerId,
      (state, version) => {
        const decided = decide(state, { now: this.now(), version: version + 1, ...trace });
        if (isRefusal(decided)) return { result: decided };
        if (decided.wallet === null) return { result: decided.result };
        return { state: decided.wallet, events: decided.events, result: decided.result };
      },
      dedupeKey,
    );
  }

  async getWallet(partnerId: string): Promise<WalletView> {
    const doc = await this.wallets.load(partnerId);
    return walletView(partnerId, doc?.state ?? null, doc?.version ?? 0);
  }

  async setEnrolment(partnerId: string, enrolled: boolean, correlationId: string): Promise<WalletView> {
    const outcome = await this.change(partnerId, (w, ctx) => changeEnrolment(w, partnerId, enrolled, ctx), { correlationId });
    if (outcome.duplicate) throw new Error('enrolment has no dedupe key');
    return walletView(partnerId, outcome.state, outcome.version);
  }

  /** Credits points once per Idempotency-Key; a replay answers the wallet as it is now. */
  async credit(
    partnerId: string,
    credit: { creditId: string; amount: number; reason: string },
    correlationId: string,
  ): Promise<{ wallet: WalletView; replayed: boolean }> {
    const outcome = await this.change(partnerId, (w, ctx) => creditPoints(w, partnerId, credit, ctx), { correlationId }, `credit:${credit.creditId}`);
    if (outcome.duplicate) return { wallet: walletView(partnerId, outcome.state, outcome.version), replayed: true };
    orThrow(outcome.result);
    return { wallet: walletView(partnerId, outcome.state, outcome.version), replayed: false };
  }

  private async price(lines: RequestedLine[]): Promise<Quote> {
    const skus = await this.catalog.getMany(lines.map((l) => l.sku));
    return orThrow(priceExchange(lines, (sku) => skus.get(sku) as PricedSku | undefined));
  }

  /** The dry run: the same pricing and checks as an exchange, nothing written. */
  async quote(
    partnerId: string,
    lines: RequestedLine[],
  ): Promise<{ cost: number; balanceAfter: number; lines: Quote['lines']; warnings: Quote['warnings'] }> {
    const quote = await this.price(lines);
    const wallet = await this.wallets.load(partnerId);
    const check = orThrow(checkExchange(wallet?.state ?? null, partnerId, quote));
    return { ...check, lines: quote.lines, warnings: quote.warnings };
  }

  /**
   * Debits the wallet and starts the saga. With an Idempotency-Key the exchange id follows from
   * the key, so a replay finds the same exchange (and a different body under the same key is refused).
   */
  async requestExchange(
    partnerId: string,
    lines: RequestedLine[],
    idempotencyKey: string | null,
    correlationId: string,
  ): Promise<{ exchange: ExchangeView; warnings: Quote['warnings']; replayed: boolean }> {
    const exchangeId = exchangeIdFor(partnerId, idempotencyKey);
    if (idempotencyKey !== null) {
      const existing = await this.findExchange(partnerId, exchangeId);
      if (existing) return { exchange: this.checkReplay(lines, existing), warnings: [], replayed: true };
    }
    const quote = await this.price(lines);
    const outcome = await this.change(
      partnerId,
      (w, ctx) => requestExchange(w, partnerId, { exchangeId, quote, idempotencyKey }, { ...ctx, correlationId }),
      { correlationId },
      idempotencyKey === null ? undefined : `exchange:${idempotencyKey}`,
    );
    if (outcome.duplicate) {
      const existing = await this.findExchange(partnerId, exchangeId);
      if (!existing) throw new Error(`exchange ${exchangeId} recorded but not found`);
      return { exchange: this.checkReplay(lines, existing), warnings: [], replayed: true };
    }
    const exchange = orThrow(outcome.result);
    await this.scheduleTimeout(partnerId, exchange.exchangeId);
    return { exchange: exchangeView(partnerId, exchange), warnings: quote.warnings, replayed: false };
  }

  private checkReplay(lines: RequestedLine[], existing: ExchangeView): ExchangeView {
    if (!sameLines(lines, existing)) {
      throw unprocessable(PointsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for a different exchange', {
        exchangeId: existing.exchangeId,
      });
    }
    return existing;
  }

  /** A reminder to look, never the deadline itself: the processor re-reads the wallet. */
  private async scheduleTimeout(partnerId: string, exchangeId: string): Promise<void> {
    if (!this.timeouts) return;
    try {
      await this.timeouts.add(
        'exchange-timeout',
        { partnerId, exchangeId },
        { jobId: `exchange-${exchangeId}`, delay: this.options.exchangeTimeoutMs, removeOnComplete: true, removeOnFail: 1000 },
      );
    } catch (error) {
      // The exchange is saved; the periodic sweep flags it if it stalls.
      this.options.logger.warn({ err: error, exchangeId }, 'could not schedule the exchange timeout');
    }
  }

  /** The wallet holds recent exchanges (fresh); older ones come from the projection. */
  async findExchange(partnerId: string, exchangeId: string): Promise<ExchangeView | null> {
    const wallet = await this.wallets.load(partnerId);
    const recent = wallet?.state.exchanges.find((e) => e.exchangeId === exchangeId);
    if (recent) return exchangeView(partnerId, recent);
    const record = await this.projections.findExchange(partnerId, exchangeId);
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

  async getExchange(partnerId: string, exchangeId: string): Promise<ExchangeView> {
    const exchange = await this.findExchange(partnerId, exchangeId);
    if (!exchange) throw notFound(PointsCodes.exchangeNotFound, `partner ${partnerId} has no exchange ${exchangeId}`);
    return exchange;
  }

  /** Polls the wallet until the exchange is final or `waitMs` passes (the Prefer: wait contract). */
  async waitForExchange(partnerId: string, exchangeId: string, waitMs: number, intervalMs = 100): Promise<ExchangeView> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const exchange = await this.getExchange(partnerId, exchangeId);
      if (exchange.status !== 'pending' || Date.now() >= deadline) return exchange;
      await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
    }
  }

  ledger(partnerId: string, limit: number, before?: number) {
    return this.projections.ledgerPage(partnerId, limit, before);
  }

  /** Saga step: the pool credited the licenses (pool.stock-credited.v1, source points). */
  async onStockCredited(event: CloudEvent<StockCreditedV1>, logger: Logger): Promise<void> {
    if (event.data.source !== 'points') return;
    const { partnerId, creditId } = event.data;
    const outcome = await this.change(partnerId, (w, ctx) => completeExchange(w, creditId, ctx), { causationId: event.id }, event.id);
    this.logSettlement(outcome, logger, creditId, 'stock-credited');
  }

  /** Saga step: the pool refused the credit (pool.credit-rejected.v1, source points); refund (M3). */
  async onCreditRejected(event: CloudEvent<CreditRejectedV1>, logger: Logger): Promise<void> {
    if (event.data.source !== 'points') return;
    const { partnerId, creditId, code, reason } = event.data;
    const outcome = await this.change(partnerId, (w, ctx) => refundExchange(w, creditId, { code, reason }, ctx), { causationId: event.id }, event.id);
    this.logSettlement(outcome, logger, creditId, 'credit-rejected');
  }

  private logSettlement(outcome: { duplicate: boolean; result?: unknown }, logger: Logger, exchangeId: string, answer: string): void {
    if (outcome.duplicate) return;
    const result = outcome.result;
    if (result === 'settled') logger.info({ exchangeId, answer }, 'exchange settled');
    else if (result === 'unknown-exchange') logger.error({ exchangeId, answer }, 'the pool answered an exchange this wallet does not hold');
    else logger.warn({ exchangeId, answer, result }, 'the pool answered an exchange that is already final; ignored');
  }

  /** The saga timeout: an exchange still pending is flagged stalled and keeps waiting (docs/points.md). */
  async checkExchangeTimeout(partnerId: string, exchangeId: string, logger: Logger): Promise<boolean> {
    const outcome = await this.change(partnerId, (w, ctx) => markStalled(w, exchangeId, ctx));
    if (!outcome.duplicate && outcome.result === true) {
      logger.warn({ partnerId, exchangeId }, 'exchange stalled: the pool has not answered; it stays pending until it does');
      this.options.onStalled?.();
      return true;
    }
    return false;
  }

  /** The sweep behind the timeout jobs: any pending exchange older than the timeout, whatever happened to its job. */
  async sweepStalledExchanges(logger: Logger): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.options.exchangeTimeoutMs).toISOString();
    const docs = await this.wallets.collection
      .find({ 'state.exchanges': { $elemMatch: { status: 'pending', stalledAt: null, requestedAt: { $lte: cutoff } } } } as never)
      .project({ _id: 1, 'state.exchanges': 1 })
      .toArray();
    let flagged = 0;
    for (const doc of docs as unknown as { _id: string; state: Pick<Wallet, 'exchanges'> }[]) {
      for (const e of doc.state.exchanges.filter((x) => x.status === 'pending' && !x.stalledAt && x.requestedAt <= cutoff)) {
        if (await this.checkExchangeTimeout(doc._id, e.exchangeId, logger)) flagged++;
      }
    }
    return flagged;
  }

  /**
   * M4 for every wallet holding monthly licenses not yet paid for `month`. Safe to run any number
   * of times: each wallet's renewal is one update that leaves nothing due for that month.
   * Operators may run the next month early; never a later one.
   */
  async renewMonth(month: string, correlationId?: string): Promise<RenewalSummary> {
    const current = monthOf(this.now());
    if (!MONTH_PATTERN.test(month)) throw badRequest('REQUEST.VALIDATION_FAILED', `month must be YYYY-MM, got ${month}`);
    if (month > nextMonth(current)) {
      throw unprocessable(PointsCodes.renewalMonthInFuture, `renewals run for ${current} or ${nextMonth(current)} at the latest, not ${month}`);
    }
    const summary: RenewalSummary = {
      month,
      wallets: 0,
      renewedWallets: 0,
      lapsedWallets: 0,
      licensesRenewed: 0,
      licensesLapsed: 0,
      pointsDebited: 0,
    };
    const ids = await this.wallets.collection
      .find({ 'state.holdings': { $elemMatch: { paidThrough: { $lt: month } } } } as never)
      .project({ _id: 1 })
      .toArray();
    for (const { _id } of ids as unknown as { _id: string }[]) {
      const result = await this.renewWallet(_id, month, correlationId);
      if (!result) continue;
      summary.wallets++;
      if (result.renewed.length > 0) summary.renewedWallets++;
      if (result.lapsed.length > 0) summary.lapsedWallets++;
      summary.licensesRenewed += result.renewed.reduce((n, l) => n + l.quantity, 0);
      summary.licensesLapsed += result.lapsed.reduce((n, l) => n + l.quantity, 0);
      summary.pointsDebited += result.pointsDebited;
    }
    return summary;
  }

  private async renewWallet(partnerId: string, month: string, correlationId?: string): Promise<RenewalResult | null> {
    const due = (await this.wallets.load(partnerId))?.state.holdings.filter((h) => h.paidThrough < month) ?? [];
    if (due.length === 0) return null;
    const skus = await this.catalog.getMany(due.map((h) => h.sku));
    const priceOf = (sku: string) => monthlyPrice(skus.get(sku) as PricedSku | undefined);
    const outcome = await this.change<RenewalResult | null>(
      partnerId,
      (w, ctx) => (w ? renewMonthly(w, month, priceOf, ctx) : { wallet: null, events: [], result: null }),
      { correlationId: correlationId ?? `renewal:${month}` },
    );
    if (outcome.duplicate || outcome.events.length === 0 || isRefusal(outcome.result)) return null;
    return outcome.result;
  }
}
