import { CatalogCopy } from '@licensing/catalog-copy';
import {
  CatalogEvents,
  ContractsEvents,
  createEvent,
  PointsEvents,
  PoolEvents,
  validateEvent,
  type AssignmentRequestedV1,
  type CloudEvent,
  type MonthlyReleasedV1,
  type StockExpiredV1,
} from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually, EventTap, moduleUpdated, productUpdated, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import { poolConfig, startPool } from '../../pool/src/pool.module';
import { nextMonth } from '../src/domain/points.rules';
import { pointsConfig, startPoints } from '../src/points.module';

/**
 * Issue 9, items 12 (points) and 13, against the real servers: the points service and the real
 * pool in process (same topics, databases of their own), one platform clock moved by
 * `POST /admin/clock`, never by waiting. Tests share that clock, so those that move it come last.
 */
const names = uniqueNames(__filename);
const kafka = testKafka(names);
const pointsTopic = `${names.prefix}points.events`;
const poolTopic = `${names.prefix}pool.events`;
/** The pool's consumer group of the contracts' and points' events. */
const poolGroup = `${names.prefix}pool`;
const EXCHANGE_TIMEOUT_MS = 60_000;
const poolEnv = serviceEnv(names, {
  MONGO_DATABASE: `${names.database}_pool`,
  QUEUE_PREFIX: `${names.queuePrefix}:pool`,
  POOL_RESERVATION_TIMEOUT_MS: '3600000',
});
let points: RunningService;
let pool: RunningService;
let tap: EventTap;
let admin: { authorization: string };
const tokens: Record<string, { authorization: string }> = {};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(service: RunningService, method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: unknown) {
  const response = await service.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: response.statusCode, headers: response.headers, body: response.json() as Json };
}

const token = async (partnerId: string) => (tokens[partnerId] ??= await bearer({ partnerId }));

async function enrolWith(partnerId: string, balance: number): Promise<void> {
  expect((await call(points, 'PUT', `/partners/${partnerId}/points/enrolment`, admin, { enrolled: true })).status).toBe(200);
  const credit = await call(
    points,
    'POST',
    `/partners/${partnerId}/points/credits`,
    { ...admin, 'idempotency-key': `seed-${partnerId}` },
    { amount: balance, reason: 'seed' },
  );
  expect(credit.status).toBe(201);
}

const wallet = async (partnerId: string) => (await call(points, 'GET', `/partners/${partnerId}/points`, admin)).body;

/** An exchange the real pool credits: the licenses are held, paid through this month. */
async function holdMonthly(partnerId: string, sku: string, quantity: number): Promise<void> {
  const response = await call(
    points,
    'POST',
    `/partners/${partnerId}/points/exchanges`,
    { ...(await token(partnerId)), prefer: 'wait=20' },
    { lines: [{ sku, quantity }] },
  );
  expect(response.body).toMatchObject({ status: 'completed' });
}

const monthlyLine = async (partnerId: string, sku: string) =>
  ((await call(pool, 'GET', `/partners/${partnerId}/pool`, await token(partnerId))).body.lines as Json[] | undefined)?.find(
    (l) => l.sku === sku && l.termMonths === 1,
  );

const clockAdmin = () => bearer({ roles: ['clock-admin'] });
const clockNow = async () => new Date((await call(points, 'GET', '/admin/clock', await clockAdmin())).body.now as string);
async function advance(by: string): Promise<void> {
  expect((await call(points, 'POST', '/admin/clock', await clockAdmin(), { advance: by })).status).toBe(200);
}

const release = async (partnerId: string, key: string, body: { sku: string; quantity: number }) =>
  call(points, 'POST', `/partners/${partnerId}/points/monthly-releases`, { ...(await token(partnerId)), 'idempotency-key': key }, body);

/** The first event of a type about a partner, once the tap has it. */
async function eventOf<T>(type: string, partnerId: string): Promise<CloudEvent<T>> {
  const [message] = await tap.waitFor((m) => (m.json as CloudEvent).type === type && (m.json as CloudEvent).subject === partnerId);
  return message!.json as CloudEvent<T>;
}

const settledRelease = (partnerId: string, releaseId: string) =>
  eventually(async () => {
    const found = await call(points, 'GET', `/partners/${partnerId}/points/monthly-releases/${releaseId}`, await token(partnerId));
    return found.body.status !== 'pending' && found.body;
  });

beforeAll(async () => {
  // One after the other: two services creating the same topics at once can trip kafkajs's leader wait.
  pool = await startPool(poolConfig(poolEnv));
  points = await startPoints(pointsConfig(serviceEnv(names, { POINTS_EXCHANGE_TIMEOUT_MS: String(EXCHANGE_TIMEOUT_MS) })));
  tap = await EventTap.start([pointsTopic, poolTopic]);
  await kafka.admin.connect();
  admin = await bearer({ roles: ['points-admin'] });
  const catalog = [
    createEvent({
      type: CatalogEvents.productUpdated,
      subject: 'EP-MONTHLY',
      data: productUpdated('EP-MONTHLY', { terms: [1, 12], pointsPricePerMonth: 5 }),
    }),
    createEvent({ type: CatalogEvents.moduleUpdated, subject: 'EP-ENC', data: moduleUpdated('EP-ENC', { terms: [1], pointsPricePerMonth: 2 }) }),
    createEvent({
      type: CatalogEvents.productUpdated,
      subject: 'EP-OLD',
      data: productUpdated('EP-OLD', { terms: [1], pointsPricePerMonth: 4, status: 'retired', version: 2 }),
    }),
  ];
  await kafka.publisher.publish(catalog);
  for (const service of [points, pool]) {
    await eventually(async () => (await service.get(CatalogCopy).getMany(['EP-MONTHLY', 'EP-ENC', 'EP-OLD'])).size === 3);
  }
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), kafka.publisher.disconnect(), kafka.admin.disconnect()]);
  await Promise.allSettled([points?.close(), pool?.close()]);
});

describe('issue 9.13 an exchange of a retired sku', () => {
  it('is refused at the request with POINTS.SKU_RETIRED, as the quote is: nothing is debited, nothing asked of the pool', async () => {
    await enrolWith('p9-retired', 40);
    const partner = await token('p9-retired');
    const lines = [{ sku: 'EP-OLD', quantity: 2 }];
    const quote = await call(points, 'POST', '/partners/p9-retired/points/exchanges?dryRun=true', partner, { lines });
    const exchange = await call(points, 'POST', '/partners/p9-retired/points/exchanges', partner, { lines });
    for (const refused of [quote, exchange]) {
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'POINTS.SKU_RETIRED', details: { skus: ['EP-OLD'] } });
    }
    expect(await wallet('p9-retired')).toMatchObject({ balance: 40, pendingExchanges: 0, holdings: [] });
  });
});

describe('issue 9.12 a points credit key is honoured once, ever', () => {
  it('a replay after 1000 later operations credits nothing, and the same key with another body is refused 409', async () => {
    await enrolWith('p9-credit', 10);
    const credit = (key: string, body = { amount: 7, reason: 'order 1' }) =>
      call(points, 'POST', '/partners/p9-credit/points/credits', { ...admin, 'idempotency-key': key }, body);
    expect((await credit('order-1')).status).toBe(201);
    expect((await credit('later-1', { amount: 1, reason: 'later' })).status).toBe(201);
    // What 1000 later operations do to the wallet's own window of handled keys: it lets the first key go.
    await points.db.collection('wallets').updateOne({ _id: 'p9-credit' as never }, { $set: { handled: ['credit:later-1'] }, $inc: { version: 1 } });
    // And by then the ledger, a projection, holds the credit.
    await eventually(() => caughtUp(kafka.admin, `${names.prefix}points-projections`, pointsTopic));
    const balance = 10 + 7 + 1;
    expect((await wallet('p9-credit')).balance).toBe(balance);

    const replay = await credit('order-1');
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.balance).toBe(balance);
    const other = await credit('order-1', { amount: 700, reason: 'order 1' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'POINTS.IDEMPOTENCY_KEY_REUSED' });
    expect((await wallet('p9-credit')).balance).toBe(balance);
  });

  it('the same key with another body is refused 409 at once, not answered as a replay; a refused credit leaves the key free', async () => {
    const credit = (partnerId: string, key: string, amount: number) =>
      call(points, 'POST', `/partners/${partnerId}/points/credits`, { ...admin, 'idempotency-key': key }, { amount, reason: 'grant' });
    await enrolWith('p9-credit-2', 1);
    expect((await credit('p9-credit-2', 'grant-1', 5)).status).toBe(201);
    expect((await credit('p9-credit-2', 'grant-1', 6)).status).toBe(409);
    // Not enrolled: refused, and the key may be used again once the partner is.
    expect((await credit('p9-never', 'grant-x', 5)).body.code).toBe('POINTS.NOT_ENROLLED');
    await enrolWith('p9-never', 1);
    expect((await credit('p9-never', 'grant-x', 9)).status).toBe(201);
    expect((await wallet('p9-never')).balance).toBe(10);
  });
});

describe('issue 9.13 a partner releases monthly licenses it no longer wants', () => {
  it('they leave the wallet and the pool’s available stock, and stop renewing; a replay releases nothing more', async () => {
    await enrolWith('p9-release', 100);
    await holdMonthly('p9-release', 'EP-MONTHLY', 3);
    expect(await monthlyLine('p9-release', 'EP-MONTHLY')).toMatchObject({ available: 3 });

    const response = await release('p9-release', 'release-1', { sku: 'EP-MONTHLY', quantity: 2 });
    expect(response.status).toBe(202);
    const month = nextMonth((await clockNow()).toISOString().slice(0, 7));
    expect(response.body).toMatchObject({ sku: 'EP-MONTHLY', quantity: 2, status: 'pending', month });
    expect(response.headers.location).toBe(`/partners/p9-release/points/monthly-releases/${response.body.releaseId}`);
    expect((await wallet('p9-release')).holdings).toEqual([expect.objectContaining({ sku: 'EP-MONTHLY', quantity: 1 })]);

    expect(await settledRelease('p9-release', response.body.releaseId)).toMatchObject({ status: 'released', refusal: null });
    expect(await monthlyLine('p9-release', 'EP-MONTHLY')).toMatchObject({ available: 1, reserved: 0, assigned: 0 });
    const released = await eventOf<MonthlyReleasedV1>(PointsEvents.monthlyReleased, 'p9-release');
    expect(validateEvent(released)).toEqual({ ok: true });
    expect(released?.data).toMatchObject({ releaseId: response.body.releaseId, month, lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2 }] });
    const answer = await eventOf<StockExpiredV1>(PoolEvents.stockExpired, 'p9-release');
    expect(answer?.data).toMatchObject({ reference: `release:${response.body.releaseId}`, lines: [{ quantity: 2, removed: 2, shortfall: 0 }] });

    const replay = await release('p9-release', 'release-1', { sku: 'EP-MONTHLY', quantity: 2 });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toMatchObject({ releaseId: response.body.releaseId, status: 'released' });
    const other = await release('p9-release', 'release-1', { sku: 'EP-MONTHLY', quantity: 1 });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('POINTS.IDEMPOTENCY_KEY_REUSED');
    const tooMany = await release('p9-release', 'release-2', { sku: 'EP-MONTHLY', quantity: 2 });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ code: 'POINTS.NOT_HELD', details: { held: 1, quantity: 2 } });

    // The next renewal charges only the license kept.
    const balance = (await wallet('p9-release')).balance;
    const renewal = await call(points, 'POST', '/points/renewals', admin, { month });
    expect(renewal.status).toBe(200);
    expect(await wallet('p9-release')).toMatchObject({ balance: balance - 5, holdings: [{ sku: 'EP-MONTHLY', quantity: 1, paidThrough: month }] });
  });

  it('is refused by the pool when fewer are available (the rest are reserved): the licenses are held and renew again', async () => {
    await enrolWith('p9-busy', 100);
    await holdMonthly('p9-busy', 'EP-MONTHLY', 3);
    // A client's assignment reserves two of the three.
    const assignment: AssignmentRequestedV1 = {
      assignmentId: 'p9-busy-assignment',
      partnerId: 'p9-busy',
      clientId: 'client-1',
      lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2 }],
      requestedAt: (await clockNow()).toISOString(),
    };
    await kafka.publisher.publish([
      createEvent({ type: ContractsEvents.assignmentRequested, subject: 'p9-busy', partnerId: 'p9-busy', data: assignment }),
    ]);
    await eventually(async () => (await monthlyLine('p9-busy', 'EP-MONTHLY'))?.reserved === 2 && true);

    const response = await release('p9-busy', 'release-1', { sku: 'EP-MONTHLY', quantity: 2 });
    expect(response.status).toBe(202);
    expect((await wallet('p9-busy')).holdings).toEqual([expect.objectContaining({ quantity: 1 })]);
    expect(await settledRelease('p9-busy', response.body.releaseId)).toMatchObject({
      status: 'refused',
      refusal: { code: 'POOL.INSUFFICIENT_STOCK' },
    });
    const month = (await clockNow()).toISOString().slice(0, 7);
    expect((await wallet('p9-busy')).holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 3, paidThrough: month }]);
    expect(await monthlyLine('p9-busy', 'EP-MONTHLY')).toMatchObject({ available: 1, reserved: 2 });
    // Nothing left the pool: its answer moved no stock, and no contract is touched.
    const answer = await eventOf<StockExpiredV1>(PoolEvents.stockExpired, 'p9-busy');
    expect(answer?.data.lines).toEqual([{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2, removed: 0, shortfall: 2 }]);
    expect(answer?.data.movements.every((m) => m.available === 0 && m.reserved === 0 && m.assigned === 0)).toBe(true);
  });
});

describe('issue 9.13 a month missed while the platform was down is charged when catching up', () => {
  it('after the clock jumps two months and more, the catch-up charges every month since, month by month', async () => {
    await enrolWith('p9-catch-up', 100);
    await holdMonthly('p9-catch-up', 'EP-MONTHLY', 2);
    const paid = (await clockNow()).toISOString().slice(0, 7);
    expect(await wallet('p9-catch-up')).toMatchObject({ balance: 90, holdings: [{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: paid }] });

    // Down over two 1sts or more: the sweeps run when the clock moves, as they would on restart.
    await advance('65d');
    const current = (await clockNow()).toISOString().slice(0, 7);
    const missed: string[] = [];
    for (let m = nextMonth(paid); m <= current; m = nextMonth(m)) missed.push(m);
    expect(missed.length).toBeGreaterThanOrEqual(2);

    const renewals = await tap.waitFor(
      (m) => (m.json as CloudEvent).type === PointsEvents.monthlyRenewed && (m.json as CloudEvent).subject === 'p9-catch-up',
      { count: missed.length },
    );
    expect(renewals.map((m) => (m.json as CloudEvent<{ month: string; amount: number }>).data)).toEqual(
      missed.map((month) => expect.objectContaining({ month, amount: -10, renewalId: `renewal:${month}` })),
    );
    expect(await wallet('p9-catch-up')).toMatchObject({
      balance: 90 - 10 * missed.length,
      holdings: [{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: current }],
    });
    const ledger = await eventually(async () => {
      const items = (await call(points, 'GET', '/partners/p9-catch-up/points/ledger?limit=50', admin)).body.items as Json[];
      return items.filter((e) => e.kind === 'monthly-renewal').length === missed.length && items;
    });
    expect(ledger.reduce((sum, e) => sum + (e.amount as number), 0)).toBe(90 - 10 * missed.length);
    // Running it again charges nothing.
    const again = await call(points, 'POST', '/points/renewals', admin, { month: current });
    expect(again.body).toMatchObject({ pointsDebited: 0 });
  });
});

describe('issue 9.13 an exchange whose exchange-debited the pool dead-lettered', () => {
  it('is asked again with the same message past its deadline, and ends completed', async () => {
    await enrolWith('p9-lost', 50);
    // The pool is away while the exchange is debited, and its group's offset is then moved past
    // the message: as if it had consumed it and dead-lettered it.
    await pool.close();
    const response = await call(points, 'POST', '/partners/p9-lost/points/exchanges', await token('p9-lost'), {
      lines: [{ sku: 'EP-MONTHLY', quantity: 2 }],
    });
    expect(response.status).toBe(202);
    const { exchangeId } = response.body;
    const [debited] = await tap.waitFor(
      (m) =>
        (m.json as CloudEvent).type === PointsEvents.exchangeDebited && (m.json as CloudEvent<{ exchangeId: string }>).data.exchangeId === exchangeId,
    );
    // Explicit offsets: kafkajs's resetOffsets writes -1, which a group subscribed from the beginning reads as 'none'.
    const ends = await kafka.admin.fetchTopicOffsets(pointsTopic);
    await kafka.admin.setOffsets({
      groupId: poolGroup,
      topic: pointsTopic,
      partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
    });
    pool = await startPool(poolConfig(poolEnv));

    await advance(`${Math.ceil(EXCHANGE_TIMEOUT_MS / 1000) + 5}s`);
    const final = await eventually(async () => {
      const found = await call(points, 'GET', `/partners/p9-lost/points/exchanges/${exchangeId}`, await token('p9-lost'));
      return found.body.status !== 'pending' && found.body;
    }, 30_000);
    expect(final).toMatchObject({ status: 'completed', stalled: true });
    expect(await monthlyLine('p9-lost', 'EP-MONTHLY')).toMatchObject({ available: 2 });
    // Asked again with the very same event: same id, same data.
    const sent = tap.events<CloudEvent>(
      (e) => e.type === PointsEvents.exchangeDebited && (e.data as { exchangeId?: string }).exchangeId === exchangeId,
    );
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const again of sent) expect(again).toMatchObject({ id: (debited!.json as CloudEvent).id, data: (debited!.json as CloudEvent).data });
    // The ledger took the debit once.
    const ledger = await eventually(async () => {
      const items = (await call(points, 'GET', '/partners/p9-lost/points/ledger?limit=50', admin)).body.items as Json[];
      return items.length === 2 && items;
    });
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([
      ['exchange-debit', -10],
      ['credit', 50],
    ]);
    expect((await wallet('p9-lost')).balance).toBe(40);
  }, 60_000);
});
