import { createEvent, PointsEvents, type MonthlyRenewedV1 } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import { pointsConfig, startPoints } from '../src/points.module';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 12.2: every ledger entry once, whatever the page size, also when one wallet write
 * recorded several entries (a catch-up renewing several months in one write shares its wallet
 * version). The projection reads points.events, so the test writes such entries there.
 */
const names = uniqueNames(__filename);
const kafka = testKafka(names);
const PARTNER = 'p-ledger-paging';
let points: RunningService;
let admin: { authorization: string };

beforeAll(async () => {
  points = await startPoints(pointsConfig(serviceEnv(names)));
  admin = await bearer({ roles: ['points-admin'] });
  await kafka.admin.connect();
});

afterAll(async () => {
  await Promise.allSettled([kafka.publisher.disconnect(), kafka.admin.disconnect(), points?.close()]);
});

const get = async (url: string) => {
  const response = await points.http.inject({ method: 'GET', url, headers: admin });
  return { status: response.statusCode, body: response.json() as Json };
};

async function allPages(limit: number): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const page = await get(`/partners/${PARTNER}/points/ledger?limit=${limit}${cursor ? `&before=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...(page.body.items as Json[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return items;
}

const renewed = (month: string, walletVersion: number) =>
  createEvent<MonthlyRenewedV1>({
    type: PointsEvents.monthlyRenewed,
    subject: PARTNER,
    partnerId: PARTNER,
    data: {
      partnerId: PARTNER,
      month,
      renewalId: `renewal:${month}`,
      lines: [{ sku: 'EP-M', termMonths: 1, quantity: 1, pointsPerLicense: 5 }],
      amount: -5,
      balanceAfter: 100,
      walletVersion,
      renewedAt: new Date().toISOString(),
    },
  });

describe('the points ledger, paged', () => {
  it('returns every entry once with limit=1 as with limit=200, entries of one wallet version included', async () => {
    expect(
      (await points.http.inject({ method: 'PUT', url: `/partners/${PARTNER}/points/enrolment`, headers: admin, payload: { enrolled: true } }))
        .statusCode,
    ).toBe(200);
    for (const key of ['c-1', 'c-2']) {
      const credit = await points.http.inject({
        method: 'POST',
        url: `/partners/${PARTNER}/points/credits`,
        headers: { ...admin, 'idempotency-key': key },
        payload: { amount: 10, reason: 'paging' },
      });
      expect(credit.statusCode).toBe(201);
    }
    // Three months renewed by one write: one wallet version.
    await kafka.publisher.publish([renewed('2026-01', 50), renewed('2026-02', 50), renewed('2026-03', 50)]);
    await eventually(() => caughtUp(kafka.admin, `${names.prefix}points-projections`, `${names.prefix}points.events`));

    const whole = await allPages(200);
    expect(whole.map((e) => e.kind).sort()).toEqual(['credit', 'credit', 'monthly-renewal', 'monthly-renewal', 'monthly-renewal']);
    for (const limit of [1, 2, 4]) {
      const paged = await allPages(limit);
      expect({ limit, paged }).toEqual({ limit, paged: whole });
    }
  });

  it('refuses a cursor it did not give', async () => {
    for (const cursor of ['3', 'bm9wZQ', Buffer.from('[3]').toString('base64url')]) {
      const page = await get(`/partners/${PARTNER}/points/ledger?before=${cursor}`);
      expect({ cursor, status: page.status, code: page.body.code }).toEqual({ cursor, status: 400, code: 'POINTS.INVALID_CURSOR' });
    }
  });
});
