import {
  PoolEvents,
  type CommitRejectedV1,
  type CreditRejectedV1,
  type EventDraft,
  type LicensesReservedV1,
  type LicensesUnassignedV1,
  type PoolTerm,
  type RejectedLine,
  type ReservationCommittedV1,
  type ReservationRejectedV1,
  type ReservationReleasedV1,
  type StockCreditedV1,
  type StockExpiredV1,
  type StockLine,
  type StockLowV1,
  type StockMovement,
  type ThresholdSetV1,
  type UnassignedLine,
} from '@licensing/events';
import { refuse, type Decision, type Refusal } from '@licensing/domain';
import { PoolCodes } from './pool.errors';
import { byLine, lineRefusal, MAX_LINE_QUANTITY, mergeLines, MONTHLY_TERM, type SkuLookup, type SkuFacts } from './stock-rules';

/** The stock of one (sku, term), by bucket (P1). No bucket is ever below zero (P3). */
export interface PoolLine {
  sku: string;
  termMonths: PoolTerm;
  available: number;
  reserved: number;
  assigned: number;
}

/** Licenses held for an assignment until contracts commit or release them, or `expiresAt` passes. */
export interface Reservation {
  assignmentId: string;
  clientId: string;
  lines: StockLine[];
  reservedAt: string;
  expiresAt: string;
  /** The saga's correlation id, for the events a timeout causes later. */
  correlationId: string;
}

/**
 * How an assignment ended here; released ones keep their lines for a late activation. A lapsed
 * one lost its reserved monthly licenses to a lapse (M4): it can never be committed.
 */
export interface ClosedAssignment {
  assignmentId: string;
  outcome: 'committed' | 'released' | 'rejected' | 'lapsed';
  lines?: StockLine[];
}

/** What an assignment came to, as the durable record of assignment ids keeps it past the pool's window. */
export type AssignmentOutcome = { status: 'reserved' | 'rejected' | 'committed' | 'lapsed' } | { status: 'released'; lines: StockLine[] };

/**
 * What the durable records know of a business id the pool document may have forgotten (DESIGN
 * §4: an orderId, assignmentId or credit key is honoured once, ever): whether this body is the
 * one that used it, and what it came to.
 */
export interface PastUse<O = unknown> {
  sameBody: boolean;
  outcome?: O | null;
}

export interface Threshold {
  sku: string;
  threshold: number;
}

/**
 * One partner's pool, the aggregate of DESIGN.md §4: every stock change of a partner is one
 * version-checked write of this document. `openedAt` is null until stock first enters: such a
 * document exists only to carry the answers to requests for a partner the pool does not know.
 */
export interface Pool {
  partnerId: string;
  openedAt: string | null;
  lines: PoolLine[];
  reservations: Reservation[];
  thresholds: Threshold[];
  /** Recent purchases (orderId with a digest of its lines), for idempotency by orderId. */
  orders: { orderId: string; digest: string }[];
  /** Recent credit ids (`source:creditId`): a credit is taken once. */
  credits: string[];
  /** Recent ended assignments: an assignmentId is used once. */
  closed: ClosedAssignment[];
  /** Lapses received before their month began, applied on its 1st (absent in older documents). */
  lapses?: PendingLapse[];
  updatedAt: string;
}

/**
 * How many orders, credits and ended assignments a pool document remembers (older ones: the ledger
 * and pool_keys): a window kept small, since every save writes the state whole.
 */
export const RECENT_LIMIT = 100;

/** Who and when: every decision gets the time, the version it read and the message that caused it. */
export interface PoolContext {
  now: Date;
  version: number;
  correlationId: string;
  causationId?: string;
}

const recent = <T>(items: T[]): T[] => items.slice(-RECENT_LIMIT);

export function emptyPool(partnerId: string, now: Date): Pool {
  return {
    partnerId,
    openedAt: null,
    lines: [],
    reservations: [],
    thresholds: [],
    orders: [],
    credits: [],
    closed: [],
    lapses: [],
    updatedAt: now.toISOString(),
  };
}

export const lineOf = (pool: Pool | null, sku: string, termMonths: number): PoolLine | undefined =>
  pool?.lines.find((l) => l.sku === sku && l.termMonths === termMonths);

export const availableOf = (pool: Pool | null, sku: string): number =>
  (pool?.lines ?? []).filter((l) => l.sku === sku).reduce((sum, l) => sum + l.available, 0);

const movement = (line: StockLine, delta: Partial<Omit<StockMovement, 'sku' | 'termMonths'>>): StockMovement => ({
  sku: line.sku,
  termMonths: line.termMonths,
  available: delta.available ?? 0,
  reserved: delta.reserved ?? 0,
  assigned: delta.assigned ?? 0,
});

/** Applies movements to the stock lines; a bucket below zero is a bug, never a state (P3). */
export function applyMovements(lines: PoolLine[], movements: StockMovement[]): PoolLine[] {
  const next = lines.map((l) => ({ ...l }));
  for (const m of movements) {
    let line = next.find((l) => l.sku === m.sku && l.termMonths === m.termMonths);
    if (!line) {
      line = { sku: m.sku, termMonths: m.termMonths, available: 0, reserved: 0, assigned: 0 };
      next.push(line);
    }
    line.available += m.available;
    line.reserved += m.reserved;
    line.assigned += m.assigned;
    if (line.available < 0 || line.reserved < 0 || line.assigned < 0) {
      throw new Error(`P3 violated: ${m.sku}/${m.termMonths} would go below zero (${JSON.stringify(line)})`);
    }
  }
  return next.sort(byLine);
}

function draft<T>(pool: Pool, ctx: PoolContext, type: string, data: T, correlationId = ctx.correlationId): EventDraft<T> {
  return { type, subject: pool.partnerId, partnerId: pool.partnerId, data, correlationId, causationId: ctx.causationId, time: ctx.now };
}

/** Every change that lowers a sku's available stock through its threshold says so (stock-low). */
function lowStockEvents(before: Pool | null, after: Pool, ctx: PoolContext): EventDraft<StockLowV1>[] {
  return after.thresholds
    .filter((t) => availableOf(before, t.sku) >= t.threshold && availableOf(after, t.sku) < t.threshold)
    .map((t) =>
      draft<StockLowV1>(after, ctx, PoolEvents.stockLow, {
        partnerId: after.partnerId,
        sku: t.sku,
        threshold: t.threshold,
        available: availableOf(after, t.sku),
        detectedAt: ctx.now.toISOString(),
      }),
    );
}

function changed<R>(before: Pool | null, after: Pool, ctx: PoolContext, events: EventDraft[], result: R): Decision<Pool, R> {
  const state = { ...after, updatedAt: ctx.now.toISOString() };
  return { state, events: [...events, ...lowStockEvents(before, state, ctx)], result };
}

const nothing = <R>(result: R): Decision<Pool, R> => ({ result });

// ---------------------------------------------------------------- purchases (P2)

export interface PurchaseOrder {
  orderId: string;
  lines: StockLine[];
}

/**
 * How an order is known again: the digest of its merged lines (the same orderId with other lines
 * is another order), and for an order older than the pool's memory of recent orders, the digest
 * of the order as the ledger recorded it. Hashing is the edge's business.
 */
export interface OrderDigests {
  digest: string;
  past?: string;
}

export interface Purchased {
  duplicate: boolean;
  lines: StockLine[];
}

/**
 * P2 purchase: annual licenses enter the pool, once per orderId. The same order again changes
 * nothing; the same orderId with other lines is refused.
 */
export function purchase(
  pool: Pool | null,
  partnerId: string,
  order: PurchaseOrder,
  lookup: SkuLookup,
  ctx: PoolContext,
  digests: OrderDigests,
): Decision<Pool, Purchased | Refusal> {
  const lines = mergeLines(order.lines);
  const { digest } = digests;
  const known = pool?.orders.find((o) => o.orderId === order.orderId)?.digest ?? digests.past;
  if (known !== undefined) {
    if (known === digest) return nothing({ duplicate: true, lines });
    return nothing(refuse('conflict', PoolCodes.orderConflict, `order ${order.orderId} was already taken with other lines`));
  }
  // The cap holds on the merged lines: two lines of a million are one line of two million.
  const tooLarge = lines.find((line) => line.quantity > MAX_LINE_QUANTITY);
  if (tooLarge) {
    return nothing(
      refuse(
        'invalid',
        PoolCodes.quantityTooLarge,
        `an order adds at most ${MAX_LINE_QUANTITY} licenses of one sku and term; ${tooLarge.sku} (${tooLarge.termMonths} months) totals ${tooLarge.quantity}`,
      ),
    );
  }
  const refusals = lines.map((line) => ({ line, refusal: lineRefusal(line, lookup(line.sku), 'purchase') })).filter((r) => r.refusal);
  const first = refusals[0]?.refusal;
  if (first) {
    const details = { lines: refusals.map(({ line, refusal }) => ({ sku: line.sku, termMonths: line.termMonths, ...refusal })) };
    return nothing(refuse('invalid', first.code, first.reason, details));
  }
  const base = pool ?? emptyPool(partnerId, ctx.now);
  const movements = lines.map((line) => movement(line, { available: line.quantity }));
  const after: Pool = {
    ...base,
    openedAt: base.openedAt ?? ctx.now.toISOString(),
    lines: applyMovements(base.lines, movements),
    orders: recent([...base.orders, { orderId: order.orderId, digest }]),
  };
  const event = draft<StockCreditedV1>(after, ctx, PoolEvents.stockCredited, {
    partnerId,
    creditId: order.orderId,
    source: 'purchase',
    lines,
    creditedAt: ctx.now.toISOString(),
    poolVersion: ctx.version + 1,
  });
  return changed(pool, after, ctx, [event], { duplicate: false, lines });
}

// ---------------------------------------------------------------- reservations (P3, assignment saga)

export interface ReservationRequest {
  assignmentId: string;
  clientId: string;
  lines: StockLine[];
}

export type ReserveResult =
  | { outcome: 'reserved'; reservation: Reservation }
  | { outcome: 'rejected'; code: string }
  | { outcome: 'ignored' }
  /** The assignmentId was used before with another client or other lines: nothing is done. */
  | { outcome: 'conflict' };

/** What an assignment came to, as the pool document shows it (undefined once its window has forgotten it). */
export function outcomeOf(pool: Pool | null, assignmentId: string): AssignmentOutcome | undefined {
  if (pool?.reservations.some((r) => r.assignmentId === assignmentId)) return { status: 'reserved' };
  const closed = pool?.closed.find((c) => c.assignmentId === assignmentId);
  if (!closed) return undefined;
  return closed.outcome === 'released' ? { status: 'released', lines: closed.lines ?? [] } : { status: closed.outcome };
}

const knowsAssignment = (pool: Pool | null, assignmentId: string): boolean =>
  !!pool && (pool.reservations.some((r) => r.assignmentId === assignmentId) || pool.closed.some((c) => c.assignmentId === assignmentId));

/**
 * P3 reserve: every line or none. A line is refused for the catalog's reasons or for want of
 * stock; the answer lists each line with what the pool holds. An assignmentId is used once,
 * ever: `past` is what the durable records know of it; another body under it is a conflict.
 */
export function reserve(
  pool: Pool | null,
  partnerId: string,
  request: ReservationRequest,
  lookup: SkuLookup,
  ctx: PoolContext,
  timeoutMs: number,
  past?: PastUse<AssignmentOutcome>,
): Decision<Pool, ReserveResult> {
  if (past) return nothing(past.sameBody ? { outcome: 'ignored' } : { outcome: 'conflict' });
  if (knowsAssignment(pool, request.assignmentId)) return nothing({ outcome: 'ignored' });
  const base = pool ?? emptyPool(partnerId, ctx.now);
  const lines = mergeLines(request.lines);
  const checked: RejectedLine[] = lines.map((line) => {
    const available = lineOf(base, line.sku, line.termMonths)?.available ?? 0;
    const refusal =
      lineRefusal(line, lookup(line.sku), 'reservation') ??
      (available < line.quantity ? { code: PoolCodes.insufficientStock, reason: `${line.quantity} requested, ${available} available` } : undefined);
    return { ...line, available, ...refusal };
  });
  const refused = checked.filter((l) => l.code);
  if (refused.length > 0) {
    const unknownPartner = base.openedAt === null;
    const code = unknownPartner ? PoolCodes.partnerNotFound : (refused[0]?.code as string);
    const reason = unknownPartner ? `partner ${partnerId} has no pool` : refused.map((l) => `${l.sku}/${l.termMonths}: ${l.reason}`).join('; ');
    const after: Pool = { ...base, closed: recent([...base.closed, { assignmentId: request.assignmentId, outcome: 'rejected' }]) };
    const event = draft<ReservationRejectedV1>(after, ctx, PoolEvents.reservationRejected, {
      partnerId,
      assignmentId: request.assignmentId,
      clientId: request.clientId,
      code,
      reason,
      lines: checked,
      rejectedAt: ctx.now.toISOString(),
    });
    return changed(pool, after, ctx, [event], { outcome: 'rejected', code });
  }
  const reservation: Reservation = {
    assignmentId: request.assignmentId,
    clientId: request.clientId,
    lines,
    reservedAt: ctx.now.toISOString(),
    expiresAt: new Date(ctx.now.getTime() + timeoutMs).toISOString(),
    correlationId: ctx.correlationId,
  };
  const movements = lines.map((line) => movement(line, { available: -line.quantity, reserved: line.quantity }));
  const after: Pool = { ...base, lines: applyMovements(base.lines, movements), reservations: [...base.reservations, reservation] };
  const event = draft<LicensesReservedV1>(after, ctx, PoolEvents.licensesReserved, {
    partnerId,
    assignmentId: request.assignmentId,
    clientId: request.clientId,
    lines,
    movements,
    expiresAt: reservation.expiresAt,
    poolVersion: ctx.version + 1,
    reservedAt: reservation.reservedAt,
  });
  return changed(pool, after, ctx, [event], { outcome: 'reserved', reservation });
}

export type CommitResult = { outcome: 'committed'; late: boolean } | { outcome: 'commit-rejected'; code: string } | { outcome: 'ignored' };

/** The contracts an activation started, each on licenses of one sku and term. */
export interface Activation {
  assignmentId: string;
  contracts: { contractId: string; sku: string; termMonths: number; quantity: number }[];
}

/** Whether the activated contracts use exactly the reserved lines (merged by sku and term). */
export function matchesReservation(activation: Activation, lines: readonly StockLine[]): boolean {
  const key = (ls: readonly { sku: string; termMonths: number; quantity: number }[]) =>
    JSON.stringify(mergeLines(ls.map((l) => ({ sku: l.sku, termMonths: l.termMonths as PoolTerm, quantity: l.quantity }))));
  return key(activation.contracts) === key(lines);
}

/**
 * Contracts were activated: the reservation's licenses become assigned, when the contracts use
 * exactly the reserved lines (else commit-rejected, POOL.COMMIT_MISMATCH, and the reservation
 * stays until it is released or times out). A reservation already released by its timeout is
 * taken again from available when the stock is still there; otherwise the pool says it cannot
 * (commit-rejected) and changes nothing. One whose monthly licenses lapsed never commits.
 * `past` is what the durable records know of an assignment the document has forgotten.
 */
export function commit(
  pool: Pool | null,
  partnerId: string,
  activation: Activation,
  ctx: PoolContext,
  past?: PastUse<AssignmentOutcome>,
): Decision<Pool, CommitResult> {
  const { assignmentId } = activation;
  const contractIds = activation.contracts.map((c) => c.contractId);
  const open = pool?.reservations.find((r) => r.assignmentId === assignmentId);
  const closed: ClosedAssignment | undefined =
    pool?.closed.find((c) => c.assignmentId === assignmentId) ?? (open ? undefined : closedOf(assignmentId, past?.outcome));
  const base = pool ?? emptyPool(partnerId, ctx.now);
  const rejectCommit = (code: string, reason: string, lines?: StockLine[]) => {
    const event = draft<CommitRejectedV1>(base, ctx, PoolEvents.commitRejected, {
      partnerId,
      assignmentId,
      contractIds,
      code,
      reason,
      ...(lines ? { lines: lines.map((l) => ({ ...l, available: lineOf(base, l.sku, l.termMonths)?.available ?? 0 })) } : {}),
      rejectedAt: ctx.now.toISOString(),
    });
    return changed<CommitResult>(pool, base, ctx, [event], { outcome: 'commit-rejected', code });
  };
  const mismatch = (lines: StockLine[]) =>
    rejectCommit(
      PoolCodes.commitMismatch,
      `the activated contracts (${describe(activation.contracts)}) are not the reserved lines (${describe(lines)}) of ${assignmentId}`,
      lines,
    );
  if (pool && open) {
    if (!matchesReservation(activation, open.lines)) return mismatch(open.lines);
    const movements = open.lines.map((line) => movement(line, { reserved: -line.quantity, assigned: line.quantity }));
    return committed(pool, open.lines, movements, false, assignmentId, contractIds, ctx);
  }
  if (closed?.outcome === 'committed') return nothing({ outcome: 'ignored' });
  if (closed?.outcome === 'lapsed') {
    return rejectCommit(PoolCodes.reservationLapsed, `the monthly licenses reserved for ${assignmentId} lapsed before the activation (M4)`);
  }
  if (pool && closed?.outcome === 'released' && closed.lines) {
    const lines = closed.lines;
    if (!matchesReservation(activation, lines)) return mismatch(lines);
    if (lines.every((l) => (lineOf(pool, l.sku, l.termMonths)?.available ?? 0) >= l.quantity)) {
      const movements = lines.map((line) => movement(line, { available: -line.quantity, assigned: line.quantity }));
      return committed(pool, lines, movements, true, assignmentId, contractIds, ctx);
    }
    return rejectCommit(
      PoolCodes.reservationExpired,
      `the reservation of ${assignmentId} was released before the activation and the stock has gone since`,
      lines,
    );
  }
  return rejectCommit(PoolCodes.reservationNotFound, `the pool holds no reservation for ${assignmentId}`);
}

const describe = (lines: readonly { sku: string; termMonths: number; quantity: number }[]): string =>
  lines.map((l) => `${l.quantity} × ${l.sku}/${l.termMonths}`).join(', ') || 'none';

/** An assignment the document has forgotten, as its durable record says it ended. */
function closedOf(assignmentId: string, outcome: AssignmentOutcome | null | undefined): ClosedAssignment | undefined {
  if (!outcome || outcome.status === 'reserved') return undefined;
  return outcome.status === 'released' ? { assignmentId, outcome: 'released', lines: outcome.lines } : { assignmentId, outcome: outcome.status };
}

function committed(
  pool: Pool,
  lines: StockLine[],
  movements: StockMovement[],
  late: boolean,
  assignmentId: string,
  contractIds: string[],
  ctx: PoolContext,
): Decision<Pool, CommitResult> {
  const after: Pool = {
    ...pool,
    lines: applyMovements(pool.lines, movements),
    reservations: pool.reservations.filter((r) => r.assignmentId !== assignmentId),
    closed: recent([...pool.closed.filter((c) => c.assignmentId !== assignmentId), { assignmentId, outcome: 'committed' }]),
  };
  const event = draft<ReservationCommittedV1>(after, ctx, PoolEvents.reservationCommitted, {
    partnerId: pool.partnerId,
    assignmentId,
    contractIds,
    lines,
    late,
    movements,
    poolVersion: ctx.version + 1,
    committedAt: ctx.now.toISOString(),
  });
  return changed(pool, after, ctx, [event], { outcome: 'committed', late });
}

export type ReleaseResult = { outcome: 'released'; assignmentIds: string[] } | { outcome: 'ignored' };

/** Contracts gave up the assignment: its open reservation goes back to available. */
export function release(pool: Pool | null, assignmentId: string, detail: string, ctx: PoolContext): Decision<Pool, ReleaseResult> {
  const open = pool?.reservations.find((r) => r.assignmentId === assignmentId);
  if (!pool || !open) return nothing({ outcome: 'ignored' });
  return released(pool, [open], 'rejected', detail, ctx);
}

/** A reservation never stays open forever: past `expiresAt` it is released (reason timeout). */
export function releaseExpired(pool: Pool | null, ctx: PoolContext): Decision<Pool, ReleaseResult> {
  const expired = pool?.reservations.filter((r) => Date.parse(r.expiresAt) <= ctx.now.getTime()) ?? [];
  if (!pool || expired.length === 0) return nothing({ outcome: 'ignored' });
  return released(pool, expired, 'timeout', undefined, ctx);
}

type ReleaseReason = ReservationReleasedV1['reason'];

function released(
  pool: Pool,
  reservations: Reservation[],
  reason: ReleaseReason,
  detail: string | undefined,
  ctx: PoolContext,
): Decision<Pool, ReleaseResult> {
  const { after, events } = releaseReservations(pool, reservations, reason, detail, ctx);
  return changed(pool, after, ctx, events, { outcome: 'released', assignmentIds: reservations.map((r) => r.assignmentId) });
}

/**
 * Open reservations end: their lines go back to available, each with a reservation-released.
 * A lapse's release closes them as `lapsed` (no late commit); the others as `released`, with
 * their lines, so a late activation can take them again.
 */
function releaseReservations(
  pool: Pool,
  reservations: Reservation[],
  reason: ReleaseReason,
  detail: string | undefined,
  ctx: PoolContext,
): { after: Pool; events: EventDraft[] } {
  let lines = pool.lines;
  const events: EventDraft[] = [];
  for (const r of reservations) {
    const movements = r.lines.map((line) => movement(line, { available: line.quantity, reserved: -line.quantity }));
    lines = applyMovements(lines, movements);
    const data: ReservationReleasedV1 = {
      partnerId: pool.partnerId,
      assignmentId: r.assignmentId,
      reason,
      ...(detail === undefined ? {} : { detail }),
      lines: r.lines,
      movements,
      poolVersion: ctx.version + 1,
      releasedAt: ctx.now.toISOString(),
    };
    // A timeout or a lapse belongs to the saga that reserved; a rejection to the message that asked for it.
    events.push(draft(pool, ctx, PoolEvents.reservationReleased, data, reason === 'rejected' ? ctx.correlationId : r.correlationId));
  }
  const ids = new Set(reservations.map((r) => r.assignmentId));
  const closing: ClosedAssignment[] = reservations.map((r) =>
    reason === 'lapsed' ? { assignmentId: r.assignmentId, outcome: 'lapsed' } : { assignmentId: r.assignmentId, outcome: 'released', lines: r.lines },
  );
  const after: Pool = {
    ...pool,
    lines,
    reservations: pool.reservations.filter((r) => !ids.has(r.assignmentId)),
    closed: recent([...pool.closed, ...closing]),
  };
  return { after, events };
}

// ---------------------------------------------------------------- credits (P2: points exchange, recovery)

export interface CreditRequest {
  creditId: string;
  source: 'points' | 'recovery';
  lines: StockLine[];
}

export type CreditResult =
  | { outcome: 'credited' }
  | { outcome: 'rejected'; code: string }
  | { outcome: 'ignored' }
  /** The credit key was used before with other lines: nothing is done. */
  | { outcome: 'conflict' };

/**
 * Licenses from a points exchange (monthly, term 1) or a recovery (their original term, C5)
 * enter the pool in full or not at all; the answer is stock-credited or credit-rejected. A
 * credit key (`source:creditId`) is taken once, ever: `past` is what the durable records know
 * of it; other lines under it are a conflict.
 */
export function credit(
  pool: Pool | null,
  partnerId: string,
  request: CreditRequest,
  lookup: SkuLookup,
  ctx: PoolContext,
  past?: PastUse,
): Decision<Pool, CreditResult> {
  const key = `${request.source}:${request.creditId}`;
  if (past) return nothing(past.sameBody ? { outcome: 'ignored' } : { outcome: 'conflict' });
  if (pool?.credits.includes(key)) return nothing({ outcome: 'ignored' });
  const base = pool ?? emptyPool(partnerId, ctx.now);
  const lines = mergeLines(request.lines);
  const checked = lines.map((line) => ({ line, refusal: lineRefusal(line, lookup(line.sku), request.source) }));
  const first = checked.find((c) => c.refusal)?.refusal;
  if (first) {
    const after: Pool = { ...base, credits: recent([...base.credits, key]) };
    const event = draft<CreditRejectedV1>(after, ctx, PoolEvents.creditRejected, {
      partnerId,
      creditId: request.creditId,
      source: request.source,
      code: first.code,
      reason: first.reason,
      lines: checked.map(({ line, refusal }) => ({ ...line, ...(refusal ? { code: refusal.code } : {}) })),
      rejectedAt: ctx.now.toISOString(),
    });
    return changed(pool, after, ctx, [event], { outcome: 'rejected', code: first.code });
  }
  const movements = lines.map((line) => movement(line, { available: line.quantity }));
  const after: Pool = {
    ...base,
    openedAt: base.openedAt ?? ctx.now.toISOString(),
    lines: applyMovements(base.lines, movements),
    credits: recent([...base.credits, key]),
  };
  const event = draft<StockCreditedV1>(after, ctx, PoolEvents.stockCredited, {
    partnerId,
    creditId: request.creditId,
    source: request.source,
    lines,
    creditedAt: ctx.now.toISOString(),
    poolVersion: ctx.version + 1,
  });
  return changed(pool, after, ctx, [event], { outcome: 'credited' });
}

// ---------------------------------------------------------------- expiry (M4)

export interface Lapse {
  month: string;
  reference: string;
  lines: { sku: string; quantity: number }[];
}

/** A lapse received before its month began, with the ids of the message that brought it. */
export interface PendingLapse extends Lapse {
  /** The 1st of `month`, 00:00 UTC: when the licenses stop being paid for. */
  dueAt: string;
  correlationId: string;
  causationId?: string;
}

export type ExpireResult =
  | { outcome: 'expired'; removed: number; shortfall: number; released?: string[] }
  /** The lapse is for a month that has not begun: it is kept and applied on its 1st. */
  | { outcome: 'deferred'; dueAt: string }
  | { outcome: 'ignored' };

/** The 1st of a `YYYY-MM` month, 00:00 UTC. */
export const startOfMonth = (month: string): string => `${month}-01T00:00:00.000Z`;

/**
 * M4 lapse: monthly licenses not renewed for `month` leave the pool on the 1st of that month,
 * since they are paid until then: a lapse received earlier (a renewal run for the next month)
 * waits in the pool document and is applied by the sweep once its month has begun. The
 * licenses leave available first, then reserved ones (not paid for either: their reservations
 * end, reason `lapsed`, newest first, so no later activation can commit them), then assigned
 * ones (their contracts expire by C9). What the pool does not hold is a shortfall.
 */
export function expire(pool: Pool | null, lapse: Lapse, ctx: PoolContext): Decision<Pool, ExpireResult> {
  if (!pool) return nothing({ outcome: 'ignored' });
  const dueAt = startOfMonth(lapse.month);
  if (ctx.now.getTime() < Date.parse(dueAt)) {
    const pending: PendingLapse = { ...lapse, dueAt, correlationId: ctx.correlationId, ...(ctx.causationId ? { causationId: ctx.causationId } : {}) };
    return changed(pool, { ...pool, lapses: [...(pool.lapses ?? []), pending] }, ctx, [], { outcome: 'deferred', dueAt });
  }
  const applied = applyLapse(pool, lapse, ctx);
  if (!applied) return nothing({ outcome: 'ignored' });
  return changed(pool, applied.after, ctx, applied.events, applied.result);
}

/** The sweep's part of M4: every lapse kept for a month that has now begun is applied, in one write. */
export function expireDue(
  pool: Pool | null,
  ctx: PoolContext,
): Decision<Pool, { outcome: 'expired'; months: string[]; released: string[] } | { outcome: 'ignored' }> {
  const pending = pool?.lapses ?? [];
  const due = pending.filter((l) => Date.parse(l.dueAt) <= ctx.now.getTime());
  if (!pool || due.length === 0) return nothing({ outcome: 'ignored' });
  let after: Pool = { ...pool, lapses: pending.filter((l) => !due.includes(l)) };
  const events: EventDraft[] = [];
  const released: string[] = [];
  for (const lapse of due) {
    // Its events carry the ids of the lapse message that brought it.
    const applied = applyLapse(after, lapse, { ...ctx, correlationId: lapse.correlationId, causationId: lapse.causationId });
    if (!applied) continue;
    after = applied.after;
    events.push(...applied.events);
    if (applied.result.outcome === 'expired') released.push(...(applied.result.released ?? []));
  }
  return changed(pool, after, ctx, events, { outcome: 'expired', months: due.map((l) => l.month), released });
}

function applyLapse(pool: Pool, lapse: Lapse, ctx: PoolContext): { after: Pool; events: EventDraft[]; result: ExpireResult } | undefined {
  const bySku = new Map<string, number>();
  for (const l of lapse.lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  let after = pool;
  const events: EventDraft[] = [];
  const released: string[] = [];
  const lines: StockExpiredV1['lines'] = [];
  const movements: StockMovement[] = [];
  for (const [sku, quantity] of [...bySku].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let short = quantity - (lineOf(after, sku, MONTHLY_TERM)?.available ?? 0);
    const ending: Reservation[] = [];
    for (const r of newestFirst(after.reservations)) {
      if (short <= 0) break;
      const held = r.lines.filter((l) => l.sku === sku && l.termMonths === MONTHLY_TERM).reduce((n, l) => n + l.quantity, 0);
      if (held === 0) continue;
      ending.push(r);
      short -= held;
    }
    if (ending.length > 0) {
      const ended = releaseReservations(after, ending, 'lapsed', `lapse ${lapse.reference} of ${lapse.month}`, ctx);
      after = ended.after;
      events.push(...ended.events);
      released.push(...ending.map((r) => r.assignmentId));
    }
    const held = lineOf(after, sku, MONTHLY_TERM);
    const fromAvailable = Math.min(quantity, held?.available ?? 0);
    const fromAssigned = Math.min(quantity - fromAvailable, held?.assigned ?? 0);
    const removed = fromAvailable + fromAssigned;
    lines.push({ sku, termMonths: MONTHLY_TERM, quantity, removed, shortfall: quantity - removed });
    if (removed > 0) {
      const m = movement({ sku, termMonths: MONTHLY_TERM, quantity }, { available: -fromAvailable, assigned: -fromAssigned });
      after = { ...after, lines: applyMovements(after.lines, [m]) };
      movements.push(m);
    }
  }
  if (movements.length === 0) return undefined;
  events.push(
    draft<StockExpiredV1>(after, ctx, PoolEvents.stockExpired, {
      partnerId: pool.partnerId,
      month: lapse.month,
      reference: lapse.reference,
      lines,
      movements,
      poolVersion: ctx.version + 1,
      expiredAt: ctx.now.toISOString(),
    }),
  );
  const removed = lines.reduce((n, l) => n + l.removed, 0);
  const shortfall = lines.reduce((n, l) => n + l.shortfall, 0);
  return { after, events, result: { outcome: 'expired', removed, shortfall, ...(released.length > 0 ? { released } : {}) } };
}

const newestFirst = (reservations: readonly Reservation[]): Reservation[] =>
  [...reservations].sort((a, b) =>
    a.reservedAt === b.reservedAt ? (a.assignmentId < b.assignmentId ? 1 : -1) : a.reservedAt < b.reservedAt ? 1 : -1,
  );

/** Monthly licenses a partner released with points (points.monthly-released.v1), all lines or none. */
export interface MonthlyRelease {
  releaseId: string;
  /** The first month they are no longer renewed for. */
  month: string;
  lines: { sku: string; quantity: number }[];
}

/**
 * M4 release: monthly licenses the partner no longer wants leave the available stock, like a
 * lapse of available licenses only, all lines or none: when fewer are available (the rest are
 * reserved or assigned), nothing moves and every line is a shortfall, so the points service holds
 * and renews them again. Either way the answer is pool.stock-expired.v1 under the reference
 * `release:<releaseId>` (a refusal carries one zero movement per line, the schema's minimum).
 * Contracts are never touched: nothing leaves assigned.
 */
export function releaseAvailable(
  pool: Pool | null,
  partnerId: string,
  release: MonthlyRelease,
  ctx: PoolContext,
): Decision<Pool, { outcome: 'released' | 'refused'; removed: number }> {
  const base = pool ?? emptyPool(partnerId, ctx.now);
  const bySku = new Map<string, number>();
  for (const l of release.lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
  const asked = [...bySku].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sku, quantity]) => ({ sku, termMonths: MONTHLY_TERM as 1, quantity }));
  const refused = asked.some((l) => (lineOf(base, l.sku, MONTHLY_TERM)?.available ?? 0) < l.quantity);
  const lines: StockExpiredV1['lines'] = asked.map((l) => ({ ...l, removed: refused ? 0 : l.quantity, shortfall: refused ? l.quantity : 0 }));
  const movements = asked.map((l) => movement(l, refused ? {} : { available: -l.quantity }));
  const after: Pool = refused ? base : { ...base, lines: applyMovements(base.lines, movements) };
  const event = draft<StockExpiredV1>(after, ctx, PoolEvents.stockExpired, {
    partnerId,
    month: release.month,
    reference: `release:${release.releaseId}`,
    lines,
    movements,
    poolVersion: ctx.version + 1,
    expiredAt: ctx.now.toISOString(),
  });
  return changed(pool, after, ctx, [event], {
    outcome: refused ? 'refused' : 'released',
    removed: refused ? 0 : lines.reduce((n, l) => n + l.removed, 0),
  });
}

// ---------------------------------------------------------------- contract end and renewal (C9, C3)

/** Licenses that leave the assigned count: an ended contract's, or the term a renewal used up. */
export interface Unassignment {
  clientId: string;
  contractId: string;
  reason: LicensesUnassignedV1['reason'];
  /** The contracts event asking for it. */
  reference: string;
  lines: StockLine[];
}

export type UnassignResult =
  | { outcome: 'unassigned'; lines: UnassignedLine[]; removed: number; shortfall: number }
  | { outcome: 'not-held'; lines: UnassignedLine[]; shortfall: number }
  | { outcome: 'ignored' };

/**
 * A contract ended (expired, cancelled, changed) or was renewed: its licenses leave `assigned`
 * (they were used up; a recovery credits what comes back, separately). The pool removes what it
 * holds as assigned and counts the rest as a shortfall, never going below zero (P3): a monthly
 * lapse may have taken some first. With no lines, nothing changes.
 */
export function unassign(pool: Pool | null, request: Unassignment, ctx: PoolContext): Decision<Pool, UnassignResult> {
  const asked = mergeLines(request.lines);
  if (asked.length === 0) return nothing({ outcome: 'ignored' });
  const lines: UnassignedLine[] = asked.map((line) => {
    const removed = Math.min(line.quantity, lineOf(pool, line.sku, line.termMonths)?.assigned ?? 0);
    return { ...line, removed, shortfall: line.quantity - removed };
  });
  const shortfall = lines.reduce((n, l) => n + l.shortfall, 0);
  const movements = lines.filter((l) => l.removed > 0).map((l) => movement(l, { assigned: -l.removed }));
  if (!pool) return nothing({ outcome: 'not-held', lines, shortfall });
  // Saved all the same, so the event's id is recorded: a redelivery after a later commit must not take those licenses.
  if (movements.length === 0) return changed(pool, pool, ctx, [], { outcome: 'not-held', lines, shortfall });
  const after: Pool = { ...pool, lines: applyMovements(pool.lines, movements) };
  const event = draft<LicensesUnassignedV1>(after, ctx, PoolEvents.licensesUnassigned, {
    partnerId: pool.partnerId,
    clientId: request.clientId,
    contractId: request.contractId,
    reason: request.reason,
    reference: request.reference,
    lines,
    movements,
    poolVersion: ctx.version + 1,
    unassignedAt: ctx.now.toISOString(),
  });
  const removed = lines.reduce((n, l) => n + l.removed, 0);
  return changed(pool, after, ctx, [event], { outcome: 'unassigned', lines, removed, shortfall });
}

// ---------------------------------------------------------------- low-stock thresholds

/**
 * A partner's low-stock threshold for a sku (all terms together); null removes it. Setting it
 * above the available stock says at once that the stock is low.
 */
export function setThreshold(
  pool: Pool | null,
  sku: string,
  threshold: number | null,
  facts: SkuFacts | undefined,
  ctx: PoolContext,
): Decision<Pool, Threshold[] | Refusal> {
  if (!pool || pool.openedAt === null) return nothing(refuse('not-found', PoolCodes.partnerNotFound, 'this partner has no pool'));
  const existing = pool.thresholds.find((t) => t.sku === sku);
  if (threshold === null && !existing) return nothing(refuse('not-found', PoolCodes.thresholdNotFound, `no threshold for ${sku}`));
  if (threshold !== null && !facts) return nothing(refuse('invalid', PoolCodes.unknownSku, `the catalog has no sku ${sku}`));
  if (threshold !== null && facts?.trialEdition)
    return nothing(refuse('invalid', PoolCodes.trialNotPooled, `${sku} is a trial edition: trials take nothing from the pool`));
  if (existing?.threshold === threshold) return nothing(pool.thresholds);
  const others = pool.thresholds.filter((t) => t.sku !== sku);
  const thresholds = threshold === null ? others : [...others, { sku, threshold }].sort((a, b) => (a.sku < b.sku ? -1 : 1));
  const available = availableOf(pool, sku);
  const after: Pool = { ...pool, thresholds };
  const events: EventDraft[] = [
    draft<ThresholdSetV1>(after, ctx, PoolEvents.thresholdSet, {
      partnerId: pool.partnerId,
      sku,
      threshold,
      available,
      setAt: ctx.now.toISOString(),
    }),
  ];
  if (threshold !== null && available < threshold && (!existing || available >= existing.threshold)) {
    events.push(
      draft<StockLowV1>(after, ctx, PoolEvents.stockLow, { partnerId: pool.partnerId, sku, threshold, available, detectedAt: ctx.now.toISOString() }),
    );
  }
  return changed(pool, after, ctx, events, thresholds);
}
