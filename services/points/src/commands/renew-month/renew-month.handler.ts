import { CatalogCopy } from '@licensing/catalog-copy';
import { isRefusal } from '@licensing/domain';
import { badRequest, InjectClock, unprocessable, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { MONTH_PATTERN, monthOf, nextMonth, PointsCodes } from '../../domain/points.rules';
import { monthlyPrice } from '../../domain/pricing';
import { renewMonthly, type RenewalResult } from '../../domain/renewal';
import { WalletRepository } from '../../infrastructure/wallet.repository';

export interface RenewalSummary {
  month: string;
  wallets: number;
  renewedWallets: number;
  lapsedWallets: number;
  licensesRenewed: number;
  licensesLapsed: number;
  pointsDebited: number;
}

const licenses = (lines: { quantity: number }[]) => lines.reduce((n, l) => n + l.quantity, 0);

/**
 * M4 for every wallet holding monthly licenses not yet paid for `month`. Safe to run any number
 * of times: each wallet's renewal is one update that leaves nothing due for that month.
 * Operators may run the next month early; never a later one.
 */
@Injectable()
export class RenewMonthHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** The month the renewal is due for now, by the platform clock. */
  currentMonth(): string {
    return monthOf(this.clock());
  }

  async execute(month: string, correlationId = `renewal:${month}`): Promise<RenewalSummary> {
    const current = this.currentMonth();
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
    for (const partnerId of await this.wallets.dueForRenewal(month)) {
      const result = await this.renewWallet(partnerId, month, correlationId);
      if (!result) continue;
      summary.wallets++;
      if (result.renewed.length > 0) summary.renewedWallets++;
      if (result.lapsed.length > 0) summary.lapsedWallets++;
      summary.licensesRenewed += licenses(result.renewed);
      summary.licensesLapsed += licenses(result.lapsed);
      summary.pointsDebited += result.pointsDebited;
    }
    return summary;
  }

  /**
   * One write per month due, oldest first, until the wallet is paid through `month` or has
   * lapsed what it could not pay: a wallet that missed months while the platform was down is
   * charged each of them (M4). Each write is version-checked and leaves its month paid, so
   * concurrent runs never charge a month twice.
   */
  private async renewWallet(partnerId: string, month: string, correlationId: string): Promise<RenewalResult | null> {
    const due = (await this.wallets.load(partnerId))?.state.holdings.filter((h) => h.paidThrough < month) ?? [];
    if (due.length === 0) return null;
    const skus = await this.catalog.getMany(due.map((h) => h.sku));
    const priceOf = (sku: string) => monthlyPrice(skus.get(sku));
    // A sku the copy no longer knows is counted as a product: it keeps its place before modules.
    const kindOf = (sku: string) => skus.get(sku)?.kind ?? 'product';
    const total: RenewalResult = { renewed: [], lapsed: [], pointsDebited: 0 };
    let changed = false;
    for (;;) {
      const outcome = await this.wallets.decide<RenewalResult | null>(partnerId, { now: this.clock(), correlationId }, (w, ctx) =>
        w ? renewMonthly(w, month, priceOf, ctx, kindOf) : { result: null },
      );
      if (outcome.duplicate || outcome.events.length === 0 || isRefusal(outcome.result) || outcome.result === null) break;
      changed = true;
      total.renewed.push(...outcome.result.renewed);
      total.lapsed.push(...outcome.result.lapsed);
      total.pointsDebited += outcome.result.pointsDebited;
    }
    return changed ? total : null;
  }
}
