import { CatalogCopy } from '@licensing/catalog-copy';
import { PoolEvents, type CloudEvent } from '@licensing/events';
import type { EventPublisher } from '@licensing/messaging';
import { PlatformClock, type RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually, EventTap, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { poolConfig, startPool } from '../src/pool.module';
import { assignmentRequested, CATALOG_SKUS, catalogEvents, line } from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 12.2: one pool write may emit several events (a timeout releasing several reservations
 * at once), each numbering its movements from 0. Paging the ledger returns every movement once,
 * whatever the page size.
 */
const names = uniqueNames(__filename);
// Reservations wait 10 minutes: only the clock's advance (one sweep, one write) releases them.
const env = serviceEnv(names, { POOL_RESERVATION_TIMEOUT_MS: '600000', POOL_RESERVATION_SWEEP_MS: '3600000' });
const PARTNER = 'p-paging';
let pool: RunningService;
let tap: EventTap;
let publisher: EventPublisher;
let admin: Admin;

beforeAll(async () => {
  pool = await startPool(poolConfig(env));
  tap = await EventTap.start([`${names.prefix}pool.events`]);
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
  await publisher.publish(catalogEvents());
  await eventually(async () => (await pool.get(CatalogCopy).getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
});

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), publisher?.disconnect(), admin?.disconnect(), pool?.close()]);
});

async function get(url: string): Promise<{ status: number; body: Json }> {
  const response = await pool.http.inject({ method: 'GET', url, headers: await bearer({ partnerId: PARTNER }) });
  return { status: response.statusCode, body: response.json() as Json };
}

async function allPages(limit: number): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const page = await get(`/partners/${PARTNER}/pool/movements?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...(page.body.items as Json[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return items;
}

describe('the movement ledger, paged', () => {
  it('returns the 7 movements of a timeout that released 7 reservations in one write, with limit=1 as with limit=200', async () => {
    const headers = { ...(await bearer({ partnerId: PARTNER })), 'content-type': 'application/json' };
    const bought = await pool.http.inject({
      method: 'POST',
      url: `/partners/${PARTNER}/pool/purchases`,
      headers,
      payload: { orderId: 'stock', lines: [line('EP-PRO', 12, 20), line('EP-ENC', 12, 5)] },
    });
    expect(bought.statusCode).toBe(201);
    const assignments = Array.from({ length: 7 }, (_, i) => `timeout-${i}`);
    await publisher.publish(assignments.map((id) => assignmentRequested(PARTNER, id, [line('EP-PRO', 12, 1)])));
    await tap.waitFor((m) => (m.json as CloudEvent)?.type === PoolEvents.licensesReserved, { count: 7 });

    // Past every deadline at once: one sweep, one write, seven reservation-released events.
    await pool.get(PlatformClock).advance(11 * 60_000);
    await tap.waitFor((m) => (m.json as CloudEvent)?.type === PoolEvents.reservationReleased, { count: 7 });
    await eventually(() => caughtUp(admin, `${names.prefix}pool-ledger`, `${names.prefix}pool.events`));

    const whole = await allPages(200);
    const releases = whole.filter((m) => m.reason === 'released');
    expect(releases.map((m) => m.reference).sort()).toEqual(assignments);
    // Written together: one pool version, seven events, each event's movement its line 0.
    expect(new Set(releases.map((m) => m.poolVersion)).size).toBe(1);
    expect(new Set(releases.map((m) => m.eventId)).size).toBe(7);
    expect(releases.every((m) => (m.id as string).endsWith(':0'))).toBe(true);

    for (const limit of [1, 2, 3, 5]) {
      const paged = await allPages(limit);
      expect({ limit, paged }).toEqual({ limit, paged: whole });
    }
  });

  it('refuses a cursor it did not give', async () => {
    for (const cursor of ['bm9wZQ', Buffer.from('[1,"e",0]').toString('base64url') + 'x', Buffer.from('[1,0]').toString('base64url')]) {
      const page = await get(`/partners/${PARTNER}/pool/movements?cursor=${cursor}`);
      expect({ cursor, status: page.status, code: page.body.code }).toEqual({ cursor, status: 400, code: 'POOL.INVALID_CURSOR' });
    }
  });
});
