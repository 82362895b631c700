import { PointsEvents, type CloudEvent, type ExchangeDebitedV1, type MonthlyLapsedV1 } from '@licensing/events';
import {
  bearer,
  caughtUp,
  eventually,
  EventTap,
  ServiceProcess,
  serviceEnv,
  testKafka,
  uniqueNames,
  callJson as call,
  type JsonAnswer,
} from '@licensing/testing';
import type { Admin } from 'kafkajs';

/**
 * The exchange saga end to end: catalog, pool and points run as real processes (as operators run
 * them), each with its own database, on one Kafka with this file's topic prefix. Everything is
 * driven over HTTP; the tap reads the event stream as a data pipeline would.
 */
const names = uniqueNames(__filename);
const envFor = (service: string, overrides: Record<string, string> = {}) =>
  serviceEnv(names, { MONGO_DATABASE: `${names.database}_${service}`, QUEUE_PREFIX: `${names.queuePrefix}:${service}`, ...overrides });
// Short enough to see an exchange flagged stalled while the pool is down.
const pointsEnv = () => envFor('points', { POINTS_EXCHANGE_TIMEOUT_MS: '3000' });

let catalog: ServiceProcess;
let pool: ServiceProcess;
let points: ServiceProcess;
let tap: EventTap;
let admin: Admin;
let pointsAdmin: { authorization: string };
const tokens = new Map<string, { authorization: string }>();

async function tokenOf(partnerId: string) {
  if (!tokens.has(partnerId)) tokens.set(partnerId, await bearer({ partnerId }));
  return tokens.get(partnerId)!;
}

/** An enrolled partner holding `balance` points, through the points-admin API. */
async function enrolled(partnerId: string, balance: number): Promise<void> {
  expect((await call(points, 'PUT', `/partners/${partnerId}/points/enrolment`, pointsAdmin, { enrolled: true })).status).toBe(200);
  const credit = await call(
    points,
    'POST',
    `/partners/${partnerId}/points/credits`,
    { ...pointsAdmin, 'idempotency-key': `grant-${partnerId}` },
    { amount: balance, reason: 'e2e grant' },
  );
  expect(credit.status).toBe(201);
}

const exchange = async (partnerId: string, lines: { sku: string; quantity: number }[], headers: Record<string, string> = {}) =>
  call(points, 'POST', `/partners/${partnerId}/points/exchanges`, { ...(await tokenOf(partnerId)), ...headers }, { lines });

const exchangeState = async (partnerId: string, exchangeId: string, wait = 0) =>
  call(points, 'GET', `/partners/${partnerId}/points/exchanges/${exchangeId}`, {
    ...(await tokenOf(partnerId)),
    ...(wait ? { prefer: `wait=${wait}` } : {}),
  });

const wallet = async (partnerId: string) => (await call(points, 'GET', `/partners/${partnerId}/points`, pointsAdmin)).body;

type LedgerEntry = { kind: string; amount: number; balanceAfter: number; reference: string; correlationId: string };

async function pointsLedger(partnerId: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: string | null = null;
  do {
    const page: JsonAnswer = await call(
      points,
      'GET',
      `/partners/${partnerId}/points/ledger?limit=100${cursor ? `&before=${cursor}` : ''}`,
      pointsAdmin,
    );
    entries.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return entries;
}

/** M2: the ledger (a projection, so eventually) sums to the balance. */
async function settledLedger(partnerId: string): Promise<LedgerEntry[]> {
  const { balance } = await wallet(partnerId);
  return eventually(async () => {
    const entries = await pointsLedger(partnerId);
    return entries.reduce((sum, e) => sum + e.amount, 0) === balance && entries[0]?.balanceAfter === balance && entries;
  });
}

const poolOf = async (partnerId: string) => (await call(pool, 'GET', `/partners/${partnerId}/pool`, await tokenOf(partnerId))).body;
const monthlyStock = async (partnerId: string, sku: string): Promise<number> =>
  ((await poolOf(partnerId)).lines ?? []).find((l: { sku: string; termMonths: number }) => l.sku === sku && l.termMonths === 1)?.available ?? 0;

type Movement = { reason: string; reference: string; correlationId: string; sku: string; termMonths: number; available: number };
const poolMovements = async (partnerId: string): Promise<Movement[]> =>
  (await call(pool, 'GET', `/partners/${partnerId}/pool/movements?limit=200`, await tokenOf(partnerId))).body.items;

const product = (sku: string, overrides: Record<string, unknown> = {}) => ({
  sku,
  name: `Product ${sku}`,
  familyCode: 'endpoint',
  terms: [1, 12],
  managementModels: ['self', 'delegated'],
  pointsPricePerMonth: 5,
  ...overrides,
});

const debitsOf = (exchangeId: string) =>
  tap.events<CloudEvent<ExchangeDebitedV1>>((e) => e.type === PointsEvents.exchangeDebited && e.data.exchangeId === exchangeId);

beforeAll(async () => {
  [catalog, pool, points] = await Promise.all([
    ServiceProcess.start('catalog', envFor('catalog')),
    ServiceProcess.start('pool', envFor('pool')),
    ServiceProcess.start('points', pointsEnv()),
  ]);
  tap = await EventTap.start([`${names.prefix}points.events`, `${names.prefix}pool.events`]);
  admin = testKafka(names).admin;
  await admin.connect();
  pointsAdmin = await bearer({ roles: ['points-admin'] });

  const catalogAdmin = await bearer({ roles: ['catalog-admin'] });
  expect((await call(catalog, 'POST', '/families', catalogAdmin, { code: 'endpoint', name: 'Endpoint protection' })).status).toBe(201);
  for (const p of [
    product('EP-MONTHLY'),
    product('EDR-MONTHLY', { pointsPricePerMonth: 8 }),
    product('EP-ANNUAL', { terms: [12, 24], pointsPricePerMonth: null }),
    product('EP-LEGACY', { pointsPricePerMonth: 3 }),
  ]) {
    expect((await call(catalog, 'POST', '/products', catalogAdmin, p)).status).toBe(201);
  }
  expect((await call(catalog, 'POST', '/products/EP-LEGACY/retire', catalogAdmin)).status).toBe(200);

  // Both read models must hold the catalog before the saga runs: the points quote knows every
  // sku (EP-LEGACY as retired), and the pool takes a purchase of EP-MONTHLY and calls EP-LEGACY retired.
  await enrolled('e2e-probe', 1000);
  await eventually(
    async () => {
      const quote = await call(points, 'POST', '/partners/e2e-probe/points/exchanges?dryRun=true', pointsAdmin, {
        lines: ['EP-MONTHLY', 'EDR-MONTHLY'].map((sku) => ({ sku, quantity: 1 })),
      });
      const legacy = await call(points, 'POST', '/partners/e2e-probe/points/exchanges?dryRun=true', pointsAdmin, {
        lines: [{ sku: 'EP-LEGACY', quantity: 1 }],
      });
      const annual = await call(points, 'POST', '/partners/e2e-probe/points/exchanges?dryRun=true', pointsAdmin, {
        lines: [{ sku: 'EP-ANNUAL', quantity: 1 }],
      });
      return quote.status === 200 && legacy.body?.code === 'POINTS.SKU_RETIRED' && annual.body.code === 'POINTS.NO_POINTS_PRICE';
    },
    30_000,
    300,
  );
  const probe = await tokenOf('e2e-probe');
  await eventually(
    async () => {
      const known = await call(pool, 'POST', '/partners/e2e-probe/pool/purchases', probe, {
        orderId: 'probe-known',
        lines: [{ sku: 'EDR-MONTHLY', termMonths: 12, quantity: 1 }],
      });
      const retired = await call(pool, 'POST', '/partners/e2e-probe/pool/purchases', probe, {
        orderId: 'probe-retired',
        lines: [{ sku: 'EP-LEGACY', termMonths: 12, quantity: 1 }],
      });
      return known.status < 300 && retired.body?.code === 'POOL.SKU_RETIRED';
    },
    30_000,
    300,
  );
}, 120_000);

afterAll(async () => {
  await Promise.all([tap?.stop(), admin?.disconnect()]);
  await Promise.all([points?.stop(), pool?.stop(), catalog?.stop()]);
});

describe('MSSP Command exchange across points and pool', () => {
  it('ends with the wallet debited, the pool credited with the monthly licenses, both ledgers under one correlation id', async () => {
    await enrolled('e2e-1', 100);
    const response = await exchange(
      'e2e-1',
      [
        { sku: 'EP-MONTHLY', quantity: 4 },
        { sku: 'EDR-MONTHLY', quantity: 2 },
      ],
      {
        'x-correlation-id': 'e2e-exchange-1',
        prefer: 'wait=20',
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'completed', totalPoints: 36, correlationId: 'e2e-exchange-1' });
    const { exchangeId } = response.body;

    expect(await wallet('e2e-1')).toMatchObject({ balance: 64, pendingExchanges: 0 });
    expect(await monthlyStock('e2e-1', 'EP-MONTHLY')).toBe(4);
    expect(await monthlyStock('e2e-1', 'EDR-MONTHLY')).toBe(2);

    const ledger = await settledLedger('e2e-1');
    expect(ledger).toContainEqual(
      expect.objectContaining({ kind: 'exchange-debit', amount: -36, reference: exchangeId, correlationId: 'e2e-exchange-1' }),
    );
    const movements = await eventually(async () => {
      const found = (await poolMovements('e2e-1')).filter((m) => m.reason === 'points');
      return found.length === 2 && found;
    });
    for (const m of movements) expect(m).toMatchObject({ termMonths: 1, correlationId: 'e2e-exchange-1' });
    expect(movements.map((m) => [m.sku, m.available]).sort()).toEqual([
      ['EDR-MONTHLY', 2],
      ['EP-MONTHLY', 4],
    ]);
    expect(tap.events((e) => e.correlationid === 'e2e-exchange-1').map((e) => e.type)).toEqual(
      expect.arrayContaining([PointsEvents.exchangeDebited, 'pool.stock-credited.v1', PointsEvents.exchangeCompleted]),
    );
  });

  it('issue 9.13: refuses an exchange for a retired sku at the request; nothing is debited or credited', async () => {
    await enrolled('e2e-retired', 40);
    const response = await exchange('e2e-retired', [{ sku: 'EP-LEGACY', quantity: 5 }], { prefer: 'wait=20' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'POINTS.SKU_RETIRED', details: { skus: ['EP-LEGACY'] } });
    expect(await wallet('e2e-retired')).toMatchObject({ balance: 40, holdings: [], pendingExchanges: 0 });
    const ledger = await settledLedger('e2e-retired');
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([['credit', 40]]);
    expect(await monthlyStock('e2e-retired', 'EP-LEGACY')).toBe(0);
  });

  it('30 concurrent exchanges against a balance that pays for 10: exactly 10 complete, the balance never below zero', async () => {
    await enrolled('e2e-race', 50);
    const token = await tokenOf('e2e-race');
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        call(points, 'POST', '/partners/e2e-race/points/exchanges', token, { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] }),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202 || a.status === 200);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(20);
    for (const r of refused) expect(r.body.code).toBe('POINTS.INSUFFICIENT_BALANCE');

    const finals = await Promise.all(accepted.map(async (a) => (await exchangeState('e2e-race', a.body.exchangeId, 20)).body.status));
    expect(finals).toEqual(Array(10).fill('completed'));
    expect(await wallet('e2e-race')).toMatchObject({ balance: 0 });
    expect(await monthlyStock('e2e-race', 'EP-MONTHLY')).toBe(10);
    const debits = (await settledLedger('e2e-race')).filter((e) => e.kind === 'exchange-debit');
    // Every debit left a balance of its own, from 45 down to 0: none went below zero, none was lost.
    expect(debits.map((e) => e.balanceAfter).sort((a, b) => a - b)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45]);
  });

  it('with the pool stopped the exchange waits; it completes when the pool comes back, debited once and credited once', async () => {
    await enrolled('e2e-outage', 30);
    expect(await pool.stop()).toBe(0);
    try {
      const response = await exchange('e2e-outage', [{ sku: 'EDR-MONTHLY', quantity: 2 }], { 'idempotency-key': 'outage-1' });
      expect(response.status).toBe(202);
      expect(response.headers.get('location')).toBe(`/partners/e2e-outage/points/exchanges/${response.body.exchangeId}`);
      const { exchangeId } = response.body;
      // Past POINTS_EXCHANGE_TIMEOUT_MS: asked again, flagged for operators, still pending, nothing refunded.
      const stalled = await eventually(
        async () => {
          const state = await exchangeState('e2e-outage', exchangeId);
          return state.body.stalled && state.body;
        },
        15_000,
        250,
      );
      expect(stalled).toMatchObject({ status: 'pending' });
      const retried = await exchange('e2e-outage', [{ sku: 'EDR-MONTHLY', quantity: 2 }], { 'idempotency-key': 'outage-1' });
      expect(retried.body.exchangeId).toBe(exchangeId);
      expect(await wallet('e2e-outage')).toMatchObject({ balance: 14, pendingExchanges: 1 });

      pool = await ServiceProcess.start('pool', envFor('pool'));
      const final = await exchangeState('e2e-outage', exchangeId, 30);
      expect(final.body).toMatchObject({ status: 'completed', stalled: true });
      expect(await wallet('e2e-outage')).toMatchObject({ balance: 14, pendingExchanges: 0 });
      expect(await monthlyStock('e2e-outage', 'EDR-MONTHLY')).toBe(2);
      // Every points event seen by the pool, and every pool event by its ledger: a second credit would show now.
      await eventually(() => caughtUp(admin, `${names.prefix}pool`, `${names.prefix}points.events`));
      await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, `${names.prefix}pool.events`));
      expect((await poolMovements('e2e-outage')).filter((m) => m.reason === 'points')).toHaveLength(1);
      expect((await settledLedger('e2e-outage')).filter((e) => e.reference === exchangeId)).toHaveLength(1);
      // Past its timeout the exchange asked the pool again (issue 9.13) with the very same event: one id, one debit.
      expect(new Set(debitsOf(exchangeId).map((e) => e.id)).size).toBe(1);
    } finally {
      if (pool && (await pool.fetch('/health/live').catch(() => undefined)) === undefined) pool = await ServiceProcess.start('pool', envFor('pool'));
    }
  });
});

describe('monthly renewal (M4) with the pool', () => {
  const nextMonth = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
  };

  it('run twice for one month debits once; a short balance lapses exactly the licenses it cannot pay, and they leave the pool on the 1st of that month', async () => {
    await enrolled('e2e-renew-full', 100);
    await enrolled('e2e-renew-short', 45);
    for (const partnerId of ['e2e-renew-full', 'e2e-renew-short']) {
      const response = await exchange(
        partnerId,
        [
          { sku: 'EP-MONTHLY', quantity: 3 },
          { sku: 'EDR-MONTHLY', quantity: 2 },
        ],
        { prefer: 'wait=20' },
      );
      expect(response.body.status).toBe('completed');
    }
    // Each paid 3 × 5 + 2 × 8 = 31: full keeps 69, short keeps 14.
    expect((await wallet('e2e-renew-short')).balance).toBe(14);
    const month = nextMonth();
    const first = await call(points, 'POST', '/points/renewals', pointsAdmin, { month });
    expect(first.status).toBe(200);
    expect(first.body.wallets).toBeGreaterThanOrEqual(2);
    const second = await call(points, 'POST', '/points/renewals', pointsAdmin, { month });
    expect(second.body).toMatchObject({ month, wallets: 0, pointsDebited: 0, licensesRenewed: 0, licensesLapsed: 0 });

    expect(await wallet('e2e-renew-full')).toMatchObject({
      balance: 69 - 31,
      holdings: [
        { sku: 'EDR-MONTHLY', quantity: 2, paidThrough: month },
        { sku: 'EP-MONTHLY', quantity: 3, paidThrough: month },
      ],
    });
    // Short: the cheapest first, 2 × EP-MONTHLY (10) of 14; a third (5) or an EDR (8) does not fit in 4.
    expect(await wallet('e2e-renew-short')).toMatchObject({ balance: 4, holdings: [{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: month }] });
    const [lapsed] = await tap.waitFor(
      (m) => (m.json as CloudEvent).type === PointsEvents.monthlyLapsed && (m.json as CloudEvent).subject === 'e2e-renew-short',
    );
    expect((lapsed!.json as CloudEvent<MonthlyLapsedV1>).data).toMatchObject({
      month,
      lines: [
        { sku: 'EDR-MONTHLY', quantity: 2, reason: 'insufficient-balance' },
        { sku: 'EP-MONTHLY', quantity: 1, reason: 'insufficient-balance' },
      ],
    });
    expect(tap.events((e) => e.type === PointsEvents.monthlyLapsed && e.subject === 'e2e-renew-full')).toHaveLength(0);

    for (const partnerId of ['e2e-renew-full', 'e2e-renew-short']) {
      expect((await settledLedger(partnerId)).filter((e) => e.kind === 'monthly-renewal')).toHaveLength(1);
    }
    // Issue 9.11: this month is paid for, so the pool holds a lapse for next month until its 1st
    // (checked once the pool has read every points event, the lapse included).
    await eventually(() => caughtUp(admin, `${names.prefix}pool`, `${names.prefix}points.events`));
    expect(await monthlyStock('e2e-renew-short', 'EDR-MONTHLY')).toBe(2);
    expect(await monthlyStock('e2e-renew-short', 'EP-MONTHLY')).toBe(3);

    // On the 1st of that month (the platform clock moved there) the pool acts on the lapse (M4):
    // the licenses that were not paid leave the partner's pool.
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    const now = (await call(pool, 'GET', '/admin/clock', clockAdmin)).body.now as string;
    const firstOfMonth = Date.parse(`${month}-01T00:01:00.000Z`);
    expect(
      (await call(pool, 'POST', '/admin/clock', clockAdmin, { advance: `${Math.ceil((firstOfMonth - Date.parse(now)) / 60_000)}m` })).status,
    ).toBe(200);
    await eventually(
      async () => (await monthlyStock('e2e-renew-short', 'EDR-MONTHLY')) === 0 && (await monthlyStock('e2e-renew-short', 'EP-MONTHLY')) === 2,
      15_000,
      250,
    );
    expect(await monthlyStock('e2e-renew-full', 'EP-MONTHLY')).toBe(3);
    expect(await monthlyStock('e2e-renew-full', 'EDR-MONTHLY')).toBe(2);
  });
});

describe('bad input over HTTP', () => {
  const cases: [string, string, { lines: unknown } | string, number, string][] = [
    ['a partner not enrolled', 'e2e-stranger', { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] }, 409, 'POINTS.NOT_ENROLLED'],
    ['a zero quantity', 'e2e-input', { lines: [{ sku: 'EP-MONTHLY', quantity: 0 }] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a negative quantity', 'e2e-input', { lines: [{ sku: 'EP-MONTHLY', quantity: -1 }] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown sku', 'e2e-input', { lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] }, 400, 'POINTS.UNKNOWN_SKU'],
    ['a sku without a points price', 'e2e-input', { lines: [{ sku: 'EP-ANNUAL', quantity: 1 }] }, 400, 'POINTS.NO_POINTS_PRICE'],
    ['a malformed body', 'e2e-input', '{"lines": [{"sku": "EP-MONTHLY", ', 400, 'REQUEST.MALFORMED_JSON'],
    ['a body of the wrong shape', 'e2e-input', { lines: 'EP-MONTHLY x1' }, 400, 'REQUEST.VALIDATION_FAILED'],
  ];

  beforeAll(async () => {
    await enrolled('e2e-input', 20);
    await settledLedger('e2e-input');
  });

  it.each(cases)('refuses %s with a stable code and changes nothing', async (_label, partnerId, body, status, code) => {
    const before = {
      wallet: await wallet(partnerId),
      ledger: await pointsLedger(partnerId),
      events: tap.events((e) => e.subject === partnerId).length,
    };
    const response = await call(
      points,
      'POST',
      `/partners/${partnerId}/points/exchanges`,
      { ...(await tokenOf(partnerId)), 'content-type': 'application/json' },
      body,
    );
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code, message: expect.any(String), correlationId: expect.any(String) });
    // A refusal saves nothing, so the wallet (with its version) is unchanged at once; the ledger
    // and the stream are compared once the ledger projection has read every points event.
    await eventually(() => caughtUp(admin, `${names.prefix}points-projections`, `${names.prefix}points.events`));
    expect({
      wallet: await wallet(partnerId),
      ledger: await pointsLedger(partnerId),
      events: tap.events((e) => e.subject === partnerId).length,
    }).toEqual(before);
  });
});

describe('the monthly renewal on the 1st, by the platform clock (M4, DESIGN §8)', () => {
  it('runs by itself within seconds once the clock reaches the 1st, with no trigger', async () => {
    await enrolled('e2e-renew-clock', 100);
    const response = await exchange('e2e-renew-clock', [{ sku: 'EP-MONTHLY', quantity: 1 }], { prefer: 'wait=20' });
    expect(response.body.status).toBe('completed');
    expect(await wallet('e2e-renew-clock')).toMatchObject({ balance: 95 });
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    const now = (await call(points, 'GET', '/admin/clock', clockAdmin)).body.now as string;
    const firstOfNext = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() + 1, 1, 1);
    const month = new Date(firstOfNext).toISOString().slice(0, 7);
    // Advanced on the pool: the clock is the deployment's, not one service's.
    const advanced = await call(pool, 'POST', '/admin/clock', clockAdmin, { advance: `${Math.ceil((firstOfNext - Date.parse(now)) / 60_000)}m` });
    expect(advanced.status).toBe(200);
    const renewed = await eventually(
      async () => {
        const w = await wallet('e2e-renew-clock');
        return w.holdings?.[0]?.paidThrough === month && w;
      },
      15_000,
      250,
    );
    expect(renewed).toMatchObject({ balance: 90, holdings: [{ sku: 'EP-MONTHLY', quantity: 1, paidThrough: month }] });
    expect((await settledLedger('e2e-renew-clock')).filter((e) => e.kind === 'monthly-renewal')).toHaveLength(1);
  });
});

describe('operations', () => {
  it('the points service stops gracefully on SIGTERM (consumers, workers and connections closed)', async () => {
    expect(await points.stop()).toBe(0);
  });
});
