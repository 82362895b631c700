import {
  PoolEvents,
  type CloudEvent,
  type LicensesReservedV1,
  type LicensesUnassignedV1,
  type PoolTerm,
  type ReservationCommittedV1,
  type ReservationReleasedV1,
  type StockCreditedV1,
  type StockExpiredV1,
  type StockMovement,
} from '@licensing/events';

/** Why stock moved, as the ledger shows it (P4). */
export type MovementReason = 'purchase' | 'points' | 'recovery' | 'reserved' | 'committed' | 'released' | 'expired' | 'unassigned';

/**
 * One line of the movement ledger: the change of one (sku, term) by one pool event. Its id is
 * the event's id and the line's index, so a replayed event never counts twice.
 */
export interface LedgerMovement extends StockMovement {
  _id: string;
  eventId: string;
  eventType: string;
  partnerId: string;
  reason: MovementReason;
  /** The release reason (rejected, timeout), whether a commit came late, or why licenses were unassigned. */
  detail?: string;
  /** orderId, creditId, assignmentId, the lapse reference or the contractId. */
  reference: string;
  correlationId: string;
  at: Date;
  poolVersion: number;
  index: number;
}

/** The events that change stock, and how each reads as movements. Other pool events move nothing. */
export const STOCK_EVENTS = [
  PoolEvents.stockCredited,
  PoolEvents.licensesReserved,
  PoolEvents.reservationCommitted,
  PoolEvents.reservationReleased,
  PoolEvents.stockExpired,
  PoolEvents.licensesUnassigned,
] as const;

interface Entry {
  reason: MovementReason;
  detail?: string;
  reference: string;
  movements: StockMovement[];
  poolVersion: number;
}

function entryOf(event: CloudEvent): Entry | undefined {
  switch (event.type) {
    case PoolEvents.stockCredited: {
      const d = event.data as StockCreditedV1;
      // A credit puts each line in available; it carries no explicit movements.
      const movements = d.lines.map((l) => ({ sku: l.sku, termMonths: l.termMonths, available: l.quantity, reserved: 0, assigned: 0 }));
      return { reason: d.source, reference: d.creditId, movements, poolVersion: d.poolVersion ?? 0 };
    }
    case PoolEvents.licensesReserved: {
      const d = event.data as LicensesReservedV1;
      return { reason: 'reserved', reference: d.assignmentId, movements: d.movements, poolVersion: d.poolVersion };
    }
    case PoolEvents.reservationCommitted: {
      const d = event.data as ReservationCommittedV1;
      return {
        reason: 'committed',
        ...(d.late ? { detail: 'late' } : {}),
        reference: d.assignmentId,
        movements: d.movements,
        poolVersion: d.poolVersion,
      };
    }
    case PoolEvents.reservationReleased: {
      const d = event.data as ReservationReleasedV1;
      return { reason: 'released', detail: d.reason, reference: d.assignmentId, movements: d.movements, poolVersion: d.poolVersion };
    }
    case PoolEvents.stockExpired: {
      const d = event.data as StockExpiredV1;
      return { reason: 'expired', reference: d.reference, movements: d.movements, poolVersion: d.poolVersion };
    }
    case PoolEvents.licensesUnassigned: {
      const d = event.data as LicensesUnassignedV1;
      return { reason: 'unassigned', detail: d.reason, reference: d.contractId, movements: d.movements, poolVersion: d.poolVersion };
    }
    default:
      return undefined;
  }
}

/** The ledger lines of a pool event, from the event alone. */
export function movementsOf(event: CloudEvent): LedgerMovement[] {
  const entry = entryOf(event);
  if (!entry || !event.partnerid) return [];
  return entry.movements.map((m, index) => ({
    _id: `${event.id}:${index}`,
    eventId: event.id,
    eventType: event.type,
    partnerId: event.partnerid as string,
    sku: m.sku,
    termMonths: m.termMonths,
    available: m.available,
    reserved: m.reserved,
    assigned: m.assigned,
    reason: entry.reason,
    ...(entry.detail === undefined ? {} : { detail: entry.detail }),
    reference: entry.reference,
    correlationId: event.correlationid,
    at: new Date(event.time),
    poolVersion: entry.poolVersion,
    index,
  }));
}

/** The stock of one (sku, term) at some time, by bucket. */
export interface StockBalance {
  sku: string;
  termMonths: PoolTerm;
  available: number;
  reserved: number;
  assigned: number;
}
