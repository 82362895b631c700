import {
  CatalogEvents,
  ContractsEvents,
  createEvent,
  PoolEvents,
  type ActivatedContract,
  type AssignmentRequestedV1,
  type CloudEvent,
  type ContractActivatedV1,
  type LicensesReservedV1,
  type ReservationCommittedV1,
  type ReservationRejectedV1,
} from '@licensing/events';
import { productUpdated, testKafka, type InfraUrls } from '@licensing/testing';
import { randomUUID } from 'node:crypto';
import type { Deployment } from '../lib/deployment';
import { Progress } from '../lib/progress';
import { sleep, summarize, type Summary } from '../lib/stats';
import { until, EventWatch } from '../lib/watch';

export interface ReservationRun extends Summary {
  partners: number;
  requests: number;
  rejected: number;
  /** Reservations answered per second (licenses-reserved), apart from the commits. */
  reservedPerS: number;
}

const SKU = 'BENCH-POOL';

/**
 * Scenario (c): the pool alone, the harness playing the contracts service. Every request is a
 * contracts.assignment-requested.v1 of one license; each pool.licenses-reserved.v1 is answered at
 * once with contracts.contract-activated.v1, so the pool commits it as in the real saga and its
 * documents keep only the reservations in flight. A burst of `requests` is published at once, on
 * one hot partner (one pool document) or spread over many; the figure is assignments reserved
 * and committed per second, from the burst to the last commit on pool.events. Latencies are
 * from the burst to each commit (queueing included: this is a capacity test).
 */
export async function runReservations(
  deployment: Deployment,
  urls: InfraUrls,
  options: { requests: number; partners: number[]; warmUp: number; timeoutMs: number },
): Promise<Map<number, ReservationRun>> {
  const { publisher } = testKafka(deployment.names, urls);
  const watch = await EventWatch.start([deployment.topic('pool')], urls);
  const reserved = watch.index<LicensesReservedV1>(PoolEvents.licensesReserved, (d) => d.assignmentId);
  const rejected = watch.index<ReservationRejectedV1>(PoolEvents.reservationRejected, (d) => d.assignmentId);
  const committed = watch.index<ReservationCommittedV1>(PoolEvents.reservationCommitted, (d) => d.assignmentId);

  // The contracts' side of the saga: activate whatever the pool reserved, in small batches.
  let pending: CloudEvent[] = [];
  let flushing = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length > 0)
      flushing = flushing.then(() => publisher.publish(batch)).catch((error: unknown) => console.error('activation publish failed', error));
  };
  const timer = setInterval(flush, 5);
  watch.on<LicensesReservedV1>(PoolEvents.licensesReserved, ({ event }) => {
    const d = event.data;
    const clientId = d.clientId ?? 'bench-client';
    const contracts: ActivatedContract[] = d.lines.map((l) => ({
      ...l,
      contractId: randomUUID(),
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    }));
    pending.push(
      createEvent<ContractActivatedV1>({
        type: ContractsEvents.contractActivated,
        subject: `${d.partnerId}/${clientId}`,
        partnerId: d.partnerId,
        correlationId: event.correlationid,
        data: { assignmentId: d.assignmentId, partnerId: d.partnerId, clientId, contracts, activatedAt: new Date().toISOString() },
      }),
    );
  });

  try {
    await publisher.publish([
      createEvent({
        type: CatalogEvents.productUpdated,
        subject: SKU,
        data: productUpdated(SKU, { name: 'Bench pool product', familyCode: 'bench', terms: [12] }),
      }),
    ]);
    const maxPartners = Math.max(...options.partners);
    const partners = Array.from({ length: maxPartners }, (_, i) => `pool-${String(i).padStart(2, '0')}`);
    // Enough for every burst to land on any one partner.
    const stock = Math.min(1_000_000, (options.requests + options.warmUp) * options.partners.length);
    const seed = new Progress('stock');
    for (const [i, partnerId] of partners.entries()) {
      const headers = await deployment.auth({ partnerId });
      for (const deadline = Date.now() + 60_000; ;) {
        const answer = await deployment.call('pool', 'POST', `/partners/${partnerId}/pool/purchases`, headers, {
          orderId: `stock-${partnerId}`,
          lines: [{ sku: SKU, termMonths: 12, quantity: stock }],
        });
        if (answer.status === 201 || answer.status === 200) break;
        if (Date.now() > deadline) throw new Error(`stock for ${partnerId}: ${answer.status} ${JSON.stringify(answer.body)}`);
        await sleep(200);
      }
      seed.update(`${i + 1} / ${partners.length} partners`);
    }
    seed.done(`${partners.length} partners with stock`);

    const requests = (label: string, count: number, spread: number): CloudEvent[] =>
      Array.from({ length: count }, (_, i) => {
        const partnerId = partners[i % spread] as string;
        return createEvent<AssignmentRequestedV1>({
          type: ContractsEvents.assignmentRequested,
          subject: `${partnerId}/bench-client`,
          partnerId,
          data: {
            assignmentId: `${label}-${i}-${randomUUID()}`,
            partnerId,
            clientId: 'bench-client',
            lines: [{ sku: SKU, termMonths: 12, quantity: 1 }],
            requestedAt: new Date().toISOString(),
          },
        });
      });
    const burst = async (label: string, count: number, spread: number): Promise<ReservationRun> => {
      const events = requests(label.replace(/[^a-z0-9]+/g, '-'), count, spread);
      const ids = events.map((e) => (e.data as AssignmentRequestedV1).assignmentId);
      const progress = new Progress(label);
      const sentAt = Date.now();
      for (let i = 0; i < events.length; i += 500) await publisher.publish(events.slice(i, i + 500));
      const ended = (id: string) => committed.seen.has(id) || rejected.seen.has(id);
      const done = await until(
        () => ids.every(ended),
        options.timeoutMs,
        () =>
          progress.update(
            `${ids.filter((id) => reserved.seen.has(id)).length} reserved, ${ids.filter((id) => committed.seen.has(id)).length} committed of ${count}`,
          ),
      );
      const commits = ids.map((id) => committed.seen.get(id)?.at).filter((t): t is number => t !== undefined);
      const reservations = ids.map((id) => reserved.seen.get(id)?.at).filter((t): t is number => t !== undefined);
      const seconds = (Math.max(...commits) - sentAt) / 1000;
      const run: ReservationRun = {
        ...summarize(
          commits.map((t) => t - sentAt),
          seconds,
        ),
        partners: spread,
        requests: count,
        rejected: ids.filter((id) => rejected.seen.has(id)).length,
        reservedPerS: reservations.length / ((Math.max(...reservations) - sentAt) / 1000),
      };
      progress.done(
        `${done ? '' : 'TIMED OUT: '}${commits.length} of ${count} committed in ${seconds.toFixed(1)} s: ${Math.round(run.throughputPerS)}/s ` +
          `(reservations alone ${Math.round(run.reservedPerS)}/s), ${run.rejected} rejected`,
      );
      return run;
    };

    await burst('warm-up', options.warmUp, maxPartners);
    const runs = new Map<number, ReservationRun>();
    for (const spread of options.partners)
      runs.set(spread, await burst(`${spread === 1 ? 'hot partner' : `${spread} partners`}`, options.requests, spread));
    return runs;
  } finally {
    clearInterval(timer);
    flush();
    await flushing;
    await Promise.allSettled([watch.stop(), publisher.disconnect()]);
  }
}
