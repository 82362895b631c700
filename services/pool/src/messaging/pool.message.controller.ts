import {
  ContractsEvents,
  PointsEvents,
  type AssignmentRejectedV1,
  type AssignmentRequestedV1,
  type CloudEvent,
  type ContractActivatedV1,
  type ExchangeDebitedV1,
  type LicensesRecoveredV1,
  type MonthlyLapsedV1,
} from '@licensing/events';
import type { EventHandler } from '@licensing/messaging';
import type { ReservationTimeouts } from '../jobs/reservation-timeout.processor';
import type { PoolService } from '../pool.service';

/**
 * The events the pool acts on, from the contracts and points services. Each handler is
 * idempotent by event id (the repository records it with the change); its answer leaves
 * through the pool document's outbox.
 */
export function poolMessageHandlers(pool: PoolService, timeouts: ReservationTimeouts): Record<string, EventHandler> {
  return {
    [ContractsEvents.assignmentRequested]: async (event, { logger }) => {
      const { result, open } = await pool.reserve(event as CloudEvent<AssignmentRequestedV1>);
      // Also on a redelivery: the first attempt may have saved and died before scheduling.
      if (open) await timeouts.schedule(open.expiresAt, (event.data as AssignmentRequestedV1).partnerId, open.assignmentId);
      logger.debug({ result: typeof result === 'string' ? result : result.outcome }, 'assignment request handled');
    },
    [ContractsEvents.contractActivated]: async (event, { logger }) => {
      const result = await pool.commit(event as CloudEvent<ContractActivatedV1>);
      logger.debug({ result }, 'contract activation handled');
    },
    [ContractsEvents.assignmentRejected]: async (event, { logger }) => {
      const result = await pool.release(event as CloudEvent<AssignmentRejectedV1>);
      logger.debug({ result }, 'assignment rejection handled');
    },
    [ContractsEvents.licensesRecovered]: async (event, { logger }) => {
      const result = await pool.creditRecovery(event as CloudEvent<LicensesRecoveredV1>);
      logger.debug({ result }, 'recovery handled');
    },
    [PointsEvents.exchangeDebited]: async (event, { logger }) => {
      const result = await pool.creditExchange(event as CloudEvent<ExchangeDebitedV1>);
      logger.debug({ result }, 'points exchange handled');
    },
    [PointsEvents.monthlyLapsed]: async (event, { logger }) => {
      const result = await pool.expireLapsed(event as CloudEvent<MonthlyLapsedV1>);
      logger.debug({ result }, 'monthly lapse handled');
    },
  };
}
