import { randomUUID } from 'node:crypto';
import { CatalogEvents, ContractsEvents, createEvent, PoolEvents, type AssignmentRequestedV1, type CloudEvent } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, EventTap, eventually, productUpdated, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import { catalogConfig, startCatalog } from '../../services/catalog/src/catalog.module';
import { poolConfig, startPool } from '../../services/pool/src/pool.module';

/**
 * The platform clock (DESIGN §8): moved forward on one service, seen by every service of the
 * deployment, and what fell due is handled within seconds by the sweeps, not when a delayed job
 * or the next periodic sweep would have come.
 */
const names = uniqueNames(__filename);
// A deployment of its own (topics, clock key) for the catalog on the system clock.
const systemNames = uniqueNames(`${__filename}-system`);
const PARTNER = 'clock-partner';
// Ten minutes: far longer than the test, so only the advance can bring the deadline.
const slow = { POOL_RESERVATION_TIMEOUT_MS: '600000', POOL_RESERVATION_SWEEP_MS: '600000' };
const envFor = (service: string, overrides: Record<string, string> = {}) =>
  serviceEnv(names, { MONGO_DATABASE: `${names.database}_${service}`, QUEUE_PREFIX: `${names.queuePrefix}:${service}`, ...overrides });
let catalog: RunningService;
let pool: RunningService;
let systemClock: RunningService;
let tap: EventTap;
const { publisher } = testKafka(names);

const call = async (service: RunningService, method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) => {
  const response = await service.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  return { status: response.statusCode, body: response.json() };
};

beforeAll(async () => {
  [catalog, pool, systemClock] = await Promise.all([
    startCatalog(catalogConfig(envFor('catalog'))),
    startPool(poolConfig(envFor('pool', slow))),
    startCatalog(catalogConfig(envFor('catalog-system', { CLOCK_MODE: 'system', KAFKA_TOPIC_PREFIX: systemNames.prefix }))),
  ]);
  tap = await EventTap.start([`${names.prefix}pool.events`]);
  await publisher.publish([createEvent({ type: CatalogEvents.productUpdated, subject: 'CLK-1', data: productUpdated('CLK-1') })]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), publisher.disconnect(), catalog?.close(), pool?.close(), systemClock?.close()]);
});

describe('the platform clock', () => {
  it('moves forward on one service, is seen by every service of the deployment, and a reservation past its deadline is released within seconds', async () => {
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    const partner = await bearer({ partnerId: PARTNER });
    await eventually(
      async () =>
        (
          await call(pool, 'POST', `/partners/${PARTNER}/pool/purchases`, partner, {
            orderId: 'o-1',
            lines: [{ sku: 'CLK-1', termMonths: 12, quantity: 5 }],
          })
        ).status === 201,
    );
    const assignmentId = `clock-${randomUUID()}`;
    await publisher.publish([
      createEvent<AssignmentRequestedV1>({
        type: ContractsEvents.assignmentRequested,
        subject: 'client-1',
        partnerId: PARTNER,
        data: {
          assignmentId,
          partnerId: PARTNER,
          clientId: 'client-1',
          lines: [{ sku: 'CLK-1', termMonths: 12, quantity: 2 }],
          requestedAt: new Date().toISOString(),
        },
      }),
    ]);
    const ofAssignment = (type: string) => (m: { json: unknown }) => {
      const event = m.json as CloudEvent<{ assignmentId?: string }>;
      return event?.type === type && event.data.assignmentId === assignmentId;
    };
    await tap.waitFor(ofAssignment(PoolEvents.licensesReserved));
    const before = await call(pool, 'GET', '/admin/clock', clockAdmin);
    expect(before).toMatchObject({ status: 200, body: { mode: 'shared', offsetMs: 0 } });

    const advanced = await call(catalog, 'POST', '/admin/clock', clockAdmin, { advance: '11m' });
    expect(advanced.status).toBe(200);
    expect(advanced.body.offsetMs).toBe(11 * 60_000);
    expect(Date.parse(advanced.body.now) - Date.now()).toBeGreaterThan(10 * 60_000);

    const [released] = await tap.waitFor(ofAssignment(PoolEvents.reservationReleased), { timeoutMs: 15_000 });
    expect((released?.json as CloudEvent<{ reason: string }>).data.reason).toBe('timeout');
    expect((await call(pool, 'GET', '/admin/clock', clockAdmin)).body.offsetMs).toBe(11 * 60_000);
    const stock = await call(pool, 'GET', `/partners/${PARTNER}/pool`, partner);
    expect(stock.body.lines).toEqual([{ sku: 'CLK-1', termMonths: 12, available: 5, reserved: 0, assigned: 0 }]);
  });

  it('only moves forward, for the clock-admin role, and never on the system clock', async () => {
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    expect((await call(catalog, 'POST', '/admin/clock', clockAdmin, { advance: '-1d' })).body.code).toBe('REQUEST.VALIDATION_FAILED');
    expect((await call(catalog, 'POST', '/admin/clock', clockAdmin, { advance: '30x' })).status).toBe(400);
    const partner = await call(catalog, 'POST', '/admin/clock', await bearer({ partnerId: PARTNER }), { advance: '1d' });
    expect(partner).toMatchObject({ status: 403, body: { code: 'AUTH.FORBIDDEN' } });
    const support = await call(catalog, 'GET', '/admin/clock', await bearer({ roles: ['support'] }));
    expect(support.status).toBe(403);
    const system = await call(systemClock, 'POST', '/admin/clock', clockAdmin, { advance: '1d' });
    expect(system).toMatchObject({ status: 409, body: { code: 'CLOCK.NOT_SHARED' } });
    expect((await call(systemClock, 'GET', '/admin/clock', clockAdmin)).body).toMatchObject({ mode: 'system', offsetMs: 0 });
    expect((await call(catalog, 'GET', '/admin/clock', clockAdmin)).body.offsetMs).toBe(11 * 60_000);
  });
});
