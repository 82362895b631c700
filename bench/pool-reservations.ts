/**
 * How many reservations per second one pool process sustains against the local servers, end to
 * end: contracts.assignment-requested.v1 published → pool.licenses-reserved.v1 observed on Kafka.
 *
 *   npm run bench
 *
 * Uses KAFKA_BROKERS / MONGO_URL / REDIS_URL when set, else starts private local servers (and
 * stops them after). BENCH_RESERVATIONS (default 3000) requests of 1 license each, spread over
 * BENCH_PARTNERS (default 60) partners, all published at once after a warm-up; bounded by
 * BENCH_TIMEOUT_MS (default 180000).
 */
import { randomUUID } from 'node:crypto';
import { CatalogEvents, ContractsEvents, createEvent, PoolEvents, type AssignmentRequestedV1, type CloudEvent } from '@licensing/events';
import {
  EventTap,
  grantTestAcls,
  LocalInfrastructure,
  productUpdated,
  ServiceProcess,
  TEST_JWT_SECRET,
  testKafka,
  tokenFor,
  uniqueNames,
  urlsFromEnv,
} from '@licensing/testing';

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const RESERVATIONS = int('BENCH_RESERVATIONS', 3000);
const PARTNERS = int('BENCH_PARTNERS', 60);
const TIMEOUT_MS = int('BENCH_TIMEOUT_MS', 180_000);
const WARM_UP = Math.min(300, RESERVATIONS);
const SKU = 'BENCH-PRO';

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  let infra: LocalInfrastructure | undefined;
  let urls = urlsFromEnv();
  if (!urls) {
    console.log('starting local Kafka, Mongo-compatible server and Redis…');
    infra = await LocalInfrastructure.start(`bench-pool-${process.pid}`);
    urls = infra.urls();
  }
  const names = uniqueNames('bench-pool');
  await grantTestAcls([names.prefix], urls);
  const env = {
    ...urls,
    // The pool signs in to Kafka as itself (its principal is named after it).
    ...(urls.KAFKA_SERVICES_PASSWORD ? { KAFKA_SASL_PASSWORD: urls.KAFKA_SERVICES_PASSWORD } : {}),
    KAFKA_TOPIC_PREFIX: names.prefix,
    MONGO_DATABASE: names.database,
    QUEUE_PREFIX: names.queuePrefix,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    LOG_LEVEL: 'warn',
    SERVICE_ROLE: 'all',
    // Nothing is committed in this run: reservations must not time out while it lasts.
    POOL_RESERVATION_TIMEOUT_MS: String(30 * 60_000),
  };
  const { publisher } = testKafka(names, urls);
  let pool: ServiceProcess | undefined;
  let tap: EventTap | undefined;
  try {
    pool = await ServiceProcess.start('pool', env, { readyTimeoutMs: 60_000 });
    tap = await EventTap.start([`${names.prefix}pool.events`], urls);

    const product = productUpdated(SKU, { name: 'Bench product', familyCode: 'bench', terms: [12] });

    await publisher.publish([createEvent({ type: CatalogEvents.productUpdated, subject: SKU, data: product })]);

    // Stock for every request; the catalog copy may need a moment to arrive.
    const partners = Array.from({ length: PARTNERS }, (_, i) => `bench-${i}`);
    const perPartner = Math.ceil((RESERVATIONS + WARM_UP) / PARTNERS);
    for (const partnerId of partners) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await pool.fetch(`/partners/${partnerId}/pool/purchases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await tokenFor({ partnerId })}`, 'content-type': 'application/json' },
          body: JSON.stringify({ orderId: `stock-${partnerId}`, lines: [{ sku: SKU, termMonths: 12, quantity: perPartner }] }),
        });
        if (response.status === 201 || response.status === 200) break;
        if (Date.now() > deadline) throw new Error(`seeding stock failed: ${response.status} ${await response.text()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    const requests = (count: number, label: string) =>
      Array.from({ length: count }, (_, i) =>
        createEvent<AssignmentRequestedV1>({
          type: ContractsEvents.assignmentRequested,
          subject: 'bench-client',
          partnerId: partners[i % PARTNERS] as string,
          data: {
            assignmentId: `${label}-${i}-${randomUUID()}`,
            partnerId: partners[i % PARTNERS] as string,
            clientId: 'bench-client',
            lines: [{ sku: SKU, termMonths: 12, quantity: 1 }],
            requestedAt: new Date().toISOString(),
          },
        }),
      );
    const answered = (label: string) => (m: { json: unknown }) => {
      const event = m.json as CloudEvent<{ assignmentId?: string }>;
      return (
        (event?.type === PoolEvents.licensesReserved || event?.type === PoolEvents.reservationRejected) &&
        !!event.data?.assignmentId?.startsWith(`${label}-`)
      );
    };

    await publisher.publish(requests(WARM_UP, 'warm'));
    await tap.waitFor(answered('warm'), { count: WARM_UP, timeoutMs: TIMEOUT_MS });

    const batch = requests(RESERVATIONS, 'run');
    const sentAt = Date.now();
    for (let i = 0; i < batch.length; i += 500) await publisher.publish(batch.slice(i, i + 500));
    const published = Date.now();
    const answers = await tap.waitFor(answered('run'), { count: RESERVATIONS, timeoutMs: TIMEOUT_MS });
    const seconds = (Date.now() - sentAt) / 1000;
    const rejected = answers.filter((m) => (m.json as CloudEvent).type === PoolEvents.reservationRejected).length;
    const latencies = answers
      .map((m) => Date.parse((m.json as CloudEvent<{ reservedAt?: string }>).data.reservedAt ?? '') - sentAt)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);

    console.log(`pool reservations, one process (SERVICE_ROLE=all), ${PARTNERS} partners, ${RESERVATIONS} requests of 1 license:`);
    console.log(`  published in ${((published - sentAt) / 1000).toFixed(2)} s; all answered in ${seconds.toFixed(2)} s (${rejected} rejected)`);
    console.log(`  throughput: ${Math.round(RESERVATIONS / seconds)} reservations/s end to end`);
    console.log(`  time from the start of the run to each reservation: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`);
  } finally {
    await tap?.stop();
    await publisher.disconnect();
    await pool?.stop();
    if (infra) await infra.stopServers(infra.servers, true);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
