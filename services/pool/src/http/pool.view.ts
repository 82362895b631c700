import type { StockLine } from '@licensing/events';
import { notFound } from '@licensing/platform';
import type { LedgerMovement } from '../domain/ledger';
import { availableOf, type Pool, type Reservation } from '../domain/pool.aggregate';
import { PoolCodes } from '../domain/pool.errors';

/** A pool as the API shows it. */
export interface PoolView {
  partnerId: string;
  version: number;
  openedAt: string;
  updatedAt: string;
  lines: Pool['lines'];
  thresholds: { sku: string; threshold: number; available: number; low: boolean }[];
  reservations: Omit<Reservation, 'correlationId'>[];
}

export interface PurchaseView {
  duplicate: boolean;
  orderId: string;
  lines: StockLine[];
  pool: PoolView;
}

/** A partner becomes known to the pool when stock first enters its pool; until then its reads are 404. */
export function requireOpened(partnerId: string, pool: Pool | null | undefined): asserts pool is Pool {
  if (!pool || pool.openedAt === null) throw notFound(PoolCodes.partnerNotFound, `partner ${partnerId} has no pool`);
}

export function poolView(partnerId: string, pool: Pool | null, version: number): PoolView {
  requireOpened(partnerId, pool);
  return {
    partnerId: pool.partnerId,
    version,
    openedAt: pool.openedAt ?? pool.updatedAt,
    updatedAt: pool.updatedAt,
    lines: pool.lines,
    thresholds: pool.thresholds.map((t) => ({ ...t, available: availableOf(pool, t.sku), low: availableOf(pool, t.sku) < t.threshold })),
    reservations: pool.reservations.map(({ correlationId: _c, ...r }) => r),
  };
}

export const movementView = ({ _id, partnerId: _p, index: _i, at, ...m }: LedgerMovement) => ({ id: _id, ...m, at: at.toISOString() });
