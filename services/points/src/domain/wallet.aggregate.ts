import {
  PointsEvents,
  type EnrolmentChangedV1,
  type EventDraft,
  type ExchangeCompletedV1,
  type ExchangeDebitedV1,
  type ExchangeRefundedV1,
  type PointsCreditedV1,
  type PointsLine,
} from '@licensing/events';
import { refuse, type Decision, type Refusal } from '@licensing/domain';
import { monthOf, PointsCodes, SETTLED_EXCHANGES_KEPT } from './points.rules';
import type { Quote } from './pricing';
import type { Release } from './release';

export type ExchangeStatus = 'pending' | 'completed' | 'refunded';

/** An MSSP Command exchange, a child of the wallet: debited with the wallet, settled by the pool's answer. */
export interface Exchange {
  exchangeId: string;
  lines: PointsLine[];
  totalPoints: number;
  status: ExchangeStatus;
  idempotencyKey: string | null;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refund: { code: string; reason: string } | null;
  /** Set when the pool has not answered within the timeout; the exchange keeps waiting (docs/points.md). */
  stalledAt: string | null;
  /**
   * The debit as its exchange-debited event told it (the event's id is the exchange id), so the
   * pool can be asked again with the very same message. Absent on exchanges debited before
   * issue 9.13, which are flagged stalled but never asked again.
   */
  debit?: { balanceAfter: number; walletVersion: number };
  /** When the pool was last asked: at the debit, then at each time it was asked again. */
  askedAt?: string;
  /** How many times the pool was asked again. */
  asks?: number;
}

/** Monthly licenses of one sku paid through the end of `paidThrough` (M4). */
export interface Holding {
  sku: string;
  quantity: number;
  paidThrough: string;
}

/** One wallet per partner: the aggregate every points command changes (DESIGN.md §4). */
export interface Wallet {
  partnerId: string;
  enrolled: boolean;
  balance: number;
  /** Every pending exchange and the most recent settled ones. */
  exchanges: Exchange[];
  holdings: Holding[];
  /** Every pending release of monthly licenses and the most recent settled ones (absent on wallets that never released). */
  releases?: Release[];
  renewedMonths: string[];
  createdAt: string;
  updatedAt: string;
}

/** Facts of the command that are not business input: the time, the version it writes, tracing ids. */
export interface ChangeContext {
  now: Date;
  /** The wallet version this change produces (events carry it to order the ledger). */
  version: number;
  correlationId?: string;
  causationId?: string;
}

const unchanged = <R>(result: R): Decision<Wallet, R> => ({ result });

/** A wallet event's draft: every points event is built here, stamped with the platform clock (ctx.now). */
export const draft = <T>(wallet: Wallet, type: string, data: T, ctx: ChangeContext, correlationId = ctx.correlationId): EventDraft<T> => ({
  type,
  subject: wallet.partnerId,
  partnerId: wallet.partnerId,
  data,
  // The platform clock's time, as the payload's own times (createEvent would take the system clock's).
  time: ctx.now,
  ...(correlationId ? { correlationId } : {}),
  ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
});

export function emptyWallet(partnerId: string, now: Date): Wallet {
  const at = now.toISOString();
  return { partnerId, enrolled: false, balance: 0, exchanges: [], holdings: [], renewedMonths: [], createdAt: at, updatedAt: at };
}

/**
 * M1: joining or leaving the MSSP Points programme. Leaving keeps the balance but freezes it:
 * no credits, no exchanges, and the monthly licenses lapse at the next renewal. Setting the
 * current value again changes nothing.
 */
export function changeEnrolment(wallet: Wallet | null, partnerId: string, enrolled: boolean, ctx: ChangeContext): Decision<Wallet, Wallet> {
  const current = wallet ?? emptyWallet(partnerId, ctx.now);
  if (current.enrolled === enrolled) return unchanged(current);
  const next = { ...current, enrolled, updatedAt: ctx.now.toISOString() };
  const data: EnrolmentChangedV1 = { partnerId, enrolled, balance: next.balance, walletVersion: ctx.version, changedAt: next.updatedAt };
  return { state: next, events: [draft(next, PointsEvents.enrolmentChanged, data, ctx)], result: next };
}

const requireEnrolled = (wallet: Wallet | null, partnerId: string): Refusal | undefined =>
  wallet?.enrolled ? undefined : refuse('conflict', PointsCodes.notEnrolled, `partner ${partnerId} is not enrolled in the MSSP Points programme`);

/** M1: points bought or granted enter an enrolled partner's wallet. */
export function creditPoints(
  wallet: Wallet | null,
  partnerId: string,
  credit: { creditId: string; amount: number; reason: string },
  ctx: ChangeContext,
): Decision<Wallet, Wallet> | Refusal {
  const refusal = requireEnrolled(wallet, partnerId);
  if (refusal || !wallet) return refusal as Refusal;
  if (!Number.isInteger(credit.amount) || credit.amount < 1)
    return refuse('invalid', PointsCodes.invalidAmount, 'a credit is a whole number of points, at least 1');
  const next = { ...wallet, balance: wallet.balance + credit.amount, updatedAt: ctx.now.toISOString() };
  const data: PointsCreditedV1 = {
    partnerId,
    creditId: credit.creditId,
    amount: credit.amount,
    reason: credit.reason,
    balanceAfter: next.balance,
    walletVersion: ctx.version,
    creditedAt: next.updatedAt,
  };
  return { state: next, events: [draft(next, PointsEvents.pointsCredited, data, ctx)], result: next };
}

/** M1, M2: what an exchange would cost and leave; the same check the exchange itself makes. */
export function checkExchange(wallet: Wallet | null, partnerId: string, quote: Quote): { cost: number; balanceAfter: number } | Refusal {
  const refusal = requireEnrolled(wallet, partnerId);
  if (refusal || !wallet) return refusal as Refusal;
  if (quote.totalPoints > wallet.balance) {
    return refuse('conflict', PointsCodes.insufficientBalance, `the exchange costs ${quote.totalPoints} points; the balance is ${wallet.balance}`, {
      cost: quote.totalPoints,
      balance: wallet.balance,
    });
  }
  return { cost: quote.totalPoints, balanceAfter: wallet.balance - quote.totalPoints };
}

/** Keeps every pending exchange and the newest settled ones, so the document stays bounded. */
function bounded(exchanges: Exchange[]): Exchange[] {
  const settled = exchanges.filter((e) => e.status !== 'pending');
  if (settled.length <= SETTLED_EXCHANGES_KEPT) return exchanges;
  const dropped = new Set(
    [...settled]
      .sort((a, b) => (a.settledAt ?? '').localeCompare(b.settledAt ?? ''))
      .slice(0, settled.length - SETTLED_EXCHANGES_KEPT)
      .map((e) => e.exchangeId),
  );
  return exchanges.filter((e) => !dropped.has(e.exchangeId));
}

/**
 * M2, M3: the first step of the exchange saga. The debit and the exchange-debited event are one
 * wallet update guarded by its version, so concurrent exchanges can never take the balance
 * below zero.
 */
export function requestExchange(
  wallet: Wallet | null,
  partnerId: string,
  request: { exchangeId: string; quote: Quote; idempotencyKey: string | null },
  ctx: ChangeContext & { correlationId: string },
): Decision<Wallet, Exchange> | Refusal {
  const check = checkExchange(wallet, partnerId, request.quote);
  if ('refused' in check || !wallet) return check as Refusal;
  const at = ctx.now.toISOString();
  const exchange: Exchange & Required<Pick<Exchange, 'debit'>> = {
    exchangeId: request.exchangeId,
    lines: request.quote.lines,
    totalPoints: request.quote.totalPoints,
    status: 'pending',
    idempotencyKey: request.idempotencyKey,
    correlationId: ctx.correlationId,
    requestedAt: at,
    settledAt: null,
    refund: null,
    stalledAt: null,
    debit: { balanceAfter: check.balanceAfter, walletVersion: ctx.version },
    askedAt: at,
    asks: 0,
  };
  const next = { ...wallet, balance: check.balanceAfter, exchanges: bounded([...wallet.exchanges, exchange]), updatedAt: at };
  return { state: next, events: [debitedEvent(next, exchange, ctx)], result: exchange };
}

/**
 * The exchange-debited event of an exchange, the same each time it is sent: its id is the
 * exchange id and its data the debit's, so every consumer that has it already (the pool, the
 * ledger) recognises it by id, and one that never got it (dead-lettered) takes it now.
 */
function debitedEvent(wallet: Wallet, exchange: Exchange & Required<Pick<Exchange, 'debit'>>, ctx: ChangeContext): EventDraft<ExchangeDebitedV1> {
  const data: ExchangeDebitedV1 = {
    exchangeId: exchange.exchangeId,
    partnerId: wallet.partnerId,
    lines: exchange.lines,
    totalPoints: exchange.totalPoints,
    debitedAt: exchange.requestedAt,
    balanceAfter: exchange.debit.balanceAfter,
    walletVersion: exchange.debit.walletVersion,
  };
  return {
    ...draft(wallet, PointsEvents.exchangeDebited, data, ctx, exchange.correlationId),
    id: exchange.exchangeId,
    time: new Date(exchange.requestedAt),
  };
}

export type Settlement = 'settled' | 'unknown-exchange' | 'already-completed' | 'already-refunded';

function settle(wallet: Wallet | null, exchangeId: string): { wallet: Wallet; exchange: Exchange } | Settlement {
  const exchange = wallet?.exchanges.find((e) => e.exchangeId === exchangeId);
  if (!wallet || !exchange) return 'unknown-exchange';
  if (exchange.status === 'completed') return 'already-completed';
  if (exchange.status === 'refunded') return 'already-refunded';
  return { wallet, exchange };
}

const replaceExchange = (wallet: Wallet, exchange: Exchange): Exchange[] =>
  bounded(wallet.exchanges.map((e) => (e.exchangeId === exchange.exchangeId ? exchange : e)));

/** Adds licenses to the holdings, merged with a lot of the same sku paid through the same month. */
export function addHoldings(holdings: Holding[], added: Holding[]): Holding[] {
  const merged = holdings.map((h) => ({ ...h }));
  for (const lot of added) {
    const same = merged.find((h) => h.sku === lot.sku && h.paidThrough === lot.paidThrough);
    if (same) same.quantity += lot.quantity;
    else merged.push({ ...lot });
  }
  return merged.sort((a, b) => a.sku.localeCompare(b.sku) || a.paidThrough.localeCompare(b.paidThrough));
}

/**
 * M3, M4: the pool credited the monthly licenses; the exchange ends completed. The licenses are
 * paid through the month of the debit and renew on the 1st of the next one.
 */
export function completeExchange(wallet: Wallet | null, exchangeId: string, ctx: ChangeContext): Decision<Wallet, Settlement> {
  const found = settle(wallet, exchangeId);
  if (typeof found === 'string') return unchanged(found);
  const at = ctx.now.toISOString();
  const paidThrough = monthOf(new Date(found.exchange.requestedAt));
  const exchange: Exchange = { ...found.exchange, status: 'completed', settledAt: at };
  const holdings = addHoldings(
    found.wallet.holdings,
    exchange.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, paidThrough })),
  );
  const next = { ...found.wallet, exchanges: replaceExchange(found.wallet, exchange), holdings, updatedAt: at };
  const data: ExchangeCompletedV1 = {
    exchangeId,
    partnerId: next.partnerId,
    lines: exchange.lines,
    totalPoints: exchange.totalPoints,
    paidThrough,
    walletVersion: ctx.version,
    completedAt: at,
  };
  return { state: next, events: [draft(next, PointsEvents.exchangeCompleted, data, ctx, exchange.correlationId)], result: 'settled' };
}

/**
 * M3: the pool refused the credit; the points come back and the exchange ends refunded. A
 * refund always happens, enrolled or not: it returns points the wallet already held.
 */
export function refundExchange(
  wallet: Wallet | null,
  exchangeId: string,
  refusal: { code: string; reason: string },
  ctx: ChangeContext,
): Decision<Wallet, Settlement> {
  const found = settle(wallet, exchangeId);
  if (typeof found === 'string') return unchanged(found);
  const at = ctx.now.toISOString();
  const exchange: Exchange = { ...found.exchange, status: 'refunded', settledAt: at, refund: refusal };
  const next = {
    ...found.wallet,
    balance: found.wallet.balance + exchange.totalPoints,
    exchanges: replaceExchange(found.wallet, exchange),
    updatedAt: at,
  };
  const data: ExchangeRefundedV1 = {
    exchangeId,
    partnerId: next.partnerId,
    amount: exchange.totalPoints,
    code: refusal.code,
    reason: refusal.reason,
    lines: exchange.lines,
    balanceAfter: next.balance,
    walletVersion: ctx.version,
    refundedAt: at,
  };
  return { state: next, events: [draft(next, PointsEvents.exchangeRefunded, data, ctx, exchange.correlationId)], result: 'settled' };
}

/** What chasing an exchange did: asked the pool again, and/or flagged it stalled for the first time. */
export interface Chase {
  askedAgain: boolean;
  flagged: boolean;
}

/**
 * The saga timeout (DESIGN §5): an exchange the pool has not answered within `timeoutMs` of the
 * last time it was asked is asked again, with the same exchange-debited event (same id), and
 * again after each further `timeoutMs`. The pool's answer is idempotent, so the exchange ends
 * completed or refunded whether the first message was only late or was dead-lettered
 * (issue 9.13). It is flagged stalled for operators the first time. An exchange debited before
 * this rule (no debit recorded) is only flagged.
 */
export function chaseExchange(wallet: Wallet | null, exchangeId: string, timeoutMs: number, ctx: ChangeContext): Decision<Wallet, Chase> {
  const exchange = wallet?.exchanges.find((e) => e.exchangeId === exchangeId);
  const nothing = unchanged<Chase>({ askedAgain: false, flagged: false });
  if (!wallet || !exchange || exchange.status !== 'pending') return nothing;
  if (Date.parse(exchange.askedAt ?? exchange.requestedAt) + timeoutMs > ctx.now.getTime()) return nothing;
  const at = ctx.now.toISOString();
  const flagged = exchange.stalledAt === null;
  if (!exchange.debit) {
    if (!flagged) return nothing;
    return { state: { ...wallet, exchanges: replaceExchange(wallet, { ...exchange, stalledAt: at }) }, result: { askedAgain: false, flagged } };
  }
  const chased = { ...exchange, debit: exchange.debit, stalledAt: exchange.stalledAt ?? at, askedAt: at, asks: (exchange.asks ?? 0) + 1 };
  return {
    state: { ...wallet, exchanges: replaceExchange(wallet, chased) },
    events: [debitedEvent(wallet, chased, ctx)],
    result: { askedAgain: true, flagged },
  };
}

/** When an exchange is next due to be asked again, if it is pending. */
export function nextChaseAt(exchange: Exchange, timeoutMs: number): Date | null {
  if (exchange.status !== 'pending') return null;
  return new Date(Date.parse(exchange.askedAt ?? exchange.requestedAt) + timeoutMs);
}
