import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContractsEvents, createAjv, PointsEvents, PoolEvents, type CloudEvent } from '@licensing/events';
import {
  bearer,
  caughtUp,
  eventually,
  EventTap,
  ServiceProcess,
  serviceEnv,
  testKafka,
  testKafkaClient,
  uniqueNames,
  callJson as call,
} from '@licensing/testing';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { firstOfNextMonth } from '../../services/contracts/src/domain/dates';
import { PROJECTIONS, projectionNamed, replay, type ReplayResult } from '../../scripts/replay';

/**
 * Issue 11: the event stream as a product. The four services run as processes on one Kafka with
 * this file's prefix; a scenario (purchases, assignments, a cancellation, points exchanges, a
 * monthly lapse on the 1st) fills the topics. Then: the topics hold their declared policy (a
 * retention drifted before the start is corrected), catalog.events is compacted and a fresh
 * catalog copy rebuilt from it equals the catalog, and every projection replayed into an empty
 * database has the live one's totals.
 */
const names = uniqueNames(__filename);
const databaseOf = (service: string) => `${names.database}_${service}`;
// Warnings are kept: start-up logs a corrected topic at warn.
const envFor = (service: string) =>
  serviceEnv(names, {
    MONGO_DATABASE: databaseOf(service),
    QUEUE_PREFIX: `${names.queuePrefix}:${service}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  });
const topic = (context: string) => `${names.prefix}${context}.events`;

let catalog: ServiceProcess;
let pool: ServiceProcess;
let contracts: ServiceProcess;
let points: ServiceProcess;
let admin: Admin;
let tap: EventTap;
let mongo: typeof mongoose;
let catalogAdmin: { authorization: string };
let pointsAdmin: { authorization: string };
let clockAdmin: { authorization: string };
const connections: Connection[] = [];
const tokens = new Map<string, { authorization: string }>();

async function tokenOf(partnerId: string): Promise<{ authorization: string }> {
  if (!tokens.has(partnerId)) tokens.set(partnerId, await bearer({ partnerId }));
  return tokens.get(partnerId)!;
}

const topicConfig = async (name: string): Promise<Record<string, string>> => {
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name }] });
  return Object.fromEntries((described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
};

const database = (name: string): Connection => {
  const connection = mongo.connection.useDb(name, { useCache: false });
  connections.push(connection);
  return connection;
};

/** Every message of a topic, read from its start to its end as it is now, by a consumer of its own. */
async function readAll(name: string): Promise<CloudEvent[]> {
  const ends = new Map((await admin.fetchTopicOffsets(name)).map((o) => [o.partition, Number(o.high)]));
  const consumer = testKafkaClient('operator').consumer({ groupId: `read-${randomUUID()}` });
  const events: CloudEvent[] = [];
  const pending = new Set([...ends].filter(([, end]) => end > 0).map(([partition]) => partition));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: name, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    if (pending.size === 0) done();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (Number(message.offset) >= (ends.get(batch.partition) ?? 0)) break;
          events.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as CloudEvent);
        }
        if (Number(batch.lastOffset()) >= (ends.get(batch.partition) ?? 0) - 1) pending.delete(batch.partition);
        if (pending.size === 0) done();
      },
    });
    await finished;
    return events;
  } finally {
    await consumer.disconnect();
  }
}

// --- the scenario -----------------------------------------------------------------------

const P1 = 'stream-one';
const P2 = 'stream-two';
let catalogWrites = 0;

async function catalogWrite(method: string, path: string, body?: unknown): Promise<void> {
  const answer = await call(catalog, method, path, catalogAdmin, body);
  expect([path, answer.status]).toEqual([path, method === 'POST' && !path.endsWith('/retire') ? 201 : 200]);
  catalogWrites++;
}

async function purchase(partnerId: string, orderId: string, sku: string, quantity: number): Promise<void> {
  const answer = await eventually(async () => {
    const r = await call(pool, 'POST', `/partners/${partnerId}/pool/purchases`, await tokenOf(partnerId), {
      orderId,
      lines: [{ sku, termMonths: 12, quantity }],
    });
    return r.body?.code === 'POOL.UNKNOWN_SKU' ? undefined : r;
  });
  expect(answer.status).toBe(201);
}

async function assign(
  partnerId: string,
  clientId: string,
  key: string,
  sku: string,
  termMonths: number,
  quantity: number,
): Promise<{ contractId: string }[]> {
  const client = await call(contracts, 'POST', `/partners/${partnerId}/clients`, await tokenOf(partnerId), { clientId, name: `Client ${clientId}` });
  expect([201, 409]).toContain(client.status);
  const answer = await eventually(async () => {
    const r = await call(
      contracts,
      'POST',
      `/partners/${partnerId}/clients/${clientId}/assignments`,
      { ...(await tokenOf(partnerId)), 'idempotency-key': key, prefer: 'wait=20' },
      { sku, termMonths, quantity, managementModel: 'delegated' },
    );
    return r.body?.code === 'CONTRACTS.UNKNOWN_SKU' ? undefined : r;
  });
  expect(answer).toMatchObject({ status: 200, body: { status: 'activated' } });
  return answer.body.contracts;
}

async function exchange(partnerId: string, quantity: number): Promise<void> {
  const answer = await eventually(async () => {
    const r = await call(
      points,
      'POST',
      `/partners/${partnerId}/points/exchanges`,
      { ...(await tokenOf(partnerId)), prefer: 'wait=20' },
      { lines: [{ sku: 'EP-MSSP', quantity }] },
    );
    return r.body?.code === 'POINTS.UNKNOWN_SKU' ? undefined : r;
  });
  expect(answer).toMatchObject({ status: 200, body: { status: 'completed' } });
}

const arrival = (type: string, partnerId: string) =>
  tap.waitFor((m) => (m.json as CloudEvent)?.type === type && (m.json as CloudEvent).partnerid === partnerId, { timeoutMs: 30_000 });

beforeAll(async () => {
  admin = testKafka(names).admin;
  await admin.connect();
  // A topic that drifted before the platform starts: pool.events at the broker's 7-day retention.
  await admin.createTopics({ topics: [{ topic: topic('pool'), numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '604800000' }] }] });
  [catalog, pool, contracts, points] = (await Promise.all(
    ['catalog', 'pool', 'contracts', 'points'].map((service) => ServiceProcess.start(service, envFor(service), { readyTimeoutMs: 60_000 })),
  )) as [ServiceProcess, ServiceProcess, ServiceProcess, ServiceProcess];
  mongo = await mongoose.connect(process.env.MONGO_URL as string);
  tap = await EventTap.start(['pool', 'contracts', 'points'].map(topic));
  [catalogAdmin, pointsAdmin, clockAdmin] = await Promise.all([
    bearer({ roles: ['catalog-admin'] }),
    bearer({ roles: ['points-admin'] }),
    bearer({ roles: ['clock-admin'] }),
  ]);

  // catalog.events as declared, with tiny segments and an eager cleaner so this run sees it compacted.
  const catalogTopic = topic('catalog');
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        type: ConfigResourceTypes.TOPIC,
        name: catalogTopic,
        configEntries: Object.entries({
          'cleanup.policy': 'compact',
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'delete.retention.ms': '100',
        }).map(([name, value]) => ({ name, value })),
      },
    ],
  });

  // Every sku several times: created, renamed, repriced.
  await catalogWrite('POST', '/families', { code: 'endpoint', name: 'Endpoint protection' });
  await catalogWrite('POST', '/modules', { sku: 'EP-ENC', name: 'Encryption', terms: [12] });
  await catalogWrite('POST', '/products', {
    sku: 'EP-STD',
    name: 'Standard',
    familyCode: 'endpoint',
    terms: [12],
    managementModels: ['self', 'delegated'],
  });
  await catalogWrite('POST', '/products', {
    sku: 'EDR-STD',
    name: 'EDR',
    familyCode: 'endpoint',
    terms: [12, 24],
    managementModels: ['self', 'delegated'],
  });
  await catalogWrite('POST', '/products', {
    sku: 'EP-MSSP',
    name: 'Monthly',
    familyCode: 'endpoint',
    terms: [1],
    managementModels: ['self', 'delegated'],
    pointsPricePerMonth: 5,
  });
  for (let round = 1; round <= 3; round++) {
    await catalogWrite('PATCH', '/products/EP-STD', { name: `Standard r${round}` });
    await catalogWrite('PATCH', '/products/EDR-STD', { name: `EDR r${round}` });
    await catalogWrite('PATCH', '/products/EP-MSSP', { name: `Monthly r${round}` });
    await catalogWrite('PATCH', '/modules/EP-ENC', { name: `Encryption r${round}` });
  }

  // Two partners: purchases, assignments, a cancellation (recovery), exchanges, and on the next 1st a lapse.
  await purchase(P1, 'one-order', 'EP-STD', 10);
  await purchase(P2, 'two-order', 'EDR-STD', 5);
  const [contract] = await assign(P1, 'acme', 'one-assign', 'EP-STD', 12, 4);
  await assign(P2, 'globex', 'two-assign', 'EDR-STD', 12, 2);
  expect(
    (await call(contracts, 'POST', `/partners/${P1}/clients/acme/contracts/${contract!.contractId}/cancellation`, await tokenOf(P1))).status,
  ).toBe(200);
  for (const [partnerId, amount] of [
    [P1, 20],
    [P2, 100],
  ] as const) {
    expect((await call(points, 'PUT', `/partners/${partnerId}/points/enrolment`, pointsAdmin, { enrolled: true })).status).toBe(200);
    const credit = await call(
      points,
      'POST',
      `/partners/${partnerId}/points/credits`,
      { ...pointsAdmin, 'idempotency-key': `grant-${partnerId}` },
      { amount, reason: 'e2e' },
    );
    expect(credit.status).toBe(201);
  }
  await exchange(P1, 4);
  await exchange(P2, 3);
  await assign(P2, 'initech', 'two-monthly', 'EP-MSSP', 1, 2);
  await arrival(PoolEvents.stockCredited, P1);

  // The 1st of next month: P2's points renew its monthly licenses, P1's (no points left) lapse and leave the pool.
  const now = (await call(contracts, 'GET', '/admin/clock', clockAdmin)).body.now as string;
  const days = Math.round((Date.parse(`${firstOfNextMonth(now.slice(0, 10))}T00:00:00Z`) - Date.parse(now)) / 86_400_000) + 1;
  expect((await call(contracts, 'POST', '/admin/clock', clockAdmin, { advance: `${days}d` })).status).toBe(200);
  await arrival(PoolEvents.stockExpired, P1);
  await arrival(PointsEvents.monthlyRenewed, P2);
  await arrival(ContractsEvents.contractRenewed, P2);
}, 180_000);

afterAll(async () => {
  await Promise.all([catalog, pool, contracts, points].map((service) => service?.stop()));
  await tap?.stop();
  await admin?.disconnect();
  for (const connection of connections) await connection.close().catch(() => undefined);
  await mongo?.disconnect();
});

describe('topic policy', () => {
  it('corrects at start-up a retention that drifted before it (pool.events kept forever again), and creates the others with theirs', async () => {
    expect(await topicConfig(topic('pool'))).toMatchObject({ 'retention.ms': '-1', 'cleanup.policy': 'delete' });
    expect(await topicConfig(topic('contracts'))).toMatchObject({ 'retention.ms': '-1' });
    expect(await topicConfig(`${topic('points')}.dlq`)).toMatchObject({ 'retention.ms': '2592000000' });
    expect(pool.output.join('')).toContain('corrected a topic whose settings drifted from its declared policy');
  });

  it('compacts catalog.events, and a fresh catalog copy rebuilt from it equals the catalog', async () => {
    // Segments roll on the next write after segment.ms: touch every sku again, then wait for the cleaner.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const sku of ['EP-STD', 'EDR-STD']) await catalogWrite('PATCH', `/products/${sku}`, { name: `${sku} final` });
    await catalogWrite('PATCH', '/modules/EP-ENC', { name: 'Encryption final' });
    await catalogWrite('PATCH', '/families/endpoint', { name: 'Endpoint protection (final)' });
    const compacted = await eventually(
      async () => {
        const events = await readAll(topic('catalog'));
        return events.length < catalogWrites && events;
      },
      60_000,
      1000,
    );
    // Compaction keeps at least the latest event of every key.
    expect(new Set(compacted.map((e) => e.subject))).toEqual(new Set(['endpoint', 'EP-ENC', 'EP-STD', 'EDR-STD', 'EP-MSSP']));

    const fresh = database(`${names.database}_fresh_copy`);
    const result = await replay(projectionNamed('catalog-copy:pool')!, {
      kafka: testKafkaClient('pool'),
      live: database(databaseOf('pool')),
      target: fresh,
      topicPrefix: names.prefix,
    });
    const rebuilt = await fresh.collection(result.collection).find({}).sort({ _id: 1 }).toArray();
    const [products, modules] = await Promise.all([call(catalog, 'GET', '/products', catalogAdmin), call(catalog, 'GET', '/modules', catalogAdmin)]);
    const catalogSkus = [...products.body.items, ...modules.body.items]
      .map((s: { sku: string; name: string; status: string; version: number }) => ({
        _id: s.sku,
        name: s.name,
        status: s.status,
        version: s.version,
      }))
      .sort((a: { _id: string }, b: { _id: string }) => (a._id < b._id ? -1 : 1));
    expect(rebuilt.map(({ _id, name, status, version }) => ({ _id, name, status, version }))).toEqual(catalogSkus);
  });
});

describe('replay (npm run replay)', () => {
  /** Each projection's consumer group has read its whole topic: the live collection is complete. */
  const LIVE_GROUPS: Record<string, string> = {
    'pool-ledger': 'pool-ledger',
    'points-ledger': 'points-projections',
    exchanges: 'points-projections',
    'catalog-copy:pool': 'pool-catalog',
    'catalog-copy:points': 'points-catalog',
    'catalog-copy:contracts': 'contracts-catalog',
    'saga-records': 'contracts-records',
  };

  /** Whether the live projection's consumer group has read its whole topic (a copy rebuilt at start reads in a `-rebuild-` group). */
  const liveCaughtUp = async (projection: (typeof PROJECTIONS)[number]): Promise<boolean> => {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(names.prefix + LIVE_GROUPS[projection.name]));
    const states = await Promise.all(groups.map((group) => caughtUp(admin, group, topic(projection.topic))));
    return states.some(Boolean);
  };

  it('rebuilds every projection into an empty database with the same totals as the live one', async () => {
    expect(PROJECTIONS.map((p) => p.name).sort()).toEqual(Object.keys(LIVE_GROUPS).sort());
    await Promise.all(PROJECTIONS.map((projection) => eventually(() => liveCaughtUp(projection), 30_000, 200)));
    const results: ReplayResult[] = await Promise.all(
      PROJECTIONS.map((projection) =>
        replay(projection, {
          kafka: testKafkaClient(projection.service),
          live: database(databaseOf(projection.service)),
          target: database(`${names.database}_replay_${projection.service}`),
          topicPrefix: names.prefix,
        }),
      ),
    );
    for (const result of results) {
      expect({ projection: result.projection, difference: result.difference }).toEqual({ projection: result.projection, difference: {} });
      expect(result.rebuilt.documents).toBeGreaterThan(0);
    }
  });

  it('swaps only when asked: the rebuilt ledger becomes the live one, the old one is kept aside', async () => {
    const live = database(databaseOf('pool'));
    const before = await live.collection('pool_movements').countDocuments();
    const result = await replay(projectionNamed('pool-ledger')!, { kafka: testKafkaClient('pool'), live, topicPrefix: names.prefix, swap: true });
    expect(result.difference).toEqual({});
    expect(result.swapped).toMatchObject({ live: 'pool_movements', previous: expect.stringMatching(/^pool_movements_before_replay_/) });
    expect(await live.collection('pool_movements').countDocuments()).toBe(before);
    expect(await live.collection(result.swapped!.previous).countDocuments()).toBe(before);
    // The pool still answers from its ledger.
    const movements = await call(pool, 'GET', `/partners/${P1}/pool/movements?limit=100`, await tokenOf(P1));
    expect(movements.status).toBe(200);
    expect(movements.body.items.length).toBeGreaterThan(0);
  });
});

describe('schemas a reader can fetch', () => {
  it('every event on the topics names a dataschema URL that resolves, without a token, to a schema its data validates against', async () => {
    const events = (await Promise.all(['catalog', 'pool', 'contracts', 'points'].map((context) => readAll(topic(context))))).flat();
    const byType = new Map(events.map((event) => [event.type, event]));
    expect(byType.size).toBeGreaterThan(15);
    const asyncapi = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.json'), 'utf8'));
    const ajv = createAjv({ allErrors: true, strict: false });
    for (const [type, event] of byType) {
      const producer = { catalog, pool, contracts, points }[type.split('.')[0] as 'pool'];
      expect(event.dataschema).toBe(`${producer.url}/schemas/${type}`);
      const response = await fetch(event.dataschema);
      expect({ type, status: response.status }).toEqual({ type, status: 200 });
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      const schema = (await response.json()) as { $id: string };
      expect(schema.$id).toBe(event.dataschema);
      const validate = ajv.compile(schema);
      expect({ type, valid: validate(event.data), errors: validate.errors ?? null }).toEqual({ type, valid: true, errors: null });
      // The event catalog names the same schema, at the local platform's address of the same path.
      const documented = asyncapi.components.messages[type].payload.properties.data.$id as string;
      expect(new URL(documented).pathname).toBe(new URL(event.dataschema).pathname);
      // Cacheable: the ETag answers 304.
      const again = await fetch(event.dataschema, { headers: { 'if-none-match': response.headers.get('etag') ?? '' } });
      expect(again.status).toBe(304);
    }
    const unknown = await fetch(`${pool.url}/schemas/points.exchange-debited.v1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'SCHEMAS.NOT_FOUND' });
    const index = (await (await fetch(`${points.url}/schemas`)).json()) as { items: { type: string; url: string }[] };
    expect(index.items.every((item) => item.type.startsWith('points.') && item.url === `${points.url}/schemas/${item.type}`)).toBe(true);
  });
});

describe('a pipeline that shares no code with us (examples/license-usage)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'license-usage-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  type Row = {
    day: string;
    partnerId: string;
    licensesBought: number;
    licensesAssigned: number;
    licensesRecovered: number;
    licensesExpired: number;
    pointsSpent: number;
  };
  const COLUMNS = ['licensesBought', 'licensesAssigned', 'licensesRecovered', 'licensesExpired', 'pointsSpent'] as const;

  /** Runs the example's own command, as a data engineer would, signed in as its own read-only principal. */
  async function runPipeline(): Promise<{ rows: Row[]; log: string }> {
    const out = join(stateDir, 'table.csv');
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '..', '..', 'examples', 'license-usage', 'src', 'cli.js'), '--out', out],
      {
        env: {
          PATH: process.env.PATH,
          KAFKA_BROKERS: process.env.KAFKA_BROKERS,
          ...(process.env.KAFKA_SERVICES_PASSWORD ? { KAFKA_USERNAME: 'license-usage', KAFKA_PASSWORD: process.env.KAFKA_SERVICES_PASSWORD } : {}),
          KAFKA_TOPIC_PREFIX: names.prefix,
          STATE_FILE: join(stateDir, 'state.json'),
        },
        timeout: 60_000,
      },
    );
    const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
    const columns = (header ?? '').split(',');
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], i < 2 ? value : Number(value)])) as Row);
    return { rows, log: stderr };
  }

  /** The same table from the services' own ledgers: the pool's movements and the points ledger. */
  async function fromLedgers(): Promise<Row[]> {
    const rows = new Map<string, Row>();
    const add = (at: Date | string, partnerId: string, column: (typeof COLUMNS)[number], value: number) => {
      if (value === 0) return;
      const day = new Date(at).toISOString().slice(0, 10);
      const row = rows.get(`${day}|${partnerId}`) ?? {
        day,
        partnerId,
        licensesBought: 0,
        licensesAssigned: 0,
        licensesRecovered: 0,
        licensesExpired: 0,
        pointsSpent: 0,
      };
      row[column] += value;
      rows.set(`${day}|${partnerId}`, row);
    };
    const movements = await database(databaseOf('pool')).collection('pool_movements').find({}).toArray();
    for (const m of movements) {
      if (m.reason === 'purchase' || m.reason === 'points') add(m.at, m.partnerId, 'licensesBought', m.available);
      if (m.reason === 'committed') add(m.at, m.partnerId, 'licensesAssigned', m.assigned);
      if (m.reason === 'recovery') add(m.at, m.partnerId, 'licensesRecovered', m.available);
      if (m.reason === 'expired') add(m.at, m.partnerId, 'licensesExpired', -(m.available + m.assigned));
    }
    for (const entry of await database(databaseOf('points')).collection('ledger').find({}).toArray()) {
      if (entry.kind !== 'credit') add(entry.at, entry.partnerId, 'pointsSpent', -entry.amount);
    }
    return [...rows.values()].sort((a, b) => (a.day === b.day ? a.partnerId.localeCompare(b.partnerId) : a.day.localeCompare(b.day)));
  }

  it("reads pool, contracts and points events from the beginning into a daily table per partner that matches the services' ledgers", async () => {
    const { rows, log } = await runPipeline();
    expect(rows).toEqual(await fromLedgers());
    // The scenario's figures, on two days: today's trading and the lapse on the 1st.
    const total = (column: (typeof COLUMNS)[number], partnerId: string) =>
      rows.filter((r) => r.partnerId === partnerId).reduce((n, r) => n + r[column], 0);
    expect(COLUMNS.map((column) => total(column, P1))).toEqual([14, 4, 4, 4, 20]);
    expect(new Set(rows.map((r) => r.day)).size).toBe(2);
    expect(log).toMatch(/0 invalid/);
  });

  it('resumes from its committed offsets: a second run reads only what came since, and counts nothing twice', async () => {
    const before = await runPipeline();
    expect(before.log).toMatch(/^read 0 messages/m);
    await purchase(P1, 'one-more', 'EP-STD', 7);
    await tap.waitFor((m) => (m.json as CloudEvent<{ creditId?: string }>)?.data?.creditId === 'one-more');
    const after = await runPipeline();
    expect(after.log).toMatch(/^read 1 messages: 1 counted/m);
    expect(after.rows).toEqual(await fromLedgers());
    const bought = (rows: Row[]) => rows.filter((r) => r.partnerId === P1).reduce((n, r) => n + r.licensesBought, 0);
    expect(bought(after.rows) - bought(before.rows)).toBe(7);
  });
});
