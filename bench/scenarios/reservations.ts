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
import { EventWatch } from '../lib/watch';

export interface ReservationRun extends Summary {
  partners: number;
  requests: number;
  rejected: number;
}

const SKU = 'BENCH-POOL';

/**
 * Scenario (c): the pool alone, the harness playing the contracts service. Every request is a
 * contracts.assignment-requested.v1 of one license; each pool.licenses-reserved.v1 is answered at
 * once with contracts.contract-activated.v1, so the pool commits it as in the real saga. Requests
 * go to one hot partner (one pool document) or spread over many, closed loop: `window` of them
 * open at a time, a new one published as each ends, so the pool is always busy while its documents
 * hold only the reservations in flight (a burst of 1000 on one partner would first reserve all
 * 1000 in one document, since the commits queue behind the requests in the partner's partition,
 * and measure the cost of that document's size). The figure is assignments reserved and committed
 * per second; latency runs from a request's publication to its reservation-committed on the topic.
 */
export async function runReservations(
  deployment: Deployment,
  urls: InfraUrls,
  options: { requests: number; partners: number[]; warmUp: number; window: number; timeoutMs: number },
): Promise<Map<number, ReservationRun>> {
  const { publisher } = testKafka(deployment.names, urls);
  const watch = await EventWatch.start([deployment.topic('pool')], urls);
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
    /** `count` requests, at most `window` of them reserved or waiting to be, a new one sent as each ends. */
    const run = async (label: string, count: number, spread: number): Promise<ReservationRun> => {
      const events = requests(label.replace(/[^a-z0-9]+/g, '-'), count, spread);
      const ids = events.map((e) => (e.data as AssignmentRequestedV1).assignmentId);
      const sentAt = new Map<string, number>();
      const ended = (id: string) => committed.seen.has(id) || rejected.seen.has(id);
      const progress = new Progress(label);
      const started = Date.now();
      let sent = 0;
      let done = 0;
      const deadline = started + options.timeoutMs;
      while (done < count && Date.now() < deadline) {
        while (done < sent && ended(ids[done] as string)) done++;
        // Requests end roughly in order; count the ones ended out of order too.
        const open = ids.slice(done, sent).filter((id) => !ended(id)).length;
        const room = Math.min(options.window - open, count - sent);
        if (room > 0) {
          const batch = events.slice(sent, sent + room);
          const now = Date.now();
          for (const e of batch) sentAt.set((e.data as AssignmentRequestedV1).assignmentId, now);
          sent += batch.length;
          await publisher.publish(batch);
        } else {
          await sleep(2);
        }
        progress.update(`${sent} sent, ${ids.filter((id) => committed.seen.has(id)).length} committed of ${count}`);
      }
      const commits = ids.filter((id) => committed.seen.has(id));
      const last = Math.max(...commits.map((id) => committed.seen.get(id)?.at as number));
      const seconds = (last - started) / 1000;
      const result: ReservationRun = {
        ...summarize(
          commits.map((id) => (committed.seen.get(id)?.at as number) - (sentAt.get(id) as number)),
          seconds,
        ),
        partners: spread,
        requests: count,
        rejected: ids.filter((id) => rejected.seen.has(id)).length,
      };
      progress.done(
        `${done >= count ? '' : 'TIMED OUT: '}${commits.length} of ${count} committed in ${seconds.toFixed(1)} s: ${Math.round(result.throughputPerS)}/s, ` +
          `p50 ${Math.round(result.p50Ms)} ms, p99 ${Math.round(result.p99Ms)} ms, ${result.rejected} rejected`,
      );
      return result;
    };

    await run('warm-up', options.warmUp, maxPartners);
    const runs = new Map<number, ReservationRun>();
    for (const spread of options.partners)
      runs.set(spread, await run(`${spread === 1 ? 'hot partner' : `${spread} partners`}`, options.requests, spread));
    return runs;
  } finally {
    clearInterval(timer);
    flush();
    await flushing;
    await Promise.allSettled([watch.stop(), publisher.disconnect()]);
  }
}
