import { randomUUID } from 'node:crypto';
import { CatalogEvents, ContractsEvents, createEvent, dlqTopicOf, PoolEvents, type AssignmentRequestedV1, type CloudEvent } from '@licensing/events';
import { Metrics } from '@licensing/platform';
import type { RunningService } from '@licensing/service-kit';
import {
  bearer,
  caughtUp,
  eventually,
  EventTap,
  LocalInfrastructure,
  productUpdated,
  serviceEnv,
  testKafka,
  topicEnd,
  uniqueNames,
} from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { pointsConfig, startPoints } from '../../services/points/src/points.module';
import { poolConfig, startPool } from '../../services/pool/src/pool.module';

/**
 * A bad moment is not a bad message (DESIGN.md §4): the pool and points keep consuming while
 * their Mongo server is away for 10 s, dead-letter nothing, and apply every event once when it
 * is back. And a newer event version nobody handles is skipped by every consumer.
 */
const names = uniqueNames(__filename);
const topics = ['catalog', 'pool', 'contracts', 'points'].map((c) => `${names.prefix}${c}.events`);
let mongo: LocalInfrastructure;
let pool: RunningService;
let points: RunningService;
let admin: Admin;
let publisher: ReturnType<typeof testKafka>['publisher'];
let tap: EventTap;
const PARTNER = 'outage-partner';

const envFor = (service: string, mongoUrl: string) =>
  serviceEnv(names, { MONGO_URL: mongoUrl, MONGO_DATABASE: `${names.database}_${service}`, QUEUE_PREFIX: `${names.queuePrefix}:${service}` });

async function http(service: RunningService, method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: unknown) {
  const response = await service.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  return { status: response.statusCode, body: response.body ? response.json() : undefined };
}

/** A service's count of consumed events by type and outcome, from its metrics registry. */
async function consumed(service: RunningService, type: string, outcome: string): Promise<number> {
  const metric = await service.get(Metrics).registry.getSingleMetric('events_consumed_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.type === type && v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
}

beforeAll(async () => {
  mongo = await LocalInfrastructure.start(`outage-${names.id}`, ['mongo']);
  const mongoUrl = mongo.urls().MONGO_URL;
  [pool, points] = await Promise.all([startPool(poolConfig(envFor('pool', mongoUrl))), startPoints(pointsConfig(envFor('points', mongoUrl)))]);
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
  tap = await EventTap.start(topics.flatMap((t) => [t, dlqTopicOf(t)]));
  await publisher.publish([
    createEvent({
      type: CatalogEvents.productUpdated,
      subject: 'EP-M',
      data: productUpdated('EP-M', { terms: [1, 12], pointsPricePerMonth: 5 }),
    }),
  ]);
  const pointsAdmin = await bearer({ roles: ['points-admin'] });
  const partner = await bearer({ partnerId: PARTNER });
  // The catalog copies hold the product once a quote and a purchase take it.
  // (An unknown sku is a 400 POINTS.UNKNOWN_SKU: waiting for anything but a 422 let a slow first
  // start of the broker through before the copy had the product.)
  await eventually(async () => {
    const quote = await http(points, 'POST', `/partners/${PARTNER}/points/exchanges?dryRun=true`, pointsAdmin, {
      lines: [{ sku: 'EP-M', quantity: 1 }],
    });
    return (quote.status < 500 && quote.status !== 422 && quote.body?.code !== 'POINTS.UNKNOWN_SKU') || undefined;
  });
  expect((await http(points, 'PUT', `/partners/${PARTNER}/points/enrolment`, pointsAdmin, { enrolled: true })).status).toBe(200);
  expect(
    (
      await http(
        points,
        'POST',
        `/partners/${PARTNER}/points/credits`,
        { ...pointsAdmin, 'idempotency-key': 'grant' },
        { amount: 1000, reason: 'outage test' },
      )
    ).status,
  ).toBe(201);
  await eventually(
    async () =>
      (
        await http(pool, 'POST', `/partners/${PARTNER}/pool/purchases`, partner, {
          orderId: 'stock',
          lines: [{ sku: 'EP-M', termMonths: 12, quantity: 50 }],
        })
      ).status === 201 || undefined,
  );
}, 120_000);

afterAll(async () => {
  try {
    // Bounded: a service that cannot close (after a failed run) must not leave this test's Mongo server running.
    const closed = Promise.allSettled([tap?.stop(), publisher?.disconnect(), admin?.disconnect(), pool?.close(), points?.close()]);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 45_000).unref())]);
  } finally {
    await mongo?.stopServers(['mongo'], true);
  }
}, 90_000);

describe('Mongo away for 10 s while events flow into the pool and points', () => {
  it('dead-letters nothing and applies every event once when it is back', async () => {
    const partner = await bearer({ partnerId: PARTNER });
    const exchanges: string[] = [];
    for (let i = 0; i < 3; i++) {
      const accepted = await http(
        points,
        'POST',
        `/partners/${PARTNER}/points/exchanges`,
        { ...partner, 'idempotency-key': `outage-${i}` },
        { lines: [{ sku: 'EP-M', quantity: 2 }] },
      );
      expect(accepted.status).toBe(202);
      exchanges.push(accepted.body.exchangeId);
    }
    const requests = Array.from({ length: 10 }, (_, i) =>
      createEvent<AssignmentRequestedV1>({
        type: ContractsEvents.assignmentRequested,
        subject: `client-${i}`,
        partnerId: PARTNER,
        data: {
          assignmentId: `outage-a-${i}-${randomUUID()}`,
          partnerId: PARTNER,
          clientId: `client-${i}`,
          lines: [{ sku: 'EP-M', termMonths: 12, quantity: 1 }],
          requestedAt: new Date().toISOString(),
        },
      }),
    );

    await mongo.stopServers(['mongo']);
    const stoppedAt = Date.now();
    await publisher.publish(requests.slice(0, 5));
    await publisher.publish(requests); // the first five twice, as a producer's retry would
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt)))); // the outage itself
    await mongo.startServers(['mongo']);

    for (const exchangeId of exchanges) {
      const final = await eventually(async () => {
        const state = await http(points, 'GET', `/partners/${PARTNER}/points/exchanges/${exchangeId}`, partner);
        return state.body?.status === 'completed' && state.body;
      }, 60_000);
      expect(final).toMatchObject({ status: 'completed' });
    }
    const answers = await tap.waitFor(
      (m) =>
        (m.json as CloudEvent)?.type === PoolEvents.licensesReserved &&
        requests.some((r) => r.data.assignmentId === (m.json as CloudEvent<{ assignmentId: string }>).data.assignmentId),
      { count: 10, timeoutMs: 60_000 },
    );
    // Every consumer has read everything: anything applied twice, or dead-lettered, shows now.
    await eventually(() => caughtUp(admin, `${names.prefix}pool`, `${names.prefix}contracts.events`), 30_000);
    await eventually(() => caughtUp(admin, `${names.prefix}pool`, `${names.prefix}points.events`), 30_000);
    await eventually(() => caughtUp(admin, `${names.prefix}points-exchange-saga`, `${names.prefix}pool.events`), 30_000);
    expect(new Set(answers.map((m) => (m.json as CloudEvent<{ assignmentId: string }>).data.assignmentId)).size).toBe(10);
    // Delivery is at least once: an event published just before Mongo went away may be published
    // again after (same id). Applied once means one distinct event per assignment and per exchange.
    const distinct = <T extends { id: string }>(events: T[]) => [...new Map(events.map((e) => [e.id, e])).values()];
    const reserved = distinct(tap.events<{ data: { assignmentId: string } }>((e) => e.type === PoolEvents.licensesReserved));
    expect(reserved.filter((e) => requests.some((r) => r.data.assignmentId === e.data.assignmentId))).toHaveLength(10);
    const credited = distinct(tap.events<{ data: { creditId: string } }>((e) => e.type === PoolEvents.stockCredited));
    expect(credited.filter((e) => exchanges.includes(e.data.creditId))).toHaveLength(3);
    const stock = await http(pool, 'GET', `/partners/${PARTNER}/pool`, partner);
    expect(stock.body.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sku: 'EP-M', termMonths: 12, available: 40, reserved: 10 }),
        expect.objectContaining({ sku: 'EP-M', termMonths: 1, available: 6 }),
      ]),
    );
    for (const topic of topics) expect({ topic, dead: await topicEnd(admin, dlqTopicOf(topic)) }).toEqual({ topic, dead: 0 });
  }, 180_000);
});

describe('a newer event version nobody handles', () => {
  it('is skipped by every consumer of its topic, and the .dlq stays empty', async () => {
    const poolTopic = `${names.prefix}pool.events`;
    const v2 = { ...createEvent({ type: PoolEvents.stockLow, subject: PARTNER, partnerId: PARTNER, data: {} }), type: 'pool.stock-low.v2' };
    await publisher.sendRaw(poolTopic, { key: PARTNER, value: JSON.stringify(v2), headers: {} });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(names.prefix));
    const readers = [];
    for (const groupId of groups) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [poolTopic] });
      if (offsets?.partitions.some((p) => Number(p.offset) >= 0)) readers.push(groupId);
    }
    expect(readers.length).toBeGreaterThanOrEqual(2);
    for (const groupId of readers) await eventually(() => caughtUp(admin, groupId, poolTopic), 30_000);
    expect(await consumed(pool, 'pool.stock-low.v2', 'skipped')).toBeGreaterThanOrEqual(1);
    expect(await consumed(points, 'pool.stock-low.v2', 'skipped')).toBeGreaterThanOrEqual(1);
    expect(await topicEnd(admin, dlqTopicOf(poolTopic))).toBe(0);
  });
});
