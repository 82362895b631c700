import { CatalogCopy, catalogSkuSchema } from '@licensing/catalog-copy';
import { PoolEvents, type CloudEvent } from '@licensing/events';
import { OutboxRelay, type EventPublisher } from '@licensing/messaging';
import type { AggregateDocument } from '@licensing/persistence';
import { createLogger } from '@licensing/platform';
import { bearer, caughtUp, eventually, EventTap, serviceEnv, ServiceProcess, testKafka, uniqueNames } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { createConnection, mongo as driver } from 'mongoose';
import { PurchaseStockHandler } from '../src/commands/purchase-stock/purchase-stock.handler';
import type { Pool } from '../src/domain/pool.aggregate';
import { POOLS, PoolRepository, poolSchema } from '../src/infrastructure/pool.repository';
import { LedgerRepository, movementSchema, MOVEMENTS } from '../src/projections/ledger.repository';
import { assignmentRequested, CATALOG_SKUS, catalogEvents, line } from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The restarted process joins its consumer groups only once the killed member's Kafka session
// (30 s) has expired.
jest.setTimeout(120_000);

const names = uniqueNames(__filename);
// A short session: the restarted process takes over the killed one's partitions sooner.
const env = serviceEnv(names, { POOL_RESERVATION_TIMEOUT_MS: '600000', CONSUMER_SESSION_TIMEOUT_MS: '8000' });
const partners = ['p-k1', 'p-k2', 'p-k3'];
const processes: ServiceProcess[] = [];
let tap: EventTap;
let publisher: EventPublisher;
let admin: Admin;
let mongo: driver.MongoClient;
let db: driver.Db;

beforeAll(async () => {
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
  mongo = await driver.MongoClient.connect(process.env.MONGO_URL as string);
  db = mongo.db(names.database);
});

afterAll(async () => {
  await Promise.all([tap?.stop(), publisher?.disconnect(), admin?.disconnect(), mongo?.close(), ...processes.map((p) => p.kill())]);
});

const headers = async (partnerId: string) => ({ ...(await bearer({ partnerId })), 'content-type': 'application/json' });
async function buy(process: ServiceProcess, partnerId: string, orderId: string, lines: Json[]): Promise<number> {
  const response = await process.fetch(`/partners/${partnerId}/pool/purchases`, {
    method: 'POST',
    headers: await headers(partnerId),
    body: JSON.stringify({ orderId, lines }),
  });
  return response.status;
}
const get = async (process: ServiceProcess, partnerId: string, query = '') =>
  (await (await process.fetch(`/partners/${partnerId}/pool${query}`, { headers: await headers(partnerId) })).json()) as Json;
const pools = () => db.collection<AggregateDocument<Pool>>('pools');
const answers = (partnerId: string) =>
  tap.events<CloudEvent<Json>>(
    (e) => (e.type === PoolEvents.licensesReserved || e.type === PoolEvents.reservationRejected) && e.data.partnerId === partnerId,
  );

describe('a pool process killed between saving and publishing', () => {
  it('loses no event, and after restart the stock and the ledger agree', async () => {
    const victim = await ServiceProcess.start('pool', env);
    processes.push(victim);
    tap = await EventTap.start([`${names.prefix}pool.events`]);
    await publisher.publish(catalogEvents());
    await eventually(async () => (await db.collection('catalog_skus').countDocuments()) === CATALOG_SKUS.length);
    for (const partnerId of partners) expect(await buy(victim, partnerId, `${partnerId}-stock`, [line('EP-PRO', 12, 30)])).toBe(201);

    // A burst in flight when the process dies: reservations from Kafka, purchases over HTTP.
    const requests = partners.flatMap((partnerId) =>
      Array.from({ length: 20 }, (_, i) => assignmentRequested(partnerId, `${partnerId}-a${i}`, [line('EP-PRO', 12, 1)])),
    );
    const orders = partners.flatMap((partnerId) => Array.from({ length: 10 }, (_, i) => ({ partnerId, orderId: `${partnerId}-o${i}` })));
    await publisher.publish(requests);
    const inFlight = orders.map((o) => buy(victim, o.partnerId, o.orderId, [line('EP-ENC', 12, 1)]).catch(() => 'lost' as const));
    await tap.waitFor((m) => (m.json as CloudEvent)?.type === PoolEvents.licensesReserved, { count: 15 });
    await victim.kill();
    const statuses = await Promise.all(inFlight);
    const leftBehind = (await pools().find({}).toArray()).reduce((n, d) => n + d.outbox.length, 0);

    // The exact moment between the save and the publish, made certain: the pool's own use case
    // saves a purchase with its event in the outbox, and its relay is stopped before it can publish,
    // as when a process dies right after its write.
    const connection = await createConnection(process.env.MONGO_URL as string, { dbName: names.database }).asPromise();
    const stoppedRelay = new OutboxRelay(publisher, createLogger('pool-test', 'silent'), { sweepMs: 60_000 });
    await stoppedRelay.stop();
    const offline = new PurchaseStockHandler(
      new PoolRepository(connection.model<AggregateDocument<Pool>>(POOLS, poolSchema), stoppedRelay),
      new CatalogCopy(connection.model('catalog_skus', catalogSkuSchema)),
      new LedgerRepository(connection.model(MOVEMENTS, movementSchema)),
      () => new Date(),
    );
    await offline.execute('p-k1', { orderId: 'saved-not-published', lines: [line('EP-ENC', 12, 5)] }, 'crash-1');
    await connection.close();
    const saved = await pools().findOne({ _id: 'p-k1' });
    expect(saved?.outbox.map((e) => (e.data as Json).creditId)).toContain('saved-not-published');
    expect(tap.events((e) => (e as Json).data?.creditId === 'saved-not-published')).toEqual([]);
    // The copy of the catalog is lost as well: the restarted process rebuilds it from the topic.
    await db.collection('catalog_skus').drop();

    // Its consumers join groups that still list the killed member, so it is ready once that
    // member's session has expired.
    const restarted = await ServiceProcess.start('pool', env, { readyTimeoutMs: 60_000 });
    processes.push(restarted);
    const [published] = await tap.waitFor((m) => (m.json as CloudEvent<Json>)?.data?.creditId === 'saved-not-published', { timeoutMs: 15_000 });
    expect((published?.json as CloudEvent).correlationid).toBe('crash-1');
    await eventually(async () => (await db.collection('catalog_skus').countDocuments()) === CATALOG_SKUS.length);
    // Clients retry what they got no answer for; the orderId makes the retry safe.
    for (const [i, order] of orders.entries()) {
      if (statuses[i] === 'lost') expect([200, 201]).toContain(await buy(restarted, order.partnerId, order.orderId, [line('EP-ENC', 12, 1)]));
      else expect(statuses[i]).toBe(201);
    }

    await eventually(async () => partners.every((p) => new Set(answers(p).map((e) => e.data.assignmentId)).size === 20), 60_000);
    await eventually(async () => (await pools().countDocuments({ 'outbox.0': { $exists: true } })) === 0);
    await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, `${names.prefix}pool.events`), 20_000);

    const movements = db.collection<Json>('pool_movements');
    for (const partnerId of partners) {
      // Every request answered once: a redelivered answer is the same event (same id).
      const ids = new Map<string, Set<string>>();
      for (const e of answers(partnerId)) ids.set(e.data.assignmentId, (ids.get(e.data.assignmentId) ?? new Set()).add(e.id));
      expect([...ids.values()].every((s) => s.size === 1)).toBe(true);

      const now = await get(restarted, partnerId);
      expect(now.lines).toEqual([
        { sku: 'EP-ENC', termMonths: 12, available: partnerId === 'p-k1' ? 15 : 10, reserved: 0, assigned: 0 },
        { sku: 'EP-PRO', termMonths: 12, available: 10, reserved: 20, assigned: 0 },
      ]);
      const asOf = await get(restarted, partnerId, `?asOf=${encodeURIComponent(new Date().toISOString())}`);
      expect(asOf.lines).toEqual(now.lines);

      // available + reserved + assigned = everything ever credited minus what left by expiry.
      const all = await movements.find({ partnerId }).toArray();
      const credited = all.filter((m) => ['purchase', 'points', 'recovery'].includes(m.reason)).reduce((n, m) => n + m.available, 0);
      const expired = -all.filter((m) => m.reason === 'expired').reduce((n, m) => n + m.available + m.reserved + m.assigned, 0);
      const held = (now.lines as Json[]).reduce((n, l) => n + l.available + l.reserved + l.assigned, 0);
      expect(held).toBe(credited - expired);
      expect(Math.max(...all.map((m) => m.poolVersion))).toBe(now.version);
    }
    // Logged for the reader: how many saved events the kill itself left for the restart to publish.
    process.stdout.write(`pool crash test: the kill left ${leftBehind} saved but unpublished event(s)\n`);
  });
});
