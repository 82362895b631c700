/** Stable refusal codes of the points service (docs/points.md lists them with their HTTP status). */
export const PointsCodes = {
  notEnrolled: 'POINTS.NOT_ENROLLED',
  insufficientBalance: 'POINTS.INSUFFICIENT_BALANCE',
  unknownSku: 'POINTS.UNKNOWN_SKU',
  noPointsPrice: 'POINTS.NO_POINTS_PRICE',
  skuRetired: 'POINTS.SKU_RETIRED',
  duplicateSku: 'POINTS.DUPLICATE_SKU',
  invalidQuantity: 'POINTS.INVALID_QUANTITY',
  invalidAmount: 'POINTS.INVALID_AMOUNT',
  exchangeNotFound: 'POINTS.EXCHANGE_NOT_FOUND',
  idempotencyKeyReused: 'POINTS.IDEMPOTENCY_KEY_REUSED',
  renewalMonthInFuture: 'POINTS.RENEWAL_MONTH_IN_FUTURE',
  notHeld: 'POINTS.NOT_HELD',
  releaseNotFound: 'POINTS.RELEASE_NOT_FOUND',
} as const;

/** Monthly licenses, the only kind points buy (M3). */
export const MONTHLY_TERM = 1 as const;

/** Settled exchanges kept in the wallet document (pending ones are always kept); older ones live in the projection. */
export const SETTLED_EXCHANGES_KEPT = 50;

/** Settled releases kept in the wallet (pending ones are always kept); older ones are answered from their business id record. */
export const SETTLED_RELEASES_KEPT = 50;

/** Months of renewal history kept in the wallet, for operators. */
export const RENEWED_MONTHS_KEPT = 24;

export const MONTH_PATTERN = /^[0-9]{4}-(0[1-9]|1[0-2])$/;

/** The UTC month of an instant, `YYYY-MM`. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** The month after `month` (`YYYY-MM`). */
export function nextMonth(month: string): string {
  const [year, mm] = month.split('-').map(Number) as [number, number];
  return mm === 12 ? `${year + 1}-01` : `${year}-${String(mm + 1).padStart(2, '0')}`;
}
