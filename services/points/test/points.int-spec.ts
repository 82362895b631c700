import { randomUUID } from 'node:crypto';
import {
  CatalogEvents,
  createEvent,
  PointsEvents,
  PoolEvents,
  validateEvent,
  type CloudEvent,
  type CreditRejectedV1,
  type ExchangeDebitedV1,
  type MonthlyLapsedV1,
  type ProductUpdatedV1,
  type StockCreditedV1,
} from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually, EventTap, productUpdated, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import { pointsConfig, startPoints } from '../src/points.module';

/**
 * The points service in process against the real servers. The pool's side of the saga is played
 * by publishing its answers on pool.events (the consumer contract); test/e2e runs the real pool.
 */
const names = uniqueNames(__filename);
const kafka = testKafka(names);
const poolTopic = `${names.prefix}pool.events`;
const sagaGroup = `${names.prefix}points-exchange-saga`;
let clockAt: Date | undefined;
let points: RunningService;
let tap: EventTap;
let admin: { authorization: string };
let support: { authorization: string };
const partners: Record<string, { authorization: string }> = {};

// Sold monthly at 5 points per license-month unless overridden.
const product = (sku: string, overrides: Partial<ProductUpdatedV1> = {}): ProductUpdatedV1 =>
  productUpdated(sku, { terms: [1, 12], pointsPricePerMonth: 5, ...overrides });

const publish = (events: CloudEvent[]) => kafka.publisher.publish(events);

const inject = (method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: unknown) =>
  points.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

async function enrolWith(partnerId: string, balance: number): Promise<void> {
  partners[partnerId] = await bearer({ partnerId });
  expect((await inject('PUT', `/partners/${partnerId}/points/enrolment`, admin, { enrolled: true })).statusCode).toBe(200);
  if (balance > 0) {
    const credit = await inject(
      'POST',
      `/partners/${partnerId}/points/credits`,
      { ...admin, 'idempotency-key': `seed-${partnerId}` },
      { amount: balance, reason: 'seed' },
    );
    expect(credit.statusCode).toBe(201);
  }
}

const exchange = (partnerId: string, lines: { sku: string; quantity: number }[], headers: Record<string, string> = {}) =>
  inject('POST', `/partners/${partnerId}/points/exchanges`, { ...partners[partnerId]!, ...headers }, { lines });

const debitedEvent = (exchangeId: string) =>
  tap.waitFor(
    (m) => (m.json as CloudEvent<ExchangeDebitedV1>).data?.exchangeId === exchangeId && (m.json as CloudEvent).type === PointsEvents.exchangeDebited,
  );

async function poolCredits(exchangeId: string, id?: string): Promise<CloudEvent<StockCreditedV1>> {
  const [message] = await debitedEvent(exchangeId);
  const debited = message!.json as CloudEvent<ExchangeDebitedV1>;
  const answer = createEvent<StockCreditedV1>({
    type: PoolEvents.stockCredited,
    subject: debited.data.partnerId,
    partnerId: debited.data.partnerId,
    correlationId: debited.correlationid,
    causationId: debited.id,
    ...(id ? { id } : {}),
    data: {
      partnerId: debited.data.partnerId,
      creditId: exchangeId,
      source: 'points',
      lines: debited.data.lines.map(({ sku, quantity }) => ({ sku, termMonths: 1, quantity })),
      creditedAt: new Date().toISOString(),
    },
  });
  await publish([answer]);
  return answer;
}

async function poolRefuses(exchangeId: string): Promise<void> {
  const [message] = await debitedEvent(exchangeId);
  const debited = message!.json as CloudEvent<ExchangeDebitedV1>;
  await publish([
    createEvent<CreditRejectedV1>({
      type: PoolEvents.creditRejected,
      subject: debited.data.partnerId,
      partnerId: debited.data.partnerId,
      correlationId: debited.correlationid,
      causationId: debited.id,
      data: {
        partnerId: debited.data.partnerId,
        creditId: exchangeId,
        source: 'points',
        code: 'POOL.SKU_RETIRED',
        reason: 'the sku is retired',
        rejectedAt: new Date().toISOString(),
      },
    }),
  ]);
}

const waitFinal = (partnerId: string, exchangeId: string) =>
  inject('GET', `/partners/${partnerId}/points/exchanges/${exchangeId}`, { ...partners[partnerId]!, prefer: 'wait=15' });

const wallet = async (partnerId: string) => (await inject('GET', `/partners/${partnerId}/points`, admin)).json();

type Entry = { kind: string; amount: number; reference: string; correlationId: string; balanceAfter: number };

async function ledgerOf(partnerId: string): Promise<Entry[]> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Entry[]; nextCursor: string | null } = (
      await inject('GET', `/partners/${partnerId}/points/ledger?limit=2${cursor ? `&before=${cursor}` : ''}`, admin)
    ).json();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** M2: once the projection caught up, the ledger sums to the balance. */
async function expectLedgerMatchesBalance(partnerId: string) {
  const { balance } = await wallet(partnerId);
  return eventually(async () => {
    const ledger = await ledgerOf(partnerId);
    return ledger.reduce((sum, e) => sum + e.amount, 0) === balance && ledger[0]?.balanceAfter === balance && ledger;
  });
}

const walletDocument = (partnerId: string) => points.db.collection('wallets').findOne({ _id: partnerId as never }, { projection: { outbox: 0 } });

/**
 * A change to the partner's wallet made now (a point credited, or the enrolment of a partner not
 * enrolled), once its event is on the topic. One wallet's outbox is published in order, so
 * anything saved to the wallet before the marker has been published by then. Returns its event id.
 */
async function marker(partnerId: string): Promise<string> {
  const published = async (matches: (event: CloudEvent<{ creditId?: string; walletVersion?: number }>) => boolean) => {
    const [message] = await tap.waitFor((m) => m.key === partnerId && matches(m.json as CloudEvent<{ creditId?: string; walletVersion?: number }>));
    return (message!.json as CloudEvent).id;
  };
  if ((await wallet(partnerId)).enrolled) {
    const creditId = `marker-${randomUUID()}`;
    const credit = await inject(
      'POST',
      `/partners/${partnerId}/points/credits`,
      { ...admin, 'idempotency-key': creditId },
      { amount: 1, reason: 'marker' },
    );
    expect(credit.statusCode).toBe(201);
    return published((e) => e.type === PointsEvents.pointsCredited && e.data.creditId === creditId);
  }
  const enrolment = await inject('PUT', `/partners/${partnerId}/points/enrolment`, admin, { enrolled: true });
  expect(enrolment.json()).toMatchObject({ enrolled: true });
  return published((e) => e.type === PointsEvents.enrolmentChanged && e.data.walletVersion === enrolment.json().version);
}

type Snapshot = { wallet: unknown; events: number };

/** A partner's wallet document and the events about it: what a refused request must leave alone. */
async function snapshot(partnerId: string): Promise<Snapshot> {
  return { wallet: await walletDocument(partnerId), events: tap.messages.filter((m) => m.key === partnerId).length };
}

/** The same, once anything the request could have published would be on the topic: after a marker, which is not counted. */
async function snapshotAfterMarker(partnerId: string): Promise<Snapshot> {
  const wallet = await walletDocument(partnerId);
  const markerId = await marker(partnerId);
  return { wallet, events: tap.messages.filter((m) => m.key === partnerId && (m.json as CloudEvent).id !== markerId).length };
}

beforeAll(async () => {
  points = await startPoints(pointsConfig(serviceEnv(names, { POINTS_EXCHANGE_TIMEOUT_MS: '1500' })), {
    clock: () => clockAt ?? new Date(),
  });
  await kafka.admin.connect();
  tap = await EventTap.start([`${names.prefix}points.events`]);
  admin = await bearer({ roles: ['points-admin'] });
  support = await bearer({ roles: ['support'] });
  await publish(
    [
      product('EP-MONTHLY'),
      product('EDR-MONTHLY', { pointsPricePerMonth: 8 }),
      product('EP-ANNUAL', { terms: [12, 24], pointsPricePerMonth: null }),
      product('EP-OLD', { pointsPricePerMonth: 4, status: 'retired', version: 2 }),
    ].map((p) => createEvent({ type: CatalogEvents.productUpdated, subject: p.sku, data: p })),
  );
  await eventually(async () => (await points.db.collection('catalog_skus').countDocuments({})) === 4);
  await enrolWith('p-1', 100);
});

afterAll(async () => {
  await Promise.all([tap?.stop(), kafka.publisher.disconnect(), kafka.admin.disconnect()]);
  await points?.close();
});

describe('wallets (M1)', () => {
  it('enrols, credits once per Idempotency-Key and shows the balance', async () => {
    await enrolWith('p-credit', 0);
    const credit = () =>
      inject('POST', '/partners/p-credit/points/credits', { ...admin, 'idempotency-key': 'po-1' }, { amount: 40, reason: 'purchase order 1' });
    const first = await credit();
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ partnerId: 'p-credit', enrolled: true, balance: 40 });
    const replay = await credit();
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().balance).toBe(40);
    const read = await inject('GET', '/partners/p-credit/points', partners['p-credit']!);
    expect(read.json()).toMatchObject({ enrolled: true, balance: 40, holdings: [], pendingExchanges: 0 });
    const [event] = await tap.waitFor(
      (m) => (m.json as CloudEvent).type === PointsEvents.pointsCredited && (m.json as CloudEvent).subject === 'p-credit',
    );
    expect(validateEvent(event!.json)).toEqual({ ok: true });
    expect(event!.key).toBe('p-credit');
    expect(await expectLedgerMatchesBalance('p-credit')).toEqual([
      expect.objectContaining({ kind: 'credit', amount: 40, reference: 'po-1', balanceAfter: 40 }),
    ]);
  });

  it('a partner never enrolled reads an empty wallet, and leaving freezes the balance', async () => {
    partners['p-new'] = await bearer({ partnerId: 'p-new' });
    expect((await inject('GET', '/partners/p-new/points', partners['p-new'])).json()).toMatchObject({ enrolled: false, balance: 0, version: 0 });
    await enrolWith('p-leave', 30);
    const left = await inject('PUT', '/partners/p-leave/points/enrolment', admin, { enrolled: false });
    expect(left.json()).toMatchObject({ enrolled: false, balance: 30 });
    const again = await inject('PUT', '/partners/p-leave/points/enrolment', admin, { enrolled: false });
    expect(again.json().version).toBe(left.json().version);
    const credit = await inject('POST', '/partners/p-leave/points/credits', { ...admin, 'idempotency-key': 'k' }, { amount: 5, reason: 'r' });
    expect(credit.statusCode).toBe(409);
    expect(credit.json().code).toBe('POINTS.NOT_ENROLLED');
  });
});

describe('the exchange saga (M2, M3)', () => {
  it('debits, waits for the pool, completes and holds the monthly licenses; the ledger shows it', async () => {
    const response = await exchange(
      'p-1',
      [
        { sku: 'EP-MONTHLY', quantity: 2 },
        { sku: 'EDR-MONTHLY', quantity: 1 },
      ],
      { 'x-correlation-id': 'corr-exchange-1' },
    );
    expect(response.statusCode).toBe(202);
    const pending = response.json();
    expect(pending).toMatchObject({ status: 'pending', totalPoints: 18, correlationId: 'corr-exchange-1' });
    expect(response.headers.location).toBe(`/partners/p-1/points/exchanges/${pending.exchangeId}`);
    expect((await wallet('p-1')).balance).toBe(82);

    const [debited] = await debitedEvent(pending.exchangeId);
    expect(validateEvent(debited!.json)).toEqual({ ok: true });
    expect(debited!.json).toMatchObject({
      correlationid: 'corr-exchange-1',
      partnerid: 'p-1',
      data: {
        totalPoints: 18,
        balanceAfter: 82,
        lines: [
          { sku: 'EP-MONTHLY', termMonths: 1, quantity: 2, pointsPerLicense: 5 },
          { sku: 'EDR-MONTHLY', termMonths: 1, quantity: 1, pointsPerLicense: 8 },
        ],
      },
    });

    await poolCredits(pending.exchangeId);
    const final = await waitFinal('p-1', pending.exchangeId);
    expect(final.statusCode).toBe(200);
    expect(final.headers['preference-applied']).toBe('wait=15');
    expect(final.json()).toMatchObject({ status: 'completed', settledAt: expect.any(String), stalled: false });
    expect((await wallet('p-1')).holdings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sku: 'EP-MONTHLY', quantity: 2 }),
        expect.objectContaining({ sku: 'EDR-MONTHLY', quantity: 1 }),
      ]),
    );
    const [completed] = await tap.waitFor(
      (m) =>
        (m.json as CloudEvent).type === PointsEvents.exchangeCompleted &&
        (m.json as CloudEvent<{ exchangeId: string }>).data.exchangeId === pending.exchangeId,
    );
    expect(completed!.json).toMatchObject({ correlationid: 'corr-exchange-1' });
    const ledger = await expectLedgerMatchesBalance('p-1');
    expect(ledger).toContainEqual(
      expect.objectContaining({ kind: 'exchange-debit', amount: -18, reference: pending.exchangeId, correlationId: 'corr-exchange-1' }),
    );
  });

  it('refunds when the pool refuses: the points come back, balance = sum of the ledger', async () => {
    await enrolWith('p-refund', 50);
    // The pool's copy of the catalog may retire a sku before points' copy does (issue 9.13: points refuses what it knows is retired).
    const response = await exchange('p-refund', [{ sku: 'EP-MONTHLY', quantity: 3 }]);
    expect(response.statusCode).toBe(202);
    const { exchangeId } = response.json();
    expect((await wallet('p-refund')).balance).toBe(35);
    await poolRefuses(exchangeId);
    const final = await waitFinal('p-refund', exchangeId);
    expect(final.json()).toMatchObject({ status: 'refunded', refund: { code: 'POOL.SKU_RETIRED' } });
    expect((await wallet('p-refund')).balance).toBe(50);
    expect((await wallet('p-refund')).holdings).toEqual([]);
    const ledger = await expectLedgerMatchesBalance('p-refund');
    expect(ledger.map((e) => [e.kind, e.amount])).toEqual([
      ['exchange-refund', 15],
      ['exchange-debit', -15],
      ['credit', 50],
    ]);
  });

  it('settles once however often the pool answers (idempotent by event id and by state)', async () => {
    await enrolWith('p-dup', 20);
    const { exchangeId } = (await exchange('p-dup', [{ sku: 'EP-MONTHLY', quantity: 1 }])).json();
    const answer = await poolCredits(exchangeId);
    await publish([answer]);
    await poolCredits(exchangeId);
    await poolRefuses(exchangeId);
    expect((await waitFinal('p-dup', exchangeId)).json().status).toBe('completed');
    // Every answer has been handled once the saga's group has committed the whole pool topic.
    await eventually(() => caughtUp(kafka.admin, sagaGroup, poolTopic));
    expect(await wallet('p-dup')).toMatchObject({ balance: 15, holdings: [expect.objectContaining({ sku: 'EP-MONTHLY', quantity: 1 })] });
    await marker('p-dup');
    const about = (type: string) => tap.events<CloudEvent<{ exchangeId: string }>>((e) => e.type === type && e.data.exchangeId === exchangeId);
    expect(about(PointsEvents.exchangeCompleted)).toHaveLength(1);
    expect(about(PointsEvents.exchangeRefunded)).toHaveLength(0);
  });

  it('saga latency is on /metrics: an exchange that ends is observed once in saga_duration_seconds, completed or refunded (issue 10)', async () => {
    const ended = async (outcome: string) =>
      (await inject('GET', '/metrics', {})).body
        .split('\n')
        .filter((l) => l.startsWith('saga_duration_seconds_count{') && l.includes('saga="exchange"') && l.includes(`outcome="${outcome}"`))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    await enrolWith('p-latency', 20);
    const [completedBefore, refundedBefore] = [await ended('completed'), await ended('refunded')];
    const credited = (await exchange('p-latency', [{ sku: 'EP-MONTHLY', quantity: 1 }])).json().exchangeId as string;
    await poolCredits(credited);
    await poolCredits(credited);
    expect((await waitFinal('p-latency', credited)).json().status).toBe('completed');
    const refused = (await exchange('p-latency', [{ sku: 'EP-MONTHLY', quantity: 1 }])).json().exchangeId as string;
    await poolRefuses(refused);
    expect((await waitFinal('p-latency', refused)).json().status).toBe('refunded');
    // Every answer, the repeated one too, has been handled once the saga's group has committed the whole pool topic.
    await eventually(() => caughtUp(kafka.admin, sagaGroup, poolTopic));
    expect([await ended('completed'), await ended('refunded')]).toEqual([completedBefore + 1, refundedBefore + 1]);
  });

  it('an Idempotency-Key makes a retried exchange debit once; the same key with another body is refused', async () => {
    await enrolWith('p-idem', 30);
    const first = await exchange('p-idem', [{ sku: 'EP-MONTHLY', quantity: 2 }], { 'idempotency-key': 'ex-1' });
    const retry = await exchange('p-idem', [{ sku: 'EP-MONTHLY', quantity: 2 }], { 'idempotency-key': 'ex-1' });
    expect(retry.json().exchangeId).toBe(first.json().exchangeId);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await wallet('p-idem')).balance).toBe(20);
    const other = await exchange('p-idem', [{ sku: 'EP-MONTHLY', quantity: 3 }], { 'idempotency-key': 'ex-1' });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('POINTS.IDEMPOTENCY_KEY_REUSED');
    expect((await wallet('p-idem')).balance).toBe(20);
  });

  it('quotes with ?dryRun=true: cost and balance after, nothing changes', async () => {
    const before = await snapshot('p-1');
    const quote = await inject('POST', '/partners/p-1/points/exchanges?dryRun=true', partners['p-1']!, {
      lines: [{ sku: 'EDR-MONTHLY', quantity: 2 }],
    });
    expect(quote.statusCode).toBe(200);
    const { balance } = await wallet('p-1');
    expect(quote.json()).toEqual({
      cost: 16,
      balanceAfter: balance - 16,
      lines: [{ sku: 'EDR-MONTHLY', termMonths: 1, quantity: 2, pointsPerLicense: 8 }],
      warnings: [],
    });
    const bySupport = await inject('POST', '/partners/p-1/points/exchanges?dryRun=true', support, { lines: [{ sku: 'EDR-MONTHLY', quantity: 2 }] });
    expect(bySupport.statusCode).toBe(200);
    const tooMuch = await inject('POST', '/partners/p-1/points/exchanges?dryRun=true', partners['p-1']!, {
      lines: [{ sku: 'EDR-MONTHLY', quantity: 1000 }],
    });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json()).toMatchObject({ code: 'POINTS.INSUFFICIENT_BALANCE', details: { cost: 8000, balance } });
    expect(await snapshotAfterMarker('p-1')).toEqual(before);
  });

  it('flags an exchange the pool does not answer in time as stalled; it stays pending and still completes', async () => {
    await enrolWith('p-slow', 10);
    const response = await exchange('p-slow', [{ sku: 'EP-MONTHLY', quantity: 1 }]);
    const { exchangeId } = response.json();
    const stalled = await eventually(async () => {
      const body = (await inject('GET', `/partners/p-slow/points/exchanges/${exchangeId}`, partners['p-slow']!)).json();
      return body.stalled && body;
    }, 15_000);
    expect(stalled.status).toBe('pending');
    const waited = await inject('GET', `/partners/p-slow/points/exchanges/${exchangeId}`, { ...partners['p-slow']!, prefer: 'wait=1' });
    expect(waited.statusCode).toBe(200);
    expect(waited.json().status).toBe('pending');
    await poolCredits(exchangeId);
    expect((await waitFinal('p-slow', exchangeId)).json()).toMatchObject({ status: 'completed', stalled: true });
  });

  it('answers 200 at once when Prefer: wait sees the exchange settle in time', async () => {
    await enrolWith('p-wait', 10);
    const key = 'wait-1';
    const first = await exchange('p-wait', [{ sku: 'EP-MONTHLY', quantity: 1 }], { 'idempotency-key': key });
    await poolCredits(first.json().exchangeId);
    const waited = await exchange('p-wait', [{ sku: 'EP-MONTHLY', quantity: 1 }], { 'idempotency-key': key, prefer: 'respond-async, wait=10' });
    expect(waited.statusCode).toBe(200);
    expect(waited.json().status).toBe('completed');
  });
});

describe('monthly renewal (M4)', () => {
  afterEach(() => {
    clockAt = undefined;
  });

  it('renews once per month however often it runs, and a short balance lapses exactly what it cannot pay', async () => {
    clockAt = new Date('2031-01-20T12:00:00Z');
    await enrolWith('p-renew', 100);
    await enrolWith('p-short', 60);
    for (const [partnerId, lines] of [
      [
        'p-renew',
        [
          { sku: 'EP-MONTHLY', quantity: 4 },
          { sku: 'EDR-MONTHLY', quantity: 2 },
        ],
      ],
      [
        'p-short',
        [
          { sku: 'EP-MONTHLY', quantity: 3 },
          { sku: 'EDR-MONTHLY', quantity: 3 },
        ],
      ],
    ] as const) {
      const response = await exchange(partnerId, [...lines]);
      expect(response.statusCode).toBe(202);
      await poolCredits(response.json().exchangeId);
      expect((await waitFinal(partnerId, response.json().exchangeId)).json().status).toBe('completed');
    }
    // p-renew: 100 - 36 = 64; p-short: 60 - 39 = 21.
    expect((await wallet('p-renew')).balance).toBe(64);
    expect((await wallet('p-short')).balance).toBe(21);

    const early = await inject('POST', '/points/renewals', admin, { month: '2031-03' });
    expect(early.statusCode).toBe(422);
    expect(early.json().code).toBe('POINTS.RENEWAL_MONTH_IN_FUTURE');

    clockAt = new Date('2031-02-01T00:00:05Z');
    const first = await inject('POST', '/points/renewals', admin, { month: '2031-02' });
    expect(first.statusCode).toBe(200);
    // Other tests' wallets hold licenses paid through today's real month, years before 2031: the
    // same run charges each month since (issue 9.13) and lapses what their balances cannot pay.
    expect(first.json()).toMatchObject({ month: '2031-02' });
    expect(first.json().lapsedWallets).toBeGreaterThanOrEqual(1);
    expect(first.json().licensesLapsed).toBeGreaterThanOrEqual(3);
    expect(first.json().renewedWallets).toBeGreaterThanOrEqual(2);
    const second = await inject('POST', '/points/renewals', admin, { month: '2031-02' });
    expect(second.json()).toMatchObject({ wallets: 0, renewedWallets: 0, lapsedWallets: 0, pointsDebited: 0, licensesRenewed: 0, licensesLapsed: 0 });

    // p-renew pays 4 × 5 + 2 × 8 = 36 of its 64; p-short pays 3 × 5 = 15 of its 21, then one EDR
    // at 8 does not fit in 6: all 3 EDR lapse.
    expect(await wallet('p-renew')).toMatchObject({
      balance: 28,
      holdings: [
        { sku: 'EDR-MONTHLY', quantity: 2, paidThrough: '2031-02' },
        { sku: 'EP-MONTHLY', quantity: 4, paidThrough: '2031-02' },
      ],
    });
    expect(await wallet('p-short')).toMatchObject({ balance: 6, holdings: [{ sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-02' }] });

    const [lapsed] = await tap.waitFor(
      (m) => (m.json as CloudEvent).type === PointsEvents.monthlyLapsed && (m.json as CloudEvent).subject === 'p-short',
    );
    expect(validateEvent(lapsed!.json)).toEqual({ ok: true });
    expect((lapsed!.json as CloudEvent<MonthlyLapsedV1>).data).toMatchObject({
      partnerId: 'p-short',
      month: '2031-02',
      lines: [{ sku: 'EDR-MONTHLY', quantity: 3 }],
    });
    await marker('p-renew');
    expect(tap.events((e) => e.type === PointsEvents.monthlyLapsed && e.subject === 'p-renew')).toHaveLength(0);
    expect(tap.events((e) => e.type === PointsEvents.monthlyRenewed && e.subject === 'p-renew')).toHaveLength(1);
    const ledger = await expectLedgerMatchesBalance('p-short');
    expect(ledger[0]).toMatchObject({ kind: 'monthly-renewal', amount: -15, reference: 'renewal:2031-02', balanceAfter: 6 });
  });

  it('the renewal trigger is for points-admin only', async () => {
    const response = await inject('POST', '/points/renewals', partners['p-1']!, { month: '2031-02' });
    expect(response.statusCode).toBe(403);
  });
});

describe('bad input changes nothing', () => {
  // Partners never enrolled, one per case: the marker after a refusal enrols them.
  beforeAll(async () => {
    partners['p-never-1'] = await bearer({ partnerId: 'p-never-1' });
  });

  const cases: [string, string, () => Record<string, string>, unknown, number, string][] = [
    [
      'an exchange by a partner not enrolled',
      '/partners/p-never-1/points/exchanges',
      () => partners['p-never-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] },
      409,
      'POINTS.NOT_ENROLLED',
    ],
    [
      'a zero quantity',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 0 }] },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'a negative quantity',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: -3 }] },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'a quantity as a string',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: '2' }] },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'an unknown sku',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'NOPE-X', quantity: 1 }] },
      400,
      'POINTS.UNKNOWN_SKU',
    ],
    [
      'a sku without a points price',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-ANNUAL', quantity: 1 }] },
      400,
      'POINTS.NO_POINTS_PRICE',
    ],
    [
      'a sku twice',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      {
        lines: [
          { sku: 'EP-MONTHLY', quantity: 1 },
          { sku: 'EP-MONTHLY', quantity: 1 },
        ],
      },
      400,
      'POINTS.DUPLICATE_SKU',
    ],
    [
      'more than the balance pays',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 10000 }] },
      409,
      'POINTS.INSUFFICIENT_BALANCE',
    ],
    ['no lines', '/partners/p-1/points/exchanges', () => partners['p-1']!, { lines: [] }, 400, 'REQUEST.VALIDATION_FAILED'],
    [
      'an unknown field',
      '/partners/p-1/points/exchanges',
      () => partners['p-1']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 1, termMonths: 12 }] },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    ['malformed JSON', '/partners/p-1/points/exchanges', () => partners['p-1']!, '{"lines": [', 400, 'REQUEST.MALFORMED_JSON'],
    [
      'a credit without an Idempotency-Key',
      '/partners/p-1/points/credits',
      () => admin,
      { amount: 5, reason: 'r' },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'a zero credit',
      '/partners/p-1/points/credits',
      () => ({ ...admin, 'idempotency-key': 'zero' }),
      { amount: 0, reason: 'r' },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'a negative credit',
      '/partners/p-1/points/credits',
      () => ({ ...admin, 'idempotency-key': 'neg' }),
      { amount: -5, reason: 'r' },
      400,
      'REQUEST.VALIDATION_FAILED',
    ],
    [
      'a credit to a partner not enrolled',
      '/partners/p-never-2/points/credits',
      () => ({ ...admin, 'idempotency-key': 'new' }),
      { amount: 5, reason: 'r' },
      409,
      'POINTS.NOT_ENROLLED',
    ],
    [
      'a credit by a partner',
      '/partners/p-1/points/credits',
      () => ({ ...partners['p-1']!, 'idempotency-key': 'self' }),
      { amount: 5, reason: 'r' },
      403,
      'AUTH.FORBIDDEN',
    ],
    [
      "an exchange on another partner's wallet",
      '/partners/p-1/points/exchanges',
      () => partners['p-new']!,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] },
      403,
      'AUTH.FORBIDDEN',
    ],
    [
      'an exchange by support',
      '/partners/p-1/points/exchanges',
      () => support,
      { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] },
      403,
      'AUTH.FORBIDDEN',
    ],
    [
      'an exchange without a token',
      '/partners/p-1/points/exchanges',
      () => ({}),
      { lines: [{ sku: 'EP-MONTHLY', quantity: 1 }] },
      401,
      'AUTH.UNAUTHENTICATED',
    ],
  ];

  it.each(cases)('refuses %s with a stable code', async (_label, url, headers, payload, status, code) => {
    const partnerId = url.split('/')[2]!;
    const before = await snapshot(partnerId);
    const response = await points.http.inject({
      method: 'POST',
      url,
      headers: { ...headers(), 'content-type': 'application/json', 'x-correlation-id': 'bad-input-1' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code, correlationId: 'bad-input-1', message: expect.any(String) });
    expect(await snapshotAfterMarker(partnerId)).toEqual(before);
  });

  it('issue 9, item 4: a partner id outside the one rule (`-advx`, `..`) is refused before anything is enrolled or credited', async () => {
    for (const partnerId of ['-advx', '.x', 'a'.repeat(101)]) {
      const enrol = await inject('PUT', `/partners/${partnerId}/points/enrolment`, admin, { enrolled: true });
      expect({ partnerId, status: enrol.statusCode, code: enrol.json().code }).toEqual({ partnerId, status: 400, code: 'REQUEST.VALIDATION_FAILED' });
    }
  });

  it("a partner's token reaches only its own wallet; support reads any", async () => {
    expect((await inject('GET', '/partners/p-1/points', partners['p-new']!)).statusCode).toBe(403);
    expect((await inject('GET', '/partners/p-1/points/ledger', partners['p-new']!)).statusCode).toBe(403);
    const exchangeId = (await ledgerOf('p-1')).find((e) => e.kind === 'exchange-debit')!.reference;
    expect((await inject('GET', `/partners/p-1/points/exchanges/${exchangeId}`, partners['p-new']!)).statusCode).toBe(403);
    expect((await inject('GET', `/partners/p-new/points/exchanges/${exchangeId}`, partners['p-new']!)).json().code).toBe('POINTS.EXCHANGE_NOT_FOUND');
    expect((await inject('GET', '/partners/p-1/points', support)).statusCode).toBe(200);
    expect((await inject('PUT', '/partners/p-1/points/enrolment', support, { enrolled: false })).statusCode).toBe(403);
  });

  it('serves its OpenAPI document', async () => {
    const doc = (await inject('GET', '/docs/json', {})).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/partners/{partnerId}/points',
        '/partners/{partnerId}/points/enrolment',
        '/partners/{partnerId}/points/credits',
        '/partners/{partnerId}/points/exchanges',
        '/partners/{partnerId}/points/exchanges/{exchangeId}',
        '/partners/{partnerId}/points/ledger',
        '/points/renewals',
      ]),
    );
  });
});
