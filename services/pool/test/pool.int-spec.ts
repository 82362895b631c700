import { randomUUID } from 'node:crypto';
import { CatalogCopy } from '@licensing/catalog-copy';
import { PoolEvents, type CloudEvent, type LicenseLine } from '@licensing/events';
import type { EventPublisher } from '@licensing/messaging';
import { PlatformClock, type RunningService } from '@licensing/service-kit';
import {
  bearer,
  caughtUp,
  eventually,
  EventTap,
  readPoolInvariant,
  serviceEnv,
  testKafka,
  topicEnd,
  uniqueNames,
  type TappedMessage,
} from '@licensing/testing';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Admin } from 'kafkajs';
import { RESERVATIONS_QUEUE, ReservationDeadlines } from '../src/infrastructure/reservation-deadlines';
import { poolConfig, startPool } from '../src/pool.module';
import { LedgerRepository } from '../src/projections/ledger.repository';
import {
  assignmentRejected,
  assignmentRequested,
  CATALOG_SKUS,
  catalogEvents,
  contractActivated,
  contractEnded,
  contractRenewed,
  exchangeDebited,
  licensesRecovered,
  line,
  monthlyLapsed,
} from './pool.fixtures';

// A short reservation timeout so the timeout path runs within the test; the sweep is rare until
// the test that needs it speeds it up, so the job path is what releases first.
const names = uniqueNames(__filename);
const env = serviceEnv(names, { POOL_RESERVATION_TIMEOUT_MS: '2500', POOL_RESERVATION_SWEEP_MS: '60000' });
let pool: RunningService;
let tap: EventTap;
let publisher: EventPublisher;
let admin: Admin;
const tokens: Record<string, { authorization: string }> = {};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) {
  const response = await pool.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  return { status: response.statusCode, body: response.body ? (response.json() as Json) : undefined };
}

const token = async (partnerId: string) => (tokens[partnerId] ??= await bearer({ partnerId }));
const buy = async (partnerId: string, orderId: string, lines: LicenseLine[]) =>
  call('POST', `/partners/${partnerId}/pool/purchases`, await token(partnerId), { orderId, lines });
const stock = async (partnerId: string) => (await call('GET', `/partners/${partnerId}/pool`, await token(partnerId))).body as Json;
const lineOf = (body: Json, sku: string, termMonths: number) => (body.lines as Json[]).find((l) => l.sku === sku && l.termMonths === termMonths);

const poolEvents = (type: string, predicate: (data: Json) => boolean = () => true) =>
  tap.events<CloudEvent<Json>>((e) => e.type === type && predicate(e.data));
const waitForPoolEvent = async (type: string, predicate: (data: Json) => boolean, count = 1) =>
  (await tap.waitFor((m) => (m.json as CloudEvent<Json>)?.type === type && predicate((m.json as CloudEvent<Json>).data), { count })).map(
    (m) => m.json as CloudEvent<Json>,
  );

/** Everything the pool stores about partners, without the outbox the relay empties, once the ledger has caught up. */
async function stateSnapshot() {
  await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, `${names.prefix}pool.events`));
  const db = pool.db;
  return {
    pools: await db.collection('pools').find({}).project({ outbox: 0 }).sort({ _id: 1 }).toArray(),
    movements: await db.collection('pool_movements').countDocuments(),
  };
}
const poolTopic = `${names.prefix}pool.events`;
const poolEventCount = () => tap.messages.filter((m) => m.topic === poolTopic).length;
const catalogCopy = () => pool.get(CatalogCopy);
const reservationJobs = () => pool.get<Queue>(getQueueToken(RESERVATIONS_QUEUE));
/** A lapse applies from the 1st of its month (issue 9.11): these tests lapse the month the platform clock is in. */
const thisMonth = () => pool.get(PlatformClock).now().toISOString().slice(0, 7);

beforeAll(async () => {
  pool = await startPool(poolConfig(env));
  tap = await EventTap.start([poolTopic, `${names.prefix}contracts.events.dlq`, `${names.prefix}points.events.dlq`]);
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
  await publisher.publish(catalogEvents());
  await eventually(async () => (await catalogCopy().getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
});

afterAll(async () => {
  await Promise.all([tap?.stop(), publisher?.disconnect(), admin?.disconnect()]);
  await pool?.close();
});

describe('P2 purchases over HTTP', () => {
  it('P2 puts bought licenses in available, shows them per sku and term, and publishes stock-credited (source purchase)', async () => {
    const bought = await buy('p-a', 'order-1', [line('EP-PRO', 12, 20), line('EP-ENC', 12, 10), line('EP-PRO', 12, 5)]);
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ duplicate: false, orderId: 'order-1', lines: [line('EP-ENC', 12, 10), line('EP-PRO', 12, 25)] });
    const body = await stock('p-a');
    expect(body).toMatchObject({ partnerId: 'p-a', version: 1, reservations: [], thresholds: [] });
    expect(body.lines).toEqual([
      { sku: 'EP-ENC', termMonths: 12, available: 10, reserved: 0, assigned: 0 },
      { sku: 'EP-PRO', termMonths: 12, available: 25, reserved: 0, assigned: 0 },
    ]);
    const [event] = await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'order-1');
    expect(event).toMatchObject({ partnerid: 'p-a', subject: 'p-a', data: { source: 'purchase', poolVersion: 1 } });
  });

  it('P2 the same order twice adds stock once; the same orderId with other lines is 409 POOL.ORDER_CONFLICT', async () => {
    const again = await buy('p-a', 'order-1', [line('EP-PRO', 12, 25), line('EP-ENC', 12, 10)]);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, orderId: 'order-1' });
    const other = await buy('p-a', 'order-1', [line('EP-PRO', 12, 1)]);
    expect(other.status).toBe(409);
    expect(other.body?.code).toBe('POOL.ORDER_CONFLICT');
    expect(lineOf(await stock('p-a'), 'EP-PRO', 12)?.available).toBe(25);
    expect(poolEvents(PoolEvents.stockCredited, (d) => d.creditId === 'order-1')).toHaveLength(1);
  });

  it('P2 recognises an order older than the pool remembers from the ledger', async () => {
    await buy('p-old', 'old-order', [line('PATCH', 12, 3)]);
    await eventually(async () => (await pool.get(LedgerRepository).purchaseLines('p-old', 'old-order')) !== undefined);
    // As if a thousand orders had come since: the pool document no longer lists it (a write moves the version).
    await pool.db.collection('pools').updateOne({ _id: 'p-old' as never }, { $set: { 'state.orders': [] }, $inc: { version: 1 } });
    expect((await buy('p-old', 'old-order', [line('PATCH', 12, 3)])).body).toMatchObject({ duplicate: true });
    expect((await buy('p-old', 'old-order', [line('PATCH', 12, 4)])).body?.code).toBe('POOL.ORDER_CONFLICT');
    expect(lineOf(await stock('p-old'), 'PATCH', 12)?.available).toBe(3);
  });
});

describe('bad input changes nothing', () => {
  const cases: [string, unknown, number, string][] = [
    ['a zero quantity', { orderId: 'bad', lines: [line('EP-PRO', 12, 0)] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a negative quantity', { orderId: 'bad', lines: [line('EP-PRO', 12, -3)] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a quantity as a string', { orderId: 'bad', lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: '3' }] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['a term the platform does not know', { orderId: 'bad', lines: [line('EP-PRO', 6 as 12, 1)] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['no lines', { orderId: 'bad', lines: [] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['no orderId', { lines: [line('EP-PRO', 12, 1)] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', { orderId: 'bad', lines: [line('EP-PRO', 12, 1)], discount: 5 }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown sku', { orderId: 'bad', lines: [line('EP-PRO', 12, 1), line('NOPE-1', 12, 1)] }, 400, 'POOL.UNKNOWN_SKU'],
    ['a retired sku', { orderId: 'bad', lines: [line('EP-OLD', 12, 1)] }, 400, 'POOL.SKU_RETIRED'],
    ['a term the product does not allow', { orderId: 'bad', lines: [line('PATCH', 24, 1)] }, 400, 'POOL.TERM_NOT_ALLOWED'],
    ['monthly licenses (they come from points)', { orderId: 'bad', lines: [line('EP-PRO', 1, 1)] }, 400, 'POOL.TERM_NOT_ALLOWED'],
    ['a trial edition', { orderId: 'bad', lines: [line('EP-TRIAL', 12, 1)] }, 400, 'POOL.TRIAL_NOT_POOLED'],
    ['malformed JSON', '{"orderId": ', 400, 'REQUEST.MALFORMED_JSON'],
  ];

  it.each(cases)('refuses a purchase with %s with a stable code', async (_label, payload, status, code) => {
    const before = await stateSnapshot();
    const events = poolEventCount();
    const eventsBefore = await topicEnd(admin, poolTopic);
    const response = await pool.http.inject({
      method: 'POST',
      url: '/partners/p-a/pool/purchases',
      headers: { ...(await token('p-a')), 'content-type': 'application/json', 'x-correlation-id': 'bad-input-1' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code, correlationId: 'bad-input-1', message: expect.any(String) });
    expect(await stateSnapshot()).toEqual(before);
    // A marker written to the same pool after the refusal: the relay publishes a pool's events in
    // the order they were saved, so once the marker is out, nothing the refusal wrote is still to come.
    const marker = `marker-${randomUUID()}`;
    expect((await buy('p-a', marker, [line('PATCH', 12, 1)])).status).toBe(201);
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === marker);
    expect(poolEventCount()).toBe(events + 1);
    expect(await topicEnd(admin, poolTopic)).toBe(eventsBefore + 1);
  });

  it('issue 9, item 7: a date-time with a leap second is refused 400, on asOf, from and to alike', async () => {
    for (const url of [
      '/partners/p-a/pool?asOf=2026-06-30T23:59:60Z',
      '/partners/p-a/pool/movements?from=2026-06-30T23:59:60Z',
      '/partners/p-a/pool/movements?to=2026-06-30T23:59:60Z',
      '/partners/p-a/pool/movements?to=2026-02-30T00:00:00Z',
    ]) {
      const answer = await call('GET', url, await token('p-a'));
      expect({ url, status: answer.status, code: answer.body?.code }).toEqual({ url, status: 400, code: 'REQUEST.VALIDATION_FAILED' });
    }
  });

  it('refuses a malformed partner id (a token naming one is not valid: 401) and answers 404 POOL.PARTNER_NOT_FOUND for a partner without a pool', async () => {
    const malformed = await call('POST', '/partners/p%20a/pool/purchases', await token('p a'), { orderId: 'x', lines: [line('EP-PRO', 12, 1)] });
    expect(malformed).toMatchObject({ status: 401, body: { code: 'AUTH.UNAUTHENTICATED' } });
    const asAnotherPartner = await call('POST', '/partners/p%20a/pool/purchases', await token('p-a'), {
      orderId: 'x',
      lines: [line('EP-PRO', 12, 1)],
    });
    expect(asAnotherPartner).toMatchObject({ status: 403, body: { code: 'AUTH.FORBIDDEN' } });
    for (const url of ['/partners/p-none/pool', '/partners/p-none/pool/movements', `/partners/p-none/pool?asOf=${new Date().toISOString()}`]) {
      expect(await call('GET', url, await token('p-none'))).toMatchObject({ status: 404, body: { code: 'POOL.PARTNER_NOT_FOUND' } });
    }
    const threshold = await call('PUT', '/partners/p-none/pool/thresholds/EP-PRO', await token('p-none'), { threshold: 1 });
    expect(threshold).toMatchObject({ status: 404, body: { code: 'POOL.PARTNER_NOT_FOUND' } });
  });

  it('a partner reaches only its own pool (403); support reads any pool and changes nothing; no token is 401', async () => {
    const before = await stateSnapshot();
    const other = await token('p-b');
    expect((await call('GET', '/partners/p-a/pool', other)).status).toBe(403);
    expect((await call('GET', '/partners/p-a/pool/movements', other)).status).toBe(403);
    expect(await call('POST', '/partners/p-a/pool/purchases', other, { orderId: 'o-x', lines: [line('EP-PRO', 12, 1)] })).toMatchObject({
      status: 403,
      body: { code: 'AUTH.FORBIDDEN' },
    });
    const support = await bearer({ roles: ['support'] });
    expect((await call('GET', '/partners/p-a/pool', support)).body).toMatchObject({ partnerId: 'p-a' });
    expect((await call('GET', '/partners/p-a/pool/movements', support)).status).toBe(200);
    expect((await call('POST', '/partners/p-a/pool/purchases', support, { orderId: 'o-y', lines: [line('EP-PRO', 12, 1)] })).status).toBe(403);
    expect((await call('PUT', '/partners/p-a/pool/thresholds/EP-PRO', support, { threshold: 3 })).status).toBe(403);
    // Issue 9, item 2: a support token that also names the partner still changes nothing.
    const supportOfPartner = await bearer({ roles: ['support'], partnerId: 'p-a' });
    expect(await call('POST', '/partners/p-a/pool/purchases', supportOfPartner, { orderId: 'o-z', lines: [line('EP-PRO', 12, 1)] })).toMatchObject({
      status: 403,
      body: { code: 'AUTH.FORBIDDEN' },
    });
    expect((await call('GET', '/partners/p-a/pool')).body).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    expect(await stateSnapshot()).toEqual(before);
  });

  it('dead-letters a malformed event (not JSON, or against its schema) with the reason, and changes nothing', async () => {
    await buy('p-m', 'm-1', [line('EP-PRO', 12, 5)]);
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'm-1');
    const before = await stateSnapshot();
    const tooFew = assignmentRequested('p-m', 'm-bad', [line('EP-PRO', 12, 1)]);
    (tooFew.data.lines[0] as { quantity: number }).quantity = 0;
    const annualPoints = exchangeDebited('p-m', 'x-bad', [{ sku: 'EP-PRO', quantity: 1 }]);
    (annualPoints.data.lines[0] as { termMonths: number }).termMonths = 12;
    await publisher.sendRaw(`${names.prefix}contracts.events`, { key: 'p-m', value: '{"not json', headers: {} });
    await publisher.publish([tooFew, annualPoints]);
    const dead = await tap.waitFor((m) => m.topic.endsWith('.dlq') && m.key === 'p-m', { count: 3 });
    const byReason = (reason: string) => dead.filter((m: TappedMessage) => m.headers['dlq-reason'] === reason);
    expect(byReason('malformed')).toHaveLength(1);
    expect(byReason('invalid').map((m) => m.headers['dlq-error'])).toEqual(
      expect.arrayContaining([expect.stringContaining('data/lines/0/quantity'), expect.stringContaining('data/lines/0/termMonths')]),
    );
    expect(dead.every((m) => m.headers['dlq-consumer-group'] === `${names.prefix}pool`)).toBe(true);
    expect(await stateSnapshot()).toEqual(before);
  });
});

describe('reservations for assignments (the assignment saga)', () => {
  it('P3 reserves every line of a request, keeps the correlation id, and commits on contract activation', async () => {
    const lines = [line('EP-PRO', 12, 2), line('EP-ENC', 12, 2)];
    await publisher.publish([assignmentRequested('p-a', 'as-1', lines, 'saga-1')]);
    const [reserved] = await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'as-1');
    expect(reserved).toMatchObject({
      correlationid: 'saga-1',
      data: { partnerId: 'p-a', clientId: 'client-1', lines: [line('EP-ENC', 12, 2), line('EP-PRO', 12, 2)] },
    });
    const held = await stock('p-a');
    expect(lineOf(held, 'EP-PRO', 12)).toMatchObject({ available: 23, reserved: 2, assigned: 0 });
    expect(held.reservations).toEqual([expect.objectContaining({ assignmentId: 'as-1', expiresAt: reserved?.data.expiresAt })]);

    await publisher.publish([contractActivated('p-a', 'as-1', lines)]);
    const [committed] = await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'as-1');
    expect(committed?.data).toMatchObject({ late: false, contractIds: ['as-1-k0', 'as-1-k1'] });
    const after = await stock('p-a');
    expect(lineOf(after, 'EP-PRO', 12)).toMatchObject({ available: 23, reserved: 0, assigned: 2 });
    expect(after.reservations).toEqual([]);
  });

  it('P3 a multi-line request that cannot be met in full reserves nothing and names the reason per line', async () => {
    const before = await stock('p-a');
    await publisher.publish([assignmentRequested('p-a', 'as-2', [line('EP-PRO', 12, 1), line('EP-ENC', 12, 999), line('PATCH', 24, 1)])]);
    const [rejected] = await waitForPoolEvent(PoolEvents.reservationRejected, (d) => d.assignmentId === 'as-2');
    expect(rejected?.data).toMatchObject({
      code: 'POOL.INSUFFICIENT_STOCK',
      lines: [
        { sku: 'EP-ENC', termMonths: 12, quantity: 999, available: 8, code: 'POOL.INSUFFICIENT_STOCK' },
        { sku: 'EP-PRO', termMonths: 12, quantity: 1, available: 23 },
        { sku: 'PATCH', termMonths: 24, quantity: 1, available: 0, code: 'POOL.TERM_NOT_ALLOWED' },
      ],
    });
    expect((rejected?.data.lines as Json[])[1]).not.toHaveProperty('code');
    const after = await stock('p-a');
    expect(after.lines).toEqual(before.lines);
    expect(after.reservations).toEqual([]);
  });

  it('answers a request for a partner without a pool with POOL.PARTNER_NOT_FOUND and opens no pool', async () => {
    await publisher.publish([assignmentRequested('p-ghost', 'as-g', [line('EP-PRO', 12, 1)])]);
    const [rejected] = await waitForPoolEvent(PoolEvents.reservationRejected, (d) => d.assignmentId === 'as-g');
    expect(rejected?.data.code).toBe('POOL.PARTNER_NOT_FOUND');
    expect((await call('GET', '/partners/p-ghost/pool', await token('p-ghost'))).status).toBe(404);
  });

  it('releases a reservation when the assignment is rejected', async () => {
    await publisher.publish([assignmentRequested('p-a', 'as-3', [line('EP-ENC', 12, 3)])]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'as-3');
    await publisher.publish([assignmentRejected('p-a', 'as-3')]);
    const [released] = await waitForPoolEvent(PoolEvents.reservationReleased, (d) => d.assignmentId === 'as-3');
    expect(released?.data).toMatchObject({ reason: 'rejected', detail: expect.stringContaining('CONTRACTS.FAMILY_RULE') });
    expect(lineOf(await stock('p-a'), 'EP-ENC', 12)).toMatchObject({ available: 8, reserved: 0, assigned: 2 });
  });

  it('releases a reservation nobody answers at its deadline (its BullMQ job), and takes it again on a late activation', async () => {
    await buy('p-t', 't-1', [line('EP-PRO', 12, 4)]);
    await publisher.publish([assignmentRequested('p-t', 'by-job', [line('EP-PRO', 12, 1)])]);
    const [reserved] = await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'by-job');
    // The reminder is scheduled right after the save that the event leaves from.
    expect(await eventually(() => reservationJobs().getJob('timeout/p-t/by-job'))).toBeDefined();
    expect(lineOf(await stock('p-t'), 'EP-PRO', 12)).toMatchObject({ available: 3, reserved: 1 });

    const [released] = await waitForPoolEvent(PoolEvents.reservationReleased, (d) => d.assignmentId === 'by-job');
    expect(released).toMatchObject({ correlationid: reserved?.correlationid, data: { reason: 'timeout' } });
    expect(Date.parse(released?.data.releasedAt)).toBeGreaterThanOrEqual(Date.parse(reserved?.data.expiresAt));
    expect(lineOf(await stock('p-t'), 'EP-PRO', 12)).toMatchObject({ available: 4, reserved: 0 });

    await publisher.publish([contractActivated('p-t', 'by-job', [line('EP-PRO', 12, 1)])]);
    const [late] = await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'by-job');
    expect(late?.data.late).toBe(true);
    expect(lineOf(await stock('p-t'), 'EP-PRO', 12)).toMatchObject({ available: 3, reserved: 0, assigned: 1 });
  });

  it('releases a reservation whose job was lost, by the periodic sweep', async () => {
    await publisher.publish([assignmentRequested('p-t', 'by-sweep', [line('EP-PRO', 12, 2)])]);
    const [reserved] = await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'by-sweep');
    const job = await eventually(() => reservationJobs().getJob('timeout/p-t/by-sweep'));
    await job.remove();
    await pool.get(ReservationDeadlines).sweepEvery(500);

    const [released] = await waitForPoolEvent(PoolEvents.reservationReleased, (d) => d.assignmentId === 'by-sweep');
    expect(released?.data.reason).toBe('timeout');
    expect(Date.parse(released?.data.releasedAt)).toBeGreaterThanOrEqual(Date.parse(reserved?.data.expiresAt));
    expect(lineOf(await stock('p-t'), 'EP-PRO', 12)).toMatchObject({ available: 3, reserved: 0, assigned: 1 });
  });
});

describe('credits and expiry', () => {
  it('C5 credits recovered licenses with their original term and answers stock-credited (source recovery)', async () => {
    await publisher.publish([licensesRecovered('p-a', 'rec-1', [line('EP-PRO', 24, 3)])]);
    const [credited] = await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'rec-1');
    expect(credited?.data).toMatchObject({ source: 'recovery', lines: [line('EP-PRO', 24, 3)] });
    expect(lineOf(await stock('p-a'), 'EP-PRO', 24)).toMatchObject({ available: 3 });
  });

  it('M3 credits monthly licenses for a points exchange (creditId = exchangeId), or rejects the whole exchange', async () => {
    await publisher.publish([
      exchangeDebited('p-a', 'ex-1', [{ sku: 'EP-PRO', quantity: 6 }]),
      exchangeDebited('p-a', 'ex-retired', [
        { sku: 'EP-PRO', quantity: 1 },
        { sku: 'EP-OLD', quantity: 1 },
      ]),
      exchangeDebited('p-a', 'ex-no-monthly', [{ sku: 'EP-ENC', quantity: 1 }]),
      exchangeDebited('p-a', 'ex-unknown', [{ sku: 'NOPE', quantity: 1 }]),
    ]);
    const [credited] = await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'ex-1');
    expect(credited?.data).toMatchObject({ source: 'points', lines: [line('EP-PRO', 1, 6)] });
    const rejected = await waitForPoolEvent(PoolEvents.creditRejected, (d) => d.partnerId === 'p-a', 3);
    expect(Object.fromEntries(rejected.map((e) => [e.data.creditId, e.data.code]))).toEqual({
      'ex-retired': 'POOL.SKU_RETIRED',
      'ex-no-monthly': 'POOL.TERM_NOT_ALLOWED',
      'ex-unknown': 'POOL.UNKNOWN_SKU',
    });
    expect(rejected.every((e) => e.data.source === 'points')).toBe(true);
    expect(lineOf(await stock('p-a'), 'EP-PRO', 1)).toMatchObject({ available: 6 });
  });

  it('M4 removes lapsed monthly licenses from the pool (stock-expired)', async () => {
    await publisher.publish([monthlyLapsed('p-a', thisMonth(), [{ sku: 'EP-PRO', quantity: 4 }])]);
    const [expired] = await waitForPoolEvent(PoolEvents.stockExpired, (d) => d.partnerId === 'p-a');
    expect(expired?.data).toMatchObject({ reference: `renewal:${thisMonth()}`, lines: [{ sku: 'EP-PRO', quantity: 4, removed: 4, shortfall: 0 }] });
    expect(lineOf(await stock('p-a'), 'EP-PRO', 1)).toMatchObject({ available: 2 });
  });
});

describe('C9, C3 licenses leave assigned when contracts end or are renewed', () => {
  /** The pool invariant, once the ledger has every pool event published so far. */
  const invariant = async (partnerId: string) => {
    await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, poolTopic));
    const headers = await token(partnerId);
    return readPoolInvariant(async (path) => (await call('GET', path, headers)).body, partnerId);
  };

  it('purchase → reserve → commit → cancel with a recovery → renewal: the pool invariant holds after each step', async () => {
    const p = 'p-u';
    await buy(p, 'u-order', [line('EP-PRO', 12, 10), line('EP-ENC', 12, 4)]);
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'u-order');
    expect(await invariant(p)).toEqual({ held: 14, credited: 14, expired: 0, unassigned: 0, holds: true });

    const sold = [line('EP-PRO', 12, 3), line('EP-ENC', 12, 2)];
    await publisher.publish([assignmentRequested(p, 'u-a1', sold)]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'u-a1');
    expect(await invariant(p)).toEqual({ held: 14, credited: 14, expired: 0, unassigned: 0, holds: true });

    await publisher.publish([contractActivated(p, 'u-a1', sold)]);
    await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'u-a1');
    expect(lineOf(await stock(p), 'EP-PRO', 12)).toMatchObject({ available: 7, reserved: 0, assigned: 3 });
    expect(await invariant(p)).toEqual({ held: 14, credited: 14, expired: 0, unassigned: 0, holds: true });

    // C5 cancellation: the contract's 3 licenses leave assigned, 2 of them come back as recovered stock.
    const cancelled = contractEnded(p, 'u-a1-k0', 'cancelled', [line('EP-PRO', 12, 3)]);
    await publisher.publish([cancelled, licensesRecovered(p, 'u-rec', [line('EP-PRO', 12, 2)])]);
    const [unassigned] = await waitForPoolEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === 'u-a1-k0');
    expect(unassigned).toMatchObject({
      partnerid: p,
      causationid: cancelled.id,
      correlationid: cancelled.correlationid,
      data: {
        clientId: 'client-1',
        reason: 'cancelled',
        reference: cancelled.id,
        lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 3, removed: 3, shortfall: 0 }],
        movements: [{ sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 0, assigned: -3 }],
      },
    });
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'u-rec');
    expect(lineOf(await stock(p), 'EP-PRO', 12)).toMatchObject({ available: 9, reserved: 0, assigned: 0 });
    expect(await invariant(p)).toEqual({ held: 13, credited: 16, expired: 0, unassigned: 3, holds: true });

    // C3 renewal: the same reserve/commit saga buys the new term; then the term used up leaves assigned.
    const renewal = [line('EP-ENC', 12, 2)];
    await publisher.publish([assignmentRequested(p, 'u-r1', renewal, undefined, 'renewal')]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'u-r1');
    expect(await invariant(p)).toEqual({ held: 13, credited: 16, expired: 0, unassigned: 3, holds: true });
    await publisher.publish([contractActivated(p, 'u-r1', renewal, 'renewal')]);
    await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'u-r1');
    expect(lineOf(await stock(p), 'EP-ENC', 12)).toMatchObject({ available: 0, reserved: 0, assigned: 4 });
    expect(await invariant(p)).toEqual({ held: 13, credited: 16, expired: 0, unassigned: 3, holds: true });
    await publisher.publish([contractRenewed(p, 'u-a1-k1', 'u-r1', renewal)]);
    const [renewed] = await waitForPoolEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === 'u-a1-k1');
    expect(renewed?.data).toMatchObject({ reason: 'renewed', lines: [{ sku: 'EP-ENC', termMonths: 12, quantity: 2, removed: 2, shortfall: 0 }] });
    expect(lineOf(await stock(p), 'EP-ENC', 12)).toMatchObject({ available: 0, reserved: 0, assigned: 2 });
    expect(await invariant(p)).toEqual({ held: 11, credited: 16, expired: 0, unassigned: 5, holds: true });

    // P4: the ledger names each unassignment by contract and why, and asOf now includes them.
    const movements = (await call('GET', `/partners/${p}/pool/movements?limit=200`, await token(p))).body?.items as Json[];
    expect(movements.filter((m) => m.reason === 'unassigned').map((m) => [m.reference, m.detail, m.sku, m.assigned])).toEqual([
      ['u-a1-k0', 'cancelled', 'EP-PRO', -3],
      ['u-a1-k1', 'renewed', 'EP-ENC', -2],
    ]);
    const now = await stock(p);
    const asOf = new Date().toISOString();
    expect((await call('GET', `/partners/${p}/pool?asOf=${encodeURIComponent(asOf)}`, await token(p))).body?.lines).toEqual(now.lines);
  });

  it('P3 takes out only what is assigned and reports the shortfall; a redelivery, a grouping and empty lines change nothing', async () => {
    const p = 'p-u2';
    await buy(p, 'u2-order', [line('EP-PRO', 12, 5)]);
    await publisher.publish([assignmentRequested(p, 'u2-a1', [line('EP-PRO', 12, 3)])]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'u2-a1');
    await publisher.publish([contractActivated(p, 'u2-a1', [line('EP-PRO', 12, 3)])]);
    await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'u2-a1');

    const expired = contractEnded(p, 'u2-a1-k0', 'expired', [line('EP-PRO', 12, 4)]);
    const grouped = contractEnded(p, 'u2-old', 'grouped', [line('EP-PRO', 12, 1)], [], { groupedInto: 'u2-a1-k0' });
    const trial = contractEnded(p, 'u2-trial', 'expired', [line('EP-TRIAL', 12, 1)], []);
    await publisher.publish([expired, expired, grouped, trial, expired]);
    const [first] = await waitForPoolEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === 'u2-a1-k0');
    expect(first?.data).toMatchObject({
      reason: 'expired',
      lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 4, removed: 3, shortfall: 1 }],
      movements: [{ sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 0, assigned: -3 }],
    });
    // Everything above was consumed once a later marker is answered (one partition per partner).
    await publisher.publish([assignmentRequested(p, 'u2-marker', [line('PATCH', 12, 1)])]);
    await waitForPoolEvent(PoolEvents.reservationRejected, (d) => d.assignmentId === 'u2-marker');
    expect(poolEvents(PoolEvents.licensesUnassigned, (d) => d.partnerId === p)).toHaveLength(1);
    expect(lineOf(await stock(p), 'EP-PRO', 12)).toMatchObject({ available: 2, reserved: 0, assigned: 0 });
    expect(await invariant(p)).toEqual({ held: 2, credited: 5, expired: 0, unassigned: 3, holds: true });
    expect(tap.messages.filter((m) => m.topic.endsWith('.dlq') && m.key === p)).toEqual([]);
  });
});

describe('idempotent consumers', () => {
  it('every event redelivered (same event id) changes nothing the second time', async () => {
    await buy('p-r', 'r-order', [line('EP-PRO', 12, 10)]);
    const request = assignmentRequested('p-r', 'r-1', [line('EP-PRO', 12, 2)]);
    await publisher.publish([request, request]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'r-1');
    const activation = contractActivated('p-r', 'r-1', [line('EP-PRO', 12, 2)]);
    const request2 = assignmentRequested('p-r', 'r-2', [line('EP-PRO', 12, 3)]);
    await publisher.publish([activation, request2, activation]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'r-2');
    const rejection = assignmentRejected('p-r', 'r-2');
    const recovery = licensesRecovered('p-r', 'r-rec', [line('EP-PRO', 36, 2)]);
    const exchange = exchangeDebited('p-r', 'r-ex', [{ sku: 'EP-PRO', quantity: 5 }]);
    const lapse = monthlyLapsed('p-r', thisMonth(), [{ sku: 'EP-PRO', quantity: 1 }]);
    await publisher.publish([rejection, rejection, recovery, recovery, exchange, exchange]);
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'r-ex');
    await publisher.publish([lapse, lapse]);
    await waitForPoolEvent(PoolEvents.stockExpired, (d) => d.partnerId === 'p-r');
    // The last duplicate has been consumed once a later marker is answered (one partition per partner).
    await publisher.publish([assignmentRequested('p-r', 'r-marker', [line('PATCH', 12, 1)])]);
    await waitForPoolEvent(PoolEvents.reservationRejected, (d) => d.assignmentId === 'r-marker');

    const counts = Object.fromEntries(
      [
        PoolEvents.licensesReserved,
        PoolEvents.reservationCommitted,
        PoolEvents.reservationReleased,
        PoolEvents.stockCredited,
        PoolEvents.stockExpired,
      ].map((type) => [type, poolEvents(type, (d) => d.partnerId === 'p-r').length]),
    );
    expect(counts).toEqual({
      [PoolEvents.licensesReserved]: 2,
      [PoolEvents.reservationCommitted]: 1,
      [PoolEvents.reservationReleased]: 1,
      [PoolEvents.stockCredited]: 3,
      [PoolEvents.stockExpired]: 1,
    });
    const body = await stock('p-r');
    expect(body.lines).toEqual([
      { sku: 'EP-PRO', termMonths: 1, available: 4, reserved: 0, assigned: 0 },
      { sku: 'EP-PRO', termMonths: 12, available: 8, reserved: 0, assigned: 2 },
      { sku: 'EP-PRO', termMonths: 36, available: 2, reserved: 0, assigned: 0 },
    ]);

    // The ledger is keyed by event id: the pool's own events redelivered add no movement.
    // purchase, reserved ×2, committed, released, recovery, points, expired: one line each.
    const movements = async () => pool.db.collection('pool_movements').countDocuments({ partnerId: 'p-r' });
    await eventually(async () => (await movements()) === 8);
    const own = poolEvents(PoolEvents.stockCredited, (d) => d.partnerId === 'p-r') as CloudEvent[];
    await publisher.publish([...own, ...own]);
    await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, `${names.prefix}pool.events`));
    expect(await movements()).toBe(8);
    // A redelivery is a duplicate, not a failure: the ledger dead-letters nothing.
    expect(await topicEnd(admin, `${poolTopic}.dlq`)).toBe(0);
  });
});

describe('P4 the movement ledger and the stock as of a past time', () => {
  it('P4 asOf returns the stock of each past time exactly', async () => {
    const snapshots: { at: string; lines: Json[] }[] = [];
    const snap = async () => {
      const body = await stock('p-l');
      await new Promise((resolve) => setTimeout(resolve, 5));
      snapshots.push({ at: new Date().toISOString(), lines: body.lines });
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const beforeAll = new Date().toISOString();
    await buy('p-l', 'l-1', [line('EP-PRO', 12, 6), line('EP-ENC', 24, 4)]);
    await snap();
    await publisher.publish([assignmentRequested('p-l', 'l-a1', [line('EP-PRO', 12, 2), line('EP-ENC', 24, 1)])]);
    await waitForPoolEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === 'l-a1');
    await snap();
    await publisher.publish([contractActivated('p-l', 'l-a1', [line('EP-PRO', 12, 2), line('EP-ENC', 24, 1)])]);
    await waitForPoolEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'l-a1');
    await publisher.publish([exchangeDebited('p-l', 'l-x', [{ sku: 'EP-PRO', quantity: 3 }])]);
    await waitForPoolEvent(PoolEvents.stockCredited, (d) => d.creditId === 'l-x');
    await snap();
    await buy('p-l', 'l-2', [line('EP-PRO', 12, 1)]);
    await publisher.publish([monthlyLapsed('p-l', thisMonth(), [{ sku: 'EP-PRO', quantity: 1 }])]);
    await waitForPoolEvent(PoolEvents.stockExpired, (d) => d.partnerId === 'p-l');
    await snap();

    const version = (await stock('p-l')).version as number;
    await eventually(async () => (await pool.db.collection('pool_movements').findOne({ partnerId: 'p-l', poolVersion: version })) !== null);
    expect(snapshots.map((s) => s.lines.length)).toEqual([2, 2, 3, 3]);
    for (const snapshot of snapshots) {
      const asOf = await call('GET', `/partners/p-l/pool?asOf=${encodeURIComponent(snapshot.at)}`, await token('p-l'));
      expect(asOf).toEqual({ status: 200, body: { partnerId: 'p-l', asOf: snapshot.at, lines: snapshot.lines } });
    }
    expect((await call('GET', `/partners/p-l/pool?asOf=${beforeAll}`, await token('p-l'))).body?.lines).toEqual([]);
  });

  it('P4 lists every movement with its reason, reference, correlation id and time, paginated and filtered by sku and time', async () => {
    const headers = await token('p-l');
    const all: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body?: Json } = await call(
        'GET',
        `/partners/p-l/pool/movements?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers,
      );
      expect(page.status).toBe(200);
      expect(page.body?.items.length).toBeLessThanOrEqual(2);
      all.push(...(page.body?.items as Json[]));
      cursor = page.body?.nextCursor as string | null;
      pages += 1;
    } while (cursor);
    expect(pages).toBeGreaterThan(3);
    expect(all.map((m) => m.reason)).toEqual([
      'purchase',
      'purchase',
      'reserved',
      'reserved',
      'committed',
      'committed',
      'points',
      'purchase',
      'expired',
    ]);
    expect(all[2]).toMatchObject({
      sku: 'EP-ENC',
      termMonths: 24,
      available: -1,
      reserved: 1,
      assigned: 0,
      reference: 'l-a1',
      eventType: PoolEvents.licensesReserved,
    });
    expect(all.every((m) => m.id && m.correlationId && !Number.isNaN(Date.parse(m.at)))).toBe(true);
    const sorted = [...all].sort((a, b) => a.poolVersion - b.poolVersion);
    expect(all).toEqual(sorted);

    const enc = await call('GET', '/partners/p-l/pool/movements?sku=EP-ENC', headers);
    expect(enc.body?.items.map((m: Json) => m.reason)).toEqual(['purchase', 'reserved', 'committed']);
    const from = all[4]?.at as string;
    const later = await call('GET', `/partners/p-l/pool/movements?from=${encodeURIComponent(from)}`, headers);
    expect(later.body?.items.map((m: Json) => m.reason)).toEqual(['committed', 'committed', 'points', 'purchase', 'expired']);
    const earlier = await call('GET', `/partners/p-l/pool/movements?to=${encodeURIComponent(all[1]?.at as string)}`, headers);
    expect(earlier.body?.items.map((m: Json) => m.reason)).toEqual(['purchase', 'purchase']);
  });

  it.each([
    ['/partners/p-l/pool/movements?cursor=bm9wZQ', 'POOL.INVALID_CURSOR'],
    ['/partners/p-l/pool/movements?limit=0', 'REQUEST.VALIDATION_FAILED'],
    ['/partners/p-l/pool/movements?limit=201', 'REQUEST.VALIDATION_FAILED'],
    ['/partners/p-l/pool/movements?from=yesterday', 'REQUEST.VALIDATION_FAILED'],
    ['/partners/p-l/pool?asOf=2999-01-01T00:00:00Z', 'POOL.AS_OF_IN_FUTURE'],
    ['/partners/p-l/pool?asOf=soon', 'REQUEST.VALIDATION_FAILED'],
  ])('refuses %s with %s', async (url, code) => {
    expect(await call('GET', url, await token('p-l'))).toMatchObject({ status: 400, body: { code } });
  });
});

describe('low-stock thresholds', () => {
  it('sets a threshold per sku, says stock-low when a reservation takes available below it, and removes it', async () => {
    await buy('p-low', 'low-1', [line('PATCH', 12, 5)]);
    const set = await call('PUT', '/partners/p-low/pool/thresholds/PATCH', await token('p-low'), { threshold: 4 });
    expect(set.status).toBe(200);
    expect(set.body?.thresholds).toEqual([{ sku: 'PATCH', threshold: 4, available: 5, low: false }]);
    await waitForPoolEvent(PoolEvents.thresholdSet, (d) => d.partnerId === 'p-low' && d.threshold === 4);
    await publisher.publish([assignmentRequested('p-low', 'low-a1', [line('PATCH', 12, 2)])]);
    const [low] = await waitForPoolEvent(PoolEvents.stockLow, (d) => d.partnerId === 'p-low');
    expect(low?.data).toMatchObject({ sku: 'PATCH', threshold: 4, available: 3 });
    expect((await stock('p-low')).thresholds).toEqual([{ sku: 'PATCH', threshold: 4, available: 3, low: true }]);
    expect((await call('PUT', '/partners/p-low/pool/thresholds/NOPE', await token('p-low'), { threshold: 4 })).body?.code).toBe('POOL.UNKNOWN_SKU');
    expect((await call('PUT', '/partners/p-low/pool/thresholds/PATCH', await token('p-low'), { threshold: 0 })).body?.code).toBe(
      'REQUEST.VALIDATION_FAILED',
    );
    const removed = await call('DELETE', '/partners/p-low/pool/thresholds/PATCH', await token('p-low'));
    expect(removed.body?.thresholds).toEqual([]);
    await waitForPoolEvent(PoolEvents.thresholdSet, (d) => d.partnerId === 'p-low' && d.threshold === null);
  });
});

describe('the catalog read model', () => {
  it('is rebuilt from catalog.events when its collection is empty', async () => {
    await pool.db.collection('catalog_skus').drop();
    await pool.close();
    pool = await startPool(poolConfig(env));
    await eventually(async () => (await catalogCopy().getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
    expect((await catalogCopy().get('EP-OLD'))?.status).toBe('retired');
  });
});
