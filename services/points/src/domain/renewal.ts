import type { Decision } from '@licensing/domain';
import { PointsEvents, type EventDraft, type LapseReason, type MonthlyLapsedV1, type MonthlyRenewedV1, type PointsLine } from '@licensing/events';
import { MONTHLY_TERM, nextMonth, RENEWED_MONTHS_KEPT } from './points.rules';
import { addHoldings, draft, type ChangeContext, type Holding, type Wallet } from './wallet.aggregate';

export interface RenewalResult {
  renewed: PointsLine[];
  lapsed: { sku: string; quantity: number; reason: LapseReason }[];
  pointsDebited: number;
}

/** Products renew before modules: a module is of no use without the product it attaches to. */
export type SkuKind = 'product' | 'module';

type Priced = { sku: string; quantity: number; price: number; kind: SkuKind };

const productsFirstThenCheapest = (a: Priced, b: Priced) =>
  (a.kind === b.kind ? 0 : a.kind === 'product' ? -1 : 1) || a.price - b.price || a.sku.localeCompare(b.sku);

/** The first month some holding is not paid for, if it is `upTo` or earlier (M4: missed months are charged one by one). */
export function nextDueMonth(wallet: Pick<Wallet, 'holdings'>, upTo: string): string | null {
  const oldest = wallet.holdings.map((h) => h.paidThrough).reduce<string | null>((min, m) => (min === null || m < min ? m : min), null);
  if (oldest === null) return null;
  const due = nextMonth(oldest);
  return due <= upTo ? due : null;
}

/**
 * M4: on the 1st of a month every monthly license paid through an earlier month renews by
 * debiting its points price (the catalog's price now), or lapses. One call settles one month,
 * the first one some holding is not paid for, up to `upTo`: when the platform was down over a
 * 1st, the catch-up calls it again for each missed month, so every month is charged (issue 9.13)
 * and a balance that runs short lapses licenses in the month it ran short.
 *
 * - Only licenses not yet paid for the month are due, so a second run finds nothing due and
 *   debits nothing; a license bought during the month is already paid for it.
 * - A partner not enrolled (M1) renews nothing; a sku without a points price cannot renew.
 * - When the balance is short, products renew before modules (a module without its product is
 *   of no use), then the cheapest first (ties by sku), each sku for as many licenses as the
 *   remaining balance pays; the rest lapse. The balance never goes below zero (M2).
 */
export function renewMonthly(
  wallet: Wallet,
  upTo: string,
  priceOf: (sku: string) => number | null,
  ctx: ChangeContext,
  kindOf: (sku: string) => SkuKind = () => 'product',
): Decision<Wallet, RenewalResult> {
  const month = nextDueMonth(wallet, upTo);
  const result: RenewalResult = { renewed: [], lapsed: [], pointsDebited: 0 };
  if (month === null) return { result };
  const due = wallet.holdings.filter((h) => h.paidThrough < month);

  const quantities = new Map<string, number>();
  for (const lot of due) quantities.set(lot.sku, (quantities.get(lot.sku) ?? 0) + lot.quantity);
  const priced: Priced[] = [];
  for (const [sku, quantity] of [...quantities].sort(([a], [b]) => a.localeCompare(b))) {
    const price = priceOf(sku);
    if (!wallet.enrolled) result.lapsed.push({ sku, quantity, reason: 'not-enrolled' });
    else if (price === null) result.lapsed.push({ sku, quantity, reason: 'no-points-price' });
    else priced.push({ sku, quantity, price, kind: kindOf(sku) });
  }
  let budget = wallet.balance;
  for (const line of priced.sort(productsFirstThenCheapest)) {
    const paid = Math.min(line.quantity, Math.floor(budget / line.price));
    budget -= paid * line.price;
    if (paid > 0) result.renewed.push({ sku: line.sku, termMonths: MONTHLY_TERM, quantity: paid, pointsPerLicense: line.price });
    if (paid < line.quantity) result.lapsed.push({ sku: line.sku, quantity: line.quantity - paid, reason: 'insufficient-balance' });
  }
  result.renewed.sort((a, b) => a.sku.localeCompare(b.sku));
  result.lapsed.sort((a, b) => a.sku.localeCompare(b.sku));
  result.pointsDebited = wallet.balance - budget;

  const at = ctx.now.toISOString();
  const kept = wallet.holdings.filter((h) => h.paidThrough >= month);
  const renewedLots: Holding[] = result.renewed.map((l) => ({ sku: l.sku, quantity: l.quantity, paidThrough: month }));
  const next: Wallet = {
    ...wallet,
    balance: budget,
    holdings: addHoldings(kept, renewedLots),
    renewedMonths: [...wallet.renewedMonths.filter((m) => m !== month), month].sort().slice(-RENEWED_MONTHS_KEPT),
    updatedAt: at,
  };
  const renewalId = `renewal:${month}`;
  const events: EventDraft[] = [];
  if (result.renewed.length > 0) {
    const data: MonthlyRenewedV1 = {
      partnerId: wallet.partnerId,
      month,
      renewalId,
      lines: result.renewed,
      amount: -result.pointsDebited,
      balanceAfter: next.balance,
      walletVersion: ctx.version,
      renewedAt: at,
    };
    events.push(draft(wallet, PointsEvents.monthlyRenewed, data, ctx));
  }
  if (result.lapsed.length > 0) {
    const data: MonthlyLapsedV1 = {
      partnerId: wallet.partnerId,
      month,
      lines: result.lapsed.map((l) => ({ sku: l.sku, quantity: l.quantity, termMonths: MONTHLY_TERM, reason: l.reason })),
      lapsedAt: at,
      renewalId,
    };
    events.push(draft(wallet, PointsEvents.monthlyLapsed, data, ctx));
  }
  return { state: next, events, result };
}
