import { refuse, type Decision, type Refusal } from '@licensing/domain';
import { PointsEvents, type MonthlyReleasedV1 } from '@licensing/events';
import { monthOf, MONTHLY_TERM, nextMonth, PointsCodes, SETTLED_RELEASES_KEPT } from './points.rules';
import { addHoldings, draft, type ChangeContext, type Holding, type Wallet } from './wallet.aggregate';

export type ReleaseStatus = 'pending' | 'released' | 'refused';

/**
 * M4: monthly licenses a partner gave up. They leave the holdings at once, so no renewal charges
 * them again; the pool takes them out of its available stock, or refuses when fewer are
 * available (the rest are reserved or assigned), and then they are held (and renewed) again.
 */
export interface Release {
  releaseId: string;
  idempotencyKey: string;
  sku: string;
  quantity: number;
  /** The lots taken from the holdings, as they were: held again if the pool refuses. */
  lots: Holding[];
  /** The first month they are no longer renewed for. */
  month: string;
  status: ReleaseStatus;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refusal: { code: string; reason: string } | null;
}

export interface ReleaseRequest {
  releaseId: string;
  idempotencyKey: string;
  sku: string;
  quantity: number;
}

/** The pool's answer: every license removed from its available stock, or none (`reason` says why). */
export type PoolReleaseAnswer = { removed: true } | { removed: false; code: string; reason: string };

export type ReleaseSettlement = 'settled' | 'unknown-release' | 'already-settled';

export const releasesOf = (wallet: Pick<Wallet, 'releases'> | null): Release[] => wallet?.releases ?? [];

/** Every pending release and the newest settled ones, so the document stays bounded. */
function bounded(releases: Release[]): Release[] {
  const settled = releases.filter((r) => r.status !== 'pending');
  if (settled.length <= SETTLED_RELEASES_KEPT) return releases;
  const dropped = new Set(
    [...settled]
      .sort((a, b) => (a.settledAt ?? '').localeCompare(b.settledAt ?? ''))
      .slice(0, settled.length - SETTLED_RELEASES_KEPT)
      .map((r) => r.releaseId),
  );
  return releases.filter((r) => !dropped.has(r.releaseId));
}

/**
 * Takes `quantity` licenses of a sku out of the holdings, the lots paid least far ahead first
 * (the partner gives up as little paid time as it can); undefined when fewer are held.
 */
function takeLots(holdings: Holding[], sku: string, quantity: number): { taken: Holding[]; left: Holding[] } | undefined {
  let wanted = quantity;
  const taken: Holding[] = [];
  const left: Holding[] = [];
  for (const lot of [...holdings].sort((a, b) => a.paidThrough.localeCompare(b.paidThrough))) {
    const take = lot.sku === sku ? Math.min(wanted, lot.quantity) : 0;
    wanted -= take;
    if (take > 0) taken.push({ ...lot, quantity: take });
    if (lot.quantity > take) left.push({ ...lot, quantity: lot.quantity - take });
  }
  return wanted > 0 ? undefined : { taken, left: addHoldings([], left) };
}

/**
 * M4: a partner releases monthly licenses it no longer needs. They stop renewing from the next
 * month (the paid month is not refunded), and the pool is asked to take them out of its
 * available stock (points.monthly-released.v1). Whether the partner is enrolled does not matter:
 * releasing costs nothing. Refused when the wallet holds fewer of the sku.
 */
export function releaseMonthly(
  wallet: Wallet | null,
  partnerId: string,
  request: ReleaseRequest,
  ctx: ChangeContext & { correlationId: string },
): Decision<Wallet, Release> | Refusal {
  const held = (wallet?.holdings ?? []).filter((h) => h.sku === request.sku).reduce((n, h) => n + h.quantity, 0);
  const lots = wallet ? takeLots(wallet.holdings, request.sku, request.quantity) : undefined;
  if (!wallet || !lots) {
    return refuse(
      'conflict',
      PointsCodes.notHeld,
      `the wallet holds ${held} monthly license(s) of ${request.sku}; it cannot release ${request.quantity}`,
      { sku: request.sku, held, quantity: request.quantity },
    );
  }
  const at = ctx.now.toISOString();
  const release: Release = {
    releaseId: request.releaseId,
    idempotencyKey: request.idempotencyKey,
    sku: request.sku,
    quantity: request.quantity,
    lots: lots.taken,
    month: nextMonth(monthOf(ctx.now)),
    status: 'pending',
    correlationId: ctx.correlationId,
    requestedAt: at,
    settledAt: null,
    refusal: null,
  };
  const next: Wallet = { ...wallet, holdings: lots.left, releases: bounded([...releasesOf(wallet), release]), updatedAt: at };
  const data: MonthlyReleasedV1 = {
    partnerId,
    releaseId: release.releaseId,
    month: release.month,
    lines: [{ sku: release.sku, termMonths: MONTHLY_TERM, quantity: release.quantity }],
    releasedAt: at,
    walletVersion: ctx.version,
  };
  return { state: next, events: [draft(next, PointsEvents.monthlyReleased, data, ctx)], result: release };
}

/**
 * The pool's answer to a release: done, or refused, and then the licenses are held again as they
 * were (paid through the same month), so the next renewal charges every month since (M4) or
 * lapses them. A second answer changes nothing.
 */
export function settleRelease(
  wallet: Wallet | null,
  releaseId: string,
  answer: PoolReleaseAnswer,
  ctx: ChangeContext,
): Decision<Wallet, ReleaseSettlement> {
  const release = releasesOf(wallet).find((r) => r.releaseId === releaseId);
  if (!wallet || !release) return { result: 'unknown-release' };
  if (release.status !== 'pending') return { result: 'already-settled' };
  const at = ctx.now.toISOString();
  const settled: Release = answer.removed
    ? { ...release, status: 'released', settledAt: at }
    : { ...release, status: 'refused', settledAt: at, refusal: { code: answer.code, reason: answer.reason } };
  const releases = bounded(releasesOf(wallet).map((r) => (r.releaseId === releaseId ? settled : r)));
  const holdings = answer.removed ? wallet.holdings : addHoldings(wallet.holdings, release.lots);
  return { state: { ...wallet, holdings, releases, updatedAt: at }, result: 'settled' };
}
