import {
  ContractsEvents,
  PointsEvents,
  type AssignmentRejectedV1,
  type ContractActivatedV1,
  type ExchangeCompletedV1,
  type ExchangeRefundedV1,
} from '@licensing/events';
import type { Deployment } from '../lib/deployment';
import type { Outcome, Saga } from '../lib/open-loop';
import type { EventWatch } from '../lib/watch';
import { ANNUAL_SKU, MONTHLY_SKU, type Seeded } from './platform';

const errorOf = (answer: { status: number; body: { code?: string } | undefined }): { error: string } => ({
  error: `HTTP ${answer.status}${answer.body?.code ? ` ${answer.body.code}` : ''}`,
});

/**
 * Scenario (a): the assignment saga end to end. HTTP POST of an assignment (accepted with 202)
 * → contracts.assignment-requested → pool reserves → contracts activates →
 * contracts.contract-activated.v1 on the topic (the end, as a data pipeline sees it); the pool's
 * commit follows. Requests go round-robin over the partners and their clients, one license each.
 */
export function assignmentSaga(deployment: Deployment, watch: EventWatch, seeded: Seeded): Saga & { contracts: Map<string, string> } {
  const activated = new Map<string, number>();
  const rejected = new Map<string, string>();
  /** Every contract activated in the run, with its end day. */
  const contracts = new Map<string, string>();
  watch.on<ContractActivatedV1>(ContractsEvents.contractActivated, ({ event, at }) => {
    if (!activated.has(event.data.assignmentId)) activated.set(event.data.assignmentId, at);
    for (const c of event.data.contracts) contracts.set(c.contractId, c.endsAt.slice(0, 10));
  });
  watch.on<AssignmentRejectedV1>(ContractsEvents.assignmentRejected, ({ event }) => {
    if (!rejected.has(event.data.assignmentId)) rejected.set(event.data.assignmentId, event.data.code);
  });
  let sequence = 0;
  return {
    contracts,
    async fire(i, label) {
      const n = sequence++;
      const partnerId = seeded.partners[n % seeded.partners.length] as string;
      const clientId = seeded.clients[Math.floor(n / seeded.partners.length) % seeded.clients.length] as string;
      const answer = await deployment.call(
        'contracts',
        'POST',
        `/partners/${partnerId}/clients/${clientId}/assignments`,
        { ...(await deployment.auth({ partnerId })), 'idempotency-key': `${label}-${i}-${n}`.replace(/[^A-Za-z0-9._-]+/g, '-') },
        { sku: ANNUAL_SKU, termMonths: 12, quantity: 1, managementModel: 'self' },
      );
      if ((answer.status === 202 || answer.status === 200) && answer.body?.assignmentId) return { id: answer.body.assignmentId as string };
      return errorOf(answer);
    },
    outcome(id): Outcome {
      const at = activated.get(id);
      if (at !== undefined) return { ok: true, at };
      const code = rejected.get(id);
      return code === undefined ? undefined : { ok: false, code };
    },
  };
}

/**
 * Scenario (b): the exchange saga end to end. HTTP POST of an exchange (202) → the wallet is
 * debited, points.exchange-debited → the pool credits monthly licenses, pool.stock-credited →
 * points.exchange-completed.v1 on the topic (the end). One monthly license per exchange,
 * round-robin over the partners' wallets.
 */
export function exchangeSaga(deployment: Deployment, watch: EventWatch, seeded: Seeded): Saga {
  const completed = new Map<string, number>();
  const refunded = new Map<string, string>();
  watch.on<ExchangeCompletedV1>(PointsEvents.exchangeCompleted, ({ event, at }) => {
    if (!completed.has(event.data.exchangeId)) completed.set(event.data.exchangeId, at);
  });
  watch.on<ExchangeRefundedV1>(PointsEvents.exchangeRefunded, ({ event }) => {
    if (!refunded.has(event.data.exchangeId)) refunded.set(event.data.exchangeId, event.data.code);
  });
  let sequence = 0;
  return {
    async fire(i, label) {
      const n = sequence++;
      const partnerId = seeded.partners[n % seeded.partners.length] as string;
      const answer = await deployment.call(
        'points',
        'POST',
        `/partners/${partnerId}/points/exchanges`,
        { ...(await deployment.auth({ partnerId })), 'idempotency-key': `${label}-${i}-${n}`.replace(/[^A-Za-z0-9._-]+/g, '-') },
        { lines: [{ sku: MONTHLY_SKU, quantity: 1 }] },
      );
      if ((answer.status === 202 || answer.status === 200) && answer.body?.exchangeId) return { id: answer.body.exchangeId as string };
      return errorOf(answer);
    },
    outcome(id): Outcome {
      const at = completed.get(id);
      if (at !== undefined) return { ok: true, at };
      const code = refunded.get(id);
      return code === undefined ? undefined : { ok: false, code };
    },
  };
}
