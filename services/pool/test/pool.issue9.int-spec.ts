import { CatalogCopy } from '@licensing/catalog-copy';
import { PoolEvents, type CloudEvent, type LicenseLine } from '@licensing/events';
import type { EventPublisher } from '@licensing/messaging';
import { PlatformClock, type RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually, EventTap, readPoolInvariant, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { poolConfig, startPool } from '../src/pool.module';
import {
  assignmentRequested,
  CATALOG_SKUS,
  catalogEvents,
  contractActivated,
  exchangeDebited,
  licensesRecovered,
  line,
  monthlyLapsed,
} from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 9, items 11 and 12 (the pool's part), against the real servers. Reservations wait an hour,
 * so none times out unless the last test moves the clock.
 */
const names = uniqueNames(__filename);
const env = serviceEnv(names, { POOL_RESERVATION_TIMEOUT_MS: '3600000', POOL_RESERVATION_SWEEP_MS: '3600000' });
const poolTopic = `${names.prefix}pool.events`;
let pool: RunningService;
let tap: EventTap;
let publisher: EventPublisher;
let admin: Admin;

beforeAll(async () => {
  pool = await startPool(poolConfig(env));
  tap = await EventTap.start([poolTopic]);
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
  await publisher.publish(catalogEvents());
  await eventually(async () => (await pool.get(CatalogCopy).getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
});

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), publisher?.disconnect(), admin?.disconnect()]);
  await pool?.close();
});

async function call(method: 'GET' | 'POST', url: string, partnerId: string, payload?: object) {
  const response = await pool.http.inject({ method, url, headers: await bearer({ partnerId }), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json() as Json };
}
const buy = (partnerId: string, orderId: string, lines: LicenseLine[]) =>
  call('POST', `/partners/${partnerId}/pool/purchases`, partnerId, { orderId, lines });
const stockLine = async (partnerId: string, sku: string, termMonths: number) =>
  ((await call('GET', `/partners/${partnerId}/pool`, partnerId)).body.lines as Json[]).find((l) => l.sku === sku && l.termMonths === termMonths);
const poolEvents = (type: string, predicate: (data: Json) => boolean) => tap.events<CloudEvent<Json>>((e) => e.type === type && predicate(e.data));
const waitFor = async (type: string, predicate: (data: Json) => boolean, count = 1) =>
  (
    await tap.waitFor((m) => (m.json as CloudEvent<Json>)?.type === type && predicate((m.json as CloudEvent<Json>).data), {
      count,
      timeoutMs: 60_000,
    })
  ).map((m) => m.json as CloudEvent<Json>);
const ledgerCaughtUp = () => eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, poolTopic));
const invariant = async (partnerId: string) => {
  await ledgerCaughtUp();
  return readPoolInvariant(async (path) => (await call('GET', path, partnerId)).body, partnerId);
};
const monthOf = (at: Date) => at.toISOString().slice(0, 7);
const clock = () => pool.get(PlatformClock);

/** A partner's events are handled in order: once this marker is answered, everything published before it was handled. */
async function marker(partnerId: string, id: string): Promise<void> {
  await publisher.publish([assignmentRequested(partnerId, id, [line('PATCH', 12, 1)])]);
  await waitFor(PoolEvents.reservationRejected, (d) => d.assignmentId === id);
}

describe('issue 9.11 a lapse takes reserved monthly licenses too', () => {
  it('ends the reservation holding them (reservation-released, reason lapsed), and its later activation is refused POOL.RESERVATION_LAPSED', async () => {
    const p = 'p-lapse-reserved';
    await publisher.publish([exchangeDebited(p, 'lr-x', [{ sku: 'EP-PRO', quantity: 5 }])]);
    await waitFor(PoolEvents.stockCredited, (d) => d.creditId === 'lr-x');
    await publisher.publish([assignmentRequested(p, 'lr-a', [line('EP-PRO', 1, 3)])]);
    await waitFor(PoolEvents.licensesReserved, (d) => d.assignmentId === 'lr-a');

    // 2 available, 3 reserved: a lapse of 4 for this month takes the 2 and the reservation's 3 (one goes back).
    await publisher.publish([monthlyLapsed(p, monthOf(clock().now()), [{ sku: 'EP-PRO', quantity: 4 }])]);
    const [expired] = await waitFor(PoolEvents.stockExpired, (d) => d.partnerId === p);
    expect(expired?.data.lines).toEqual([{ sku: 'EP-PRO', termMonths: 1, quantity: 4, removed: 4, shortfall: 0 }]);
    expect(poolEvents(PoolEvents.reservationReleased, (d) => d.assignmentId === 'lr-a').map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'lapsed', lines: [line('EP-PRO', 1, 3)] }),
    ]);
    expect(await stockLine(p, 'EP-PRO', 1)).toEqual({ sku: 'EP-PRO', termMonths: 1, available: 1, reserved: 0, assigned: 0 });

    await publisher.publish([contractActivated(p, 'lr-a', [line('EP-PRO', 1, 3)])]);
    const [refused] = await waitFor(PoolEvents.commitRejected, (d) => d.assignmentId === 'lr-a');
    expect(refused?.data).toMatchObject({ code: 'POOL.RESERVATION_LAPSED', contractIds: ['lr-a-k0'] });
    expect(poolEvents(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'lr-a')).toEqual([]);
    expect(await stockLine(p, 'EP-PRO', 1)).toEqual({ sku: 'EP-PRO', termMonths: 1, available: 1, reserved: 0, assigned: 0 });
    expect(await invariant(p)).toMatchObject({ holds: true, credited: 5, expired: 4 });
  });
});

describe('issue 9.11 a commit checks that the activated contracts are the reserved lines', () => {
  it('answers commit-rejected POOL.COMMIT_MISMATCH to other lines, keeps the reservation, and commits the right ones', async () => {
    const p = 'p-mismatch';
    expect((await buy(p, 'mm-order', [line('EP-PRO', 12, 5), line('EP-ENC', 12, 5)])).status).toBe(201);
    const reserved = [line('EP-PRO', 12, 2), line('EP-ENC', 12, 1)];
    await publisher.publish([assignmentRequested(p, 'mm-a', reserved)]);
    await waitFor(PoolEvents.licensesReserved, (d) => d.assignmentId === 'mm-a');

    await publisher.publish([contractActivated(p, 'mm-a', [line('EP-PRO', 12, 2)])]);
    const [refused] = await waitFor(PoolEvents.commitRejected, (d) => d.assignmentId === 'mm-a');
    expect(refused?.data).toMatchObject({
      code: 'POOL.COMMIT_MISMATCH',
      lines: [
        { sku: 'EP-ENC', quantity: 1 },
        { sku: 'EP-PRO', quantity: 2 },
      ],
    });
    expect(await stockLine(p, 'EP-PRO', 12)).toMatchObject({ available: 3, reserved: 2, assigned: 0 });

    await publisher.publish([contractActivated(p, 'mm-a', reserved)]);
    await waitFor(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'mm-a');
    expect(await stockLine(p, 'EP-PRO', 12)).toMatchObject({ available: 3, reserved: 0, assigned: 2 });
    expect(await stockLine(p, 'EP-ENC', 12)).toMatchObject({ available: 4, reserved: 0, assigned: 1 });
  });
});

describe('issue 9.11 asOf follows the order of the pool versions, not the clocks that stamped them', () => {
  it('never shows a state that never existed when a later version carries an earlier time', async () => {
    const p = 'p-skew';
    expect((await buy(p, 'skew-order', [line('EP-PRO', 12, 4)])).status).toBe(201);
    await publisher.publish([assignmentRequested(p, 'skew-a', [line('EP-PRO', 12, 3)])]);
    await waitFor(PoolEvents.licensesReserved, (d) => d.assignmentId === 'skew-a');
    await ledgerCaughtUp();
    const movements = pool.db.collection('pool_movements');
    const purchase = await movements.findOne({ partnerId: p, reason: 'purchase' });
    const bought = (purchase?.at as Date).getTime();
    // Version 2 as an instance whose clock ran 5 s behind would have stamped it: before version 1.
    await movements.updateOne({ partnerId: p, reason: 'reserved' }, { $set: { at: new Date(bought - 5000) } });

    const asOf = async (at: number) => (await call('GET', `/partners/${p}/pool?asOf=${new Date(at).toISOString()}`, p)).body.lines;
    // Before version 1 was made there was nothing, whatever version 2's stamp says.
    expect(await asOf(bought - 2000)).toEqual([]);
    expect(await asOf(bought)).toEqual([{ sku: 'EP-PRO', termMonths: 12, available: 1, reserved: 3, assigned: 0 }]);
  });
});

describe('issue 9.12 business ids are honoured once, ever (past the window of 1000 the pool document keeps)', () => {
  /**
   * As if more than 1000 later operations had come since: the pool document's windows (recent
   * orders, credit keys, ended assignments, handled event ids) no longer hold anything older.
   * (Running them for real takes a minute per case on the local servers: each write of a pool
   * with full windows rewrites them.)
   */
  const pastTheWindow = (partnerId: string) =>
    pool.db
      .collection('pools')
      .updateOne(
        { _id: partnerId as never },
        { $set: { 'state.orders': [], 'state.credits': [], 'state.closed': [], handled: [] }, $inc: { version: 1 } },
      );

  it('a recoveryId replayed past the window credits nothing; the same id with other lines is refused', async () => {
    const p = 'p-once-recovery';
    const first = licensesRecovered(p, 'rec-0', [line('EP-PRO', 12, 2)]);
    await publisher.publish([first]);
    await waitFor(PoolEvents.stockCredited, (d) => d.creditId === 'rec-0');
    await pastTheWindow(p);

    // The same event again (its id forgotten too), the same recovery in a new event, and other lines under its id.
    await publisher.publish([first, licensesRecovered(p, 'rec-0', [line('EP-PRO', 12, 2)]), licensesRecovered(p, 'rec-0', [line('EP-PRO', 12, 7)])]);
    await marker(p, 'rec-marker');
    expect(poolEvents(PoolEvents.stockCredited, (d) => d.creditId === 'rec-0')).toHaveLength(1);
    expect(poolEvents(PoolEvents.creditRejected, (d) => d.creditId === 'rec-0')).toEqual([]);
    expect(await stockLine(p, 'EP-PRO', 12)).toMatchObject({ available: 2 });
  });

  it('an exchangeId replayed past the window credits nothing', async () => {
    const p = 'p-once-exchange';
    const first = exchangeDebited(p, 'ex-0', [{ sku: 'EP-PRO', quantity: 4 }]);
    await publisher.publish([first]);
    await waitFor(PoolEvents.stockCredited, (d) => d.creditId === 'ex-0');
    await pastTheWindow(p);
    await publisher.publish([first, exchangeDebited(p, 'ex-0', [{ sku: 'EP-PRO', quantity: 4 }])]);
    await marker(p, 'ex-marker');
    expect(poolEvents(PoolEvents.stockCredited, (d) => d.creditId === 'ex-0')).toHaveLength(1);
    expect(await stockLine(p, 'EP-PRO', 1)).toMatchObject({ available: 4 });
  });

  it('an assignmentId replayed past the window reserves and commits nothing again, and its activation is not refused', async () => {
    const p = 'p-once-assignment';
    expect((await buy(p, 'oa-order', [line('EP-PRO', 12, 10)])).status).toBe(201);
    const request = assignmentRequested(p, 'oa-0', [line('EP-PRO', 12, 2)]);
    const activation = contractActivated(p, 'oa-0', [line('EP-PRO', 12, 2)]);
    await publisher.publish([request]);
    await waitFor(PoolEvents.licensesReserved, (d) => d.assignmentId === 'oa-0');
    await publisher.publish([activation]);
    await waitFor(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'oa-0');
    await pastTheWindow(p);

    // A refused activation would make the contracts service cancel the contracts it names.
    await publisher.publish([request, activation, assignmentRequested(p, 'oa-0', [line('EP-PRO', 12, 5)])]);
    await marker(p, 'oa-marker');
    expect(poolEvents(PoolEvents.licensesReserved, (d) => d.assignmentId === 'oa-0')).toHaveLength(1);
    expect(poolEvents(PoolEvents.reservationCommitted, (d) => d.assignmentId === 'oa-0')).toHaveLength(1);
    expect(poolEvents(PoolEvents.commitRejected, (d) => d.assignmentId === 'oa-0')).toEqual([]);
    expect(await stockLine(p, 'EP-PRO', 12)).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 8, reserved: 0, assigned: 2 });
  });

  it('an orderId replayed past the window adds nothing (200 duplicate; other lines 409), also while the ledger lacks it', async () => {
    const p = 'p-once-order';
    expect((await buy(p, 'ord-0', [line('EP-PRO', 12, 3)])).status).toBe(201);
    await pastTheWindow(p);
    // The ledger is a projection (rebuilt, or lagging): the pool does not depend on it to know an order.
    await ledgerCaughtUp();
    await pool.db.collection('pool_movements').deleteMany({ partnerId: p, reference: 'ord-0' });

    const again = await buy(p, 'ord-0', [line('EP-PRO', 12, 3)]);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    const other = await buy(p, 'ord-0', [line('EP-PRO', 12, 4)]);
    expect(other).toMatchObject({ status: 409, body: { code: 'POOL.ORDER_CONFLICT' } });
    expect(await stockLine(p, 'EP-PRO', 12)).toMatchObject({ available: 3 });
  });
});

// Last: it moves this deployment's clock to next month.
describe('issue 9.11 a lapse applies to the month it is for', () => {
  it('keeps a lapse run for next month until its 1st, then the sweep takes the licenses', async () => {
    const p = 'p-next-month';
    await publisher.publish([exchangeDebited(p, 'nm-x', [{ sku: 'EP-PRO', quantity: 5 }])]);
    await waitFor(PoolEvents.stockCredited, (d) => d.creditId === 'nm-x');
    const now = clock().now();
    const next = monthOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)));
    await publisher.publish([monthlyLapsed(p, next, [{ sku: 'EP-PRO', quantity: 3 }])]);
    await marker(p, 'nm-marker');
    // This month's licenses are paid for: nothing leaves before the 1st.
    expect(poolEvents(PoolEvents.stockExpired, (d) => d.partnerId === p)).toEqual([]);
    expect(await stockLine(p, 'EP-PRO', 1)).toMatchObject({ available: 5 });

    await clock().advance(Date.parse(`${next}-01T00:00:00.000Z`) - clock().now().getTime() + 60_000);
    const [expired] = await waitFor(PoolEvents.stockExpired, (d) => d.partnerId === p);
    expect(expired?.data).toMatchObject({ month: next, reference: `renewal:${next}`, lines: [{ removed: 3, shortfall: 0 }] });
    expect(await stockLine(p, 'EP-PRO', 1)).toMatchObject({ available: 2 });
    expect(await invariant(p)).toMatchObject({ holds: true, credited: 5, expired: 3 });
  });
});
