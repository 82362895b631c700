/** The pool's stable refusal codes, in HTTP answers and in the reasons of its events. */
export const PoolCodes = {
  unknownSku: 'POOL.UNKNOWN_SKU',
  skuRetired: 'POOL.SKU_RETIRED',
  termNotAllowed: 'POOL.TERM_NOT_ALLOWED',
  trialNotPooled: 'POOL.TRIAL_NOT_POOLED',
  insufficientStock: 'POOL.INSUFFICIENT_STOCK',
  orderConflict: 'POOL.ORDER_CONFLICT',
  partnerNotFound: 'POOL.PARTNER_NOT_FOUND',
  thresholdNotFound: 'POOL.THRESHOLD_NOT_FOUND',
  reservationExpired: 'POOL.RESERVATION_EXPIRED',
  reservationNotFound: 'POOL.RESERVATION_NOT_FOUND',
  reservationLapsed: 'POOL.RESERVATION_LAPSED',
  commitMismatch: 'POOL.COMMIT_MISMATCH',
  asOfInFuture: 'POOL.AS_OF_IN_FUTURE',
  invalidCursor: 'POOL.INVALID_CURSOR',
  quantityTooLarge: 'POOL.QUANTITY_TOO_LARGE',
} as const;

export type PoolCode = (typeof PoolCodes)[keyof typeof PoolCodes];
