import commitRejectedV1 from './commit-rejected.v1.schema.json';
import creditRejectedV1 from './credit-rejected.v1.schema.json';
import licensesReservedV1 from './licenses-reserved.v1.schema.json';
import licensesUnassignedV1 from './licenses-unassigned.v1.schema.json';
import reservationCommittedV1 from './reservation-committed.v1.schema.json';
import reservationRejectedV1 from './reservation-rejected.v1.schema.json';
import reservationReleasedV1 from './reservation-released.v1.schema.json';
import stockCreditedV1 from './stock-credited.v1.schema.json';
import stockExpiredV1 from './stock-expired.v1.schema.json';
import stockLowV1 from './stock-low.v1.schema.json';
import thresholdSetV1 from './threshold-set.v1.schema.json';

export const PoolEvents = {
  stockCredited: 'pool.stock-credited.v1',
  creditRejected: 'pool.credit-rejected.v1',
  licensesReserved: 'pool.licenses-reserved.v1',
  reservationRejected: 'pool.reservation-rejected.v1',
  reservationCommitted: 'pool.reservation-committed.v1',
  commitRejected: 'pool.commit-rejected.v1',
  reservationReleased: 'pool.reservation-released.v1',
  stockExpired: 'pool.stock-expired.v1',
  licensesUnassigned: 'pool.licenses-unassigned.v1',
  stockLow: 'pool.stock-low.v1',
  thresholdSet: 'pool.threshold-set.v1',
} as const;

export type PoolTerm = 1 | 12 | 24 | 36;

export interface StockLine {
  sku: string;
  termMonths: PoolTerm;
  quantity: number;
}

/** The change of one (sku, term) line of a pool, by bucket; the ledger is made of these. */
export interface StockMovement {
  sku: string;
  termMonths: PoolTerm;
  available: number;
  reserved: number;
  assigned: number;
}

export interface StockCreditedV1 {
  partnerId: string;
  creditId: string;
  source: 'purchase' | 'points' | 'recovery';
  lines: StockLine[];
  creditedAt: string;
  poolVersion?: number;
}

export interface CreditRejectedV1 {
  partnerId: string;
  creditId: string;
  source: 'points' | 'recovery';
  code: string;
  reason: string;
  lines?: { sku: string; termMonths: number; quantity: number; code?: string }[];
  rejectedAt: string;
}

export interface LicensesReservedV1 {
  partnerId: string;
  assignmentId: string;
  clientId?: string;
  lines: StockLine[];
  movements: StockMovement[];
  expiresAt: string;
  poolVersion: number;
  reservedAt: string;
}

export interface RejectedLine {
  sku: string;
  termMonths: number;
  quantity: number;
  available: number;
  code?: string;
  reason?: string;
}

export interface ReservationRejectedV1 {
  partnerId: string;
  assignmentId: string;
  clientId?: string;
  code: string;
  reason: string;
  lines: RejectedLine[];
  rejectedAt: string;
}

export interface ReservationCommittedV1 {
  partnerId: string;
  assignmentId: string;
  contractIds: string[];
  lines: StockLine[];
  late: boolean;
  movements: StockMovement[];
  poolVersion: number;
  committedAt: string;
}

export interface CommitRejectedV1 {
  partnerId: string;
  assignmentId: string;
  contractIds: string[];
  code: string;
  reason: string;
  lines?: { sku: string; termMonths: number; quantity: number; available: number }[];
  rejectedAt: string;
}

export interface ReservationReleasedV1 {
  partnerId: string;
  assignmentId: string;
  reason: 'rejected' | 'timeout' | 'lapsed';
  detail?: string;
  lines: StockLine[];
  movements: StockMovement[];
  poolVersion: number;
  releasedAt: string;
}

export interface StockExpiredV1 {
  partnerId: string;
  month: string;
  reference: string;
  lines: { sku: string; termMonths: 1; quantity: number; removed: number; shortfall: number }[];
  movements: StockMovement[];
  poolVersion: number;
  expiredAt: string;
}

/** The licenses of one (sku, term) asked to leave assigned, and how many the pool held. */
export interface UnassignedLine {
  sku: string;
  termMonths: PoolTerm;
  quantity: number;
  removed: number;
  shortfall: number;
}

export interface LicensesUnassignedV1 {
  partnerId: string;
  clientId: string;
  contractId: string;
  reason: 'expired' | 'cancelled' | 'changed' | 'renewed';
  /** The id of the contracts event this answers. */
  reference: string;
  lines: UnassignedLine[];
  movements: StockMovement[];
  poolVersion: number;
  unassignedAt: string;
}

export interface StockLowV1 {
  partnerId: string;
  sku: string;
  threshold: number;
  available: number;
  detectedAt: string;
}

export interface ThresholdSetV1 {
  partnerId: string;
  sku: string;
  threshold: number | null;
  available: number;
  setAt: string;
}

export const poolSchemas = [
  stockCreditedV1,
  creditRejectedV1,
  licensesReservedV1,
  reservationRejectedV1,
  reservationCommittedV1,
  commitRejectedV1,
  reservationReleasedV1,
  stockExpiredV1,
  licensesUnassignedV1,
  stockLowV1,
  thresholdSetV1,
];
