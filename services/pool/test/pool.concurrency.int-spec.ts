import { CatalogCopy } from '@licensing/catalog-copy';
import { PoolEvents, type CloudEvent } from '@licensing/events';
import type { EventPublisher } from '@licensing/messaging';
import type { RunningService } from '@licensing/service-kit';
import { bearer, eventually, EventTap, serviceEnv, ServiceProcess, testKafka, uniqueNames } from '@licensing/testing';
import { AssignerProtocol, Partitioners, type Admin, type PartitionMetadata } from 'kafkajs';
import { mongo as driver } from 'mongoose';
import { PurchaseStockHandler } from '../src/commands/purchase-stock/purchase-stock.handler';
import { ReserveLicensesHandler } from '../src/commands/reserve-licenses/reserve-licenses.handler';
import { PoolRepository } from '../src/infrastructure/pool.repository';
import { poolConfig, startPool } from '../src/pool.module';
import { assignmentRequested, CATALOG_SKUS, catalogEvents, line } from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const answersFor = (tap: EventTap, partnerId: string) => {
  const answers = tap.events<CloudEvent<Json>>(
    (e) => (e.type === PoolEvents.licensesReserved || e.type === PoolEvents.reservationRejected) && e.data.partnerId === partnerId,
  );
  const byAssignment = new Map(answers.map((e) => [e.data.assignmentId as string, e.type]));
  return {
    total: byAssignment.size,
    reserved: [...byAssignment.values()].filter((t) => t === PoolEvents.licensesReserved).length,
    rejected: [...byAssignment.values()].filter((t) => t === PoolEvents.reservationRejected).length,
  };
};

describe('P3 in one process: 50 concurrent reservations of 1 license against a stock of 20', () => {
  const names = uniqueNames(`${__filename}-one`);
  let pool: RunningService;
  let tap: EventTap;
  let publisher: EventPublisher;

  beforeAll(async () => {
    pool = await startPool(poolConfig(serviceEnv(names, { POOL_RESERVATION_TIMEOUT_MS: '600000' })));
    tap = await EventTap.start([`${names.prefix}pool.events`]);
    ({ publisher } = testKafka(names));
    await publisher.publish(catalogEvents());
    await eventually(async () => (await pool.get(CatalogCopy).getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
  });

  afterAll(async () => {
    await Promise.all([tap?.stop(), publisher?.disconnect()]);
    await pool?.close();
  });

  // The reserve use case is called 50 times at once on one pool document, as 50 writers would:
  // every one loads the same version and only one save per version matches. The test proves
  // that the version check turns the losers into retries that decide again on fresh stock.
  it('P3 reserves exactly 20, rejects 30, never goes below zero, and loses no write', async () => {
    const pools = pool.get(PoolRepository);
    await pool.get(PurchaseStockHandler).execute('p-c', { orderId: 'c-order', lines: [line('EP-PRO', 12, 20)] }, 'corr');
    const updates = jest.spyOn(pools.model.collection, 'updateOne');
    const requests = Array.from({ length: 50 }, (_, i) => assignmentRequested('p-c', `c-${i}`, [line('EP-PRO', 12, 1)]));
    const reserve = pool.get(ReserveLicensesHandler);
    const results = await Promise.all(requests.map((event) => reserve.execute(event)));
    const conflicts = (await Promise.all(updates.mock.results.map((r) => r.value as Promise<{ matchedCount: number }>))).filter(
      (r) => r.matchedCount === 0,
    );
    updates.mockRestore();

    const outcomes = results.map((r) => (typeof r === 'string' ? r : r.outcome));
    expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(20);
    expect(outcomes.filter((o) => o === 'rejected')).toHaveLength(30);
    expect(conflicts.length).toBeGreaterThan(0);
    const doc = await pools.load('p-c');
    expect(doc?.state.lines).toEqual([{ sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 20, assigned: 0 }]);
    expect(doc?.version).toBe(51);
    await eventually(async () => answersFor(tap, 'p-c').total === 50);
    expect(answersFor(tap, 'p-c')).toEqual({ total: 50, reserved: 20, rejected: 30 });
  });
});

describe('P3 with two pool processes consuming at once', () => {
  const names = uniqueNames(`${__filename}-two`);
  const PARTITIONS = 4;
  const env = serviceEnv(names, { KAFKA_TOPIC_PARTITIONS: String(PARTITIONS), POOL_RESERVATION_TIMEOUT_MS: '600000' });
  const processes: ServiceProcess[] = [];
  let tap: EventTap;
  let publisher: EventPublisher;
  let admin: Admin;
  let mongo: driver.MongoClient;

  // One partner per partition of contracts.events, so each of the two processes owns some.
  const partitioner = Partitioners.DefaultPartitioner();
  const metadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata);
  const partitionOf = (key: string) => partitioner({ topic: 'contracts.events', partitionMetadata: metadata, message: { key, value: null } });
  const partners: string[] = [];
  for (let i = 0; partners.length < PARTITIONS; i++) {
    const candidate = `p-two-${i}`;
    if (!partners.some((p) => partitionOf(p) === partitionOf(candidate))) partners.push(candidate);
  }

  beforeAll(async () => {
    processes.push(...(await Promise.all([ServiceProcess.start('pool', env), ServiceProcess.start('pool', env)])));
    tap = await EventTap.start([`${names.prefix}pool.events`]);
    ({ publisher, admin } = testKafka(names));
    await admin.connect();
    mongo = await driver.MongoClient.connect(process.env.MONGO_URL as string);
    await publisher.publish(catalogEvents());
    await eventually(async () => (await mongo.db(names.database).collection('catalog_skus').countDocuments()) === CATALOG_SKUS.length);
  }, 90_000);

  // Killed: their shutdown is not what this test is about.
  afterAll(async () => {
    await Promise.all([tap?.stop(), publisher?.disconnect(), admin?.disconnect(), mongo?.close(), ...processes.map((p) => p.kill())]);
  });

  const consumedRequests = async (process: ServiceProcess) => {
    const text = await (await process.fetch('/metrics')).text();
    return text
      .split('\n')
      .filter(
        (l) => l.startsWith('events_consumed_total') && l.includes('type="contracts.assignment-requested.v1"') && l.includes('outcome="handled"'),
      )
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  // Both processes are in one consumer group, so each partner's requests are handled by one of
  // them, in order; the two processes also take HTTP purchases for every partner at the same
  // time, so each pool document has two writers in two processes at once. The version check
  // must keep every write: exactly 20 reservations per partner and every purchase counted.
  it('P3 reserves exactly 20 of 50 per partner while both processes write the same pools', async () => {
    const group = `${names.prefix}pool`;
    await eventually(async () => {
      const [description] = (await admin.describeGroups([group])).groups;
      const assigned = (description?.members ?? []).filter((m) => {
        const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        return (assignment?.assignment[`${names.prefix}contracts.events`] ?? []).length > 0;
      });
      return description?.state === 'Stable' && assigned.length === 2;
    }, 40_000);

    const headers = async (partnerId: string) => ({ ...(await bearer({ partnerId })), 'content-type': 'application/json' });
    const buy = async (process: ServiceProcess, partnerId: string, orderId: string, lines: Json[]) => {
      const response = await process.fetch(`/partners/${partnerId}/pool/purchases`, {
        method: 'POST',
        headers: await headers(partnerId),
        body: JSON.stringify({ orderId, lines }),
      });
      return response.status;
    };
    for (const [i, partnerId] of partners.entries()) {
      expect(await buy(processes[i % 2] as ServiceProcess, partnerId, `${partnerId}-stock`, [line('EP-PRO', 12, 20)])).toBe(201);
    }

    const requests = partners.flatMap((partnerId) =>
      Array.from({ length: 50 }, (_, i) => assignmentRequested(partnerId, `${partnerId}-a${i}`, [line('EP-PRO', 12, 1)])),
    );
    const purchases = partners.flatMap((partnerId) =>
      Array.from({ length: 20 }, (_, i) => () => buy(processes[i % 2] as ServiceProcess, partnerId, `${partnerId}-o${i}`, [line('EP-ENC', 12, 1)])),
    );
    const [, statuses] = await Promise.all([publisher.publish(requests), Promise.all(purchases.map((purchase) => purchase()))]);
    expect(statuses.every((s) => s === 201)).toBe(true);
    await eventually(async () => partners.every((p) => answersFor(tap, p).total === 50), 40_000);

    const handled = await Promise.all(processes.map(consumedRequests));
    expect(handled.every((n) => n > 0)).toBe(true);
    expect(handled[0]! + handled[1]!).toBe(200);

    const movements = mongo.db(names.database).collection<Json>('pool_movements');
    for (const partnerId of partners) {
      expect({ partnerId, ...answersFor(tap, partnerId) }).toEqual({ partnerId, total: 50, reserved: 20, rejected: 30 });
      const body = (await (await processes[0]!.fetch(`/partners/${partnerId}/pool`, { headers: await headers(partnerId) })).json()) as Json;
      expect(body.lines).toEqual([
        { sku: 'EP-ENC', termMonths: 12, available: 20, reserved: 0, assigned: 0 },
        { sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 20, assigned: 0 },
      ]);
      expect(body.version).toBe(1 + 50 + 20);
      // Replayed in the order the pool made them, the movements never take available below zero.
      await eventually(async () => (await movements.countDocuments({ partnerId })) === 1 + 20 + 20);
      let available = 0;
      for (const m of await movements.find({ partnerId, sku: 'EP-PRO' }).sort({ poolVersion: 1, index: 1 }).toArray()) {
        available += m.available as number;
        expect(available).toBeGreaterThanOrEqual(0);
      }
      expect(available).toBe(0);
    }
  }, 90_000);
});
