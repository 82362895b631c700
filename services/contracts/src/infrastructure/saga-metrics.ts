import type { Metrics } from '@licensing/platform';
import type { Client } from '../domain/client.aggregate';
import { ContractsCodes } from '../domain/contracts.errors';

/**
 * Saga latency on /metrics (saga_duration_seconds{saga, outcome}): the saga `assignmentId`, of any
 * kind (assignment, renewal, change, module, auto-renewal), has just ended in `client` as saved;
 * observed from the request and end times the document keeps. Outcomes: activated, rejected,
 * timed-out. Nothing when the saga is not final there.
 */
export function observeSagaEnd(metrics: Metrics, client: Client | null | undefined, assignmentId: string): void {
  const saga = client?.assignments.find((a) => a.assignmentId === assignmentId);
  if (!saga || saga.status === 'pending' || saga.settledAt === null) return;
  const outcome = saga.status === 'activated' ? 'activated' : saga.code === ContractsCodes.timeout ? 'timed-out' : 'rejected';
  metrics.sagaEnded(saga.kind, outcome, saga.requestedAt, saga.settledAt);
}
