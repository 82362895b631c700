/** The points service's BullMQ queues (before the deployment's queue prefix). */
export const EXCHANGE_TIMEOUTS_QUEUE = 'points-exchange-timeouts';
export const RENEWALS_QUEUE = 'points-renewals';

/** A reminder to look at one exchange once its pool answer is overdue. */
export const EXCHANGE_TIMEOUT_JOB = 'exchange-timeout';
export interface ExchangeTimeoutJob {
  partnerId: string;
  exchangeId: string;
}
