import { PoolEvents, type CloudEvent } from '@licensing/events';
import { ensureTopics, type EventPublisher } from '@licensing/messaging';
import type { AggregateDocument } from '@licensing/persistence';
import { bearer, eventually, EventTap, LocalInfrastructure, serviceEnv, ServiceProcess, testKafka, uniqueNames } from '@licensing/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { mongo as driver } from 'mongoose';
import type { Pool } from '../src/domain/pool.aggregate';
import { RESERVATIONS_QUEUE } from '../src/infrastructure/reservation-deadlines';
import { assignmentRequested, catalogEvents, line } from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 12.1: a Redis that comes back empty (restarted without persistence, or flushed) loses
 * every BullMQ job scheduler and delayed job. The running pool process re-creates its
 * reservation sweep by itself, and the sweep releases a reservation whose reminder was lost.
 */
jest.setTimeout(120_000);

const names = uniqueNames(__filename);
let redis: LocalInfrastructure;
let env: Record<string, string>;
let tap: EventTap;
let publisher: EventPublisher;
let mongo: driver.MongoClient;
let queue: Queue;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  // A Redis of this file's own: restarting or flushing it disturbs no other test.
  redis = await LocalInfrastructure.start(`redis-${names.id}`, ['redis']);
  const { REDIS_URL } = redis.urls();
  env = serviceEnv(names, { REDIS_URL, POOL_RESERVATION_TIMEOUT_MS: '8000', POOL_RESERVATION_SWEEP_MS: '1000' });
  const kafka = testKafka(names);
  publisher = kafka.publisher;
  await kafka.admin.connect();
  await ensureTopics(
    kafka.admin,
    ['catalog', 'pool'].map((c) => `${names.prefix}${c}.events`),
    3,
  );
  await kafka.admin.disconnect();
  mongo = await driver.MongoClient.connect(process.env.MONGO_URL as string);
  queue = new Queue(RESERVATIONS_QUEUE, { connection: { url: REDIS_URL }, prefix: names.queuePrefix });
  queue.on('error', () => undefined);
  tap = await EventTap.start([`${names.prefix}pool.events`]);
  await publisher.publish(catalogEvents());
});

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), publisher?.disconnect(), mongo?.close(), queue?.close(), ...processes.map((p) => p.kill())]);
  await redis?.stopServers(['redis'], true);
});

const poolEvent = (type: string, assignmentId: string) => (m: { json: unknown }) =>
  (m.json as CloudEvent<Json>)?.type === type && (m.json as CloudEvent<Json>).data.assignmentId === assignmentId;

async function buy(pool: ServiceProcess, partnerId: string, orderId: string): Promise<void> {
  const headers = { ...(await bearer({ partnerId })), 'content-type': 'application/json' };
  const body = JSON.stringify({ orderId, lines: [line('EP-PRO', 12, 5)] });
  // 201 once the catalog copy holds the product.
  await eventually(async () => (await pool.fetch(`/partners/${partnerId}/pool/purchases`, { method: 'POST', headers, body })).status === 201);
}

const openReservations = async (partnerId: string) =>
  ((await mongo.db(names.database).collection<AggregateDocument<Pool>>('pools').findOne({ _id: partnerId }))?.state.reservations ?? []).map(
    (r) => r.assignmentId,
  );

describe('a Redis restarted empty under a running pool', () => {
  it('gets its reservation sweep back from the process, which releases a reservation whose reminder was lost', async () => {
    const pool = await ServiceProcess.start('pool', env);
    processes.push(pool);
    await buy(pool, 'p-redis', 'stock-1');
    expect(await eventually(() => queue.getJobScheduler('reservation-sweep'))).toBeDefined();

    await publisher.publish([assignmentRequested('p-redis', 'lost-reminder', [line('EP-PRO', 12, 2)])]);
    await tap.waitFor(poolEvent(PoolEvents.licensesReserved, 'lost-reminder'));
    await redis.stopServers(['redis']);
    await redis.startServers(['redis']);

    // Redis lost the reminder and the scheduler; the reservation is still open.
    expect(await queue.getJob('timeout/p-redis/lost-reminder')).toBeUndefined();
    expect(await openReservations('p-redis')).toContain('lost-reminder');
    // The process declared the sweep, and puts it back without a restart.
    expect(await eventually(() => queue.getJobScheduler('reservation-sweep'), 30_000)).toMatchObject({ every: 1000 });
    const [released] = await tap.waitFor(poolEvent(PoolEvents.reservationReleased, 'lost-reminder'), { timeoutMs: 30_000 });
    expect((released?.json as CloudEvent<Json>).data.reason).toBe('timeout');
    expect(await openReservations('p-redis')).toEqual([]);
    await pool.stop();
  });

  it('gets its schedulers back after FLUSHALL too (the connection never dropped), by its periodic check', async () => {
    const pool = await ServiceProcess.start('pool', { ...env, SCHEDULERS_CHECK_MS: '500' });
    processes.push(pool);
    expect(await eventually(() => queue.getJobScheduler('reservation-sweep'))).toBeDefined();
    const client = new Redis(redis.urls().REDIS_URL);
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
    expect(await eventually(() => queue.getJobScheduler('reservation-sweep'), 20_000)).toMatchObject({ every: 1000 });
    await pool.stop();
  });
});
