import { PoolEvents, type CloudEvent } from '@licensing/events';
import { ensureTopics, type EventPublisher } from '@licensing/messaging';
import type { RunningService } from '@licensing/service-kit';
import { eventually, EventTap, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { poolConfig, startPool } from '../src/pool.module';
import { assignmentRequested, line } from './pool.fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Issue 9.6 (second half): a consumer that kafkajs gives up on (its `crash` event) is started
 * again by the transport, and /health/ready is 503 while it is down. The crash is a real one: the
 * topic its group reads is deleted under it, and comes back.
 */
const names = uniqueNames(__filename);
const contractsTopic = `${names.prefix}contracts.events`;
let pool: RunningService;
let tap: EventTap;
let publisher: EventPublisher;
let admin: Admin;

beforeAll(async () => {
  pool = await startPool(poolConfig(serviceEnv(names)));
  tap = await EventTap.start([`${names.prefix}pool.events`]);
  ({ publisher, admin } = testKafka(names));
  await admin.connect();
});

afterAll(async () => {
  await Promise.allSettled([tap?.stop(), publisher?.disconnect(), admin?.disconnect(), pool?.close()]);
});

const readiness = async () => {
  const response = await pool.http.inject({ method: 'GET', url: '/health/ready' });
  return { status: response.statusCode, body: response.json() as Json };
};

/** A request for a partner with no stock: the pool's main group answers it with a rejection. */
async function answered(assignmentId: string): Promise<void> {
  await publisher.publish([assignmentRequested('p-crash', assignmentId, [line('NONE', 12, 1)])]);
  await tap.waitFor(
    (m) => (m.json as CloudEvent)?.type === PoolEvents.reservationRejected && (m.json as CloudEvent<Json>).data.assignmentId === assignmentId,
    { timeoutMs: 60_000 },
  );
}

describe('a consumer that crashes', () => {
  it('makes the service not ready while it is down, and is started again by the transport', async () => {
    await answered('before');
    expect((await readiness()).status).toBe(200);

    await admin.deleteTopics({ topics: [contractsTopic] });
    const down = await eventually(async () => {
      const report = await readiness();
      return report.status === 503 && report;
    }, 60_000);
    expect(down.body.checks.consumers).toMatchObject({ status: 'down', error: expect.stringContaining('consumer down in group(s) default') });

    await ensureTopics(admin, [contractsTopic], 3);
    await eventually(async () => (await readiness()).status === 200, 60_000);
    await answered('after');
  }, 150_000);
});
