import { ContractsEvents } from '@licensing/events';
import { eventually } from '@licensing/testing';
import { SETTLED_ASSIGNMENTS_KEPT } from '../src/domain/client.aggregate';
import { call, ContractsFixture, type Json } from './contracts.fixtures';

/**
 * DESIGN §4: a business id is honoured once, ever. The client document keeps only the newest
 * settled sagas; past that window an Idempotency-Key is still found in the saga records.
 */
const fixture = new ContractsFixture(__filename);
const { token, createClient, buy, stockLine, assign, clientDoc, eventsOf } = fixture;

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

it(`an Idempotency-Key answers its saga even after ${SETTLED_ASSIGNMENTS_KEPT} later sagas pushed it out of the client document; another body under it is refused`, async () => {
  expect((await createClient('p-rec', 'c-1')).status).toBe(201);
  await buy('p-rec', 'o-rec', [{ sku: 'EP-PRO', termMonths: 12, quantity: SETTLED_ASSIGNMENTS_KEPT + 10 }]);
  const first = await assign('p-rec', 'c-1', 'first', { sku: 'EP-PRO', quantity: 2 }, { prefer: 'wait=20' });
  expect(first.body).toMatchObject({ status: 'activated' });
  const assignmentId = first.body?.assignmentId as string;

  // Later sagas, a few at a time (concurrent writes of one document are retried on conflict).
  for (let batch = 0; batch < SETTLED_ASSIGNMENTS_KEPT / 10; batch++) {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => assign('p-rec', 'c-1', `later-${batch}-${i}`, { sku: 'EP-PRO', quantity: 1 })),
    );
    for (const answer of answers) expect(answer.status).toBe(202);
  }
  const doc = await eventually(async () => {
    const found = (await clientDoc('p-rec', 'c-1')) as Json;
    const settled = (found.state.assignments as Json[]).filter((a) => a.status === 'activated');
    return settled.length === SETTLED_ASSIGNMENTS_KEPT && found.state.assignments.length === SETTLED_ASSIGNMENTS_KEPT ? found : undefined;
  }, 30_000);
  expect((doc.state.assignments as Json[]).map((a) => a.assignmentId)).not.toContain(assignmentId);
  await eventually(
    async () => (await fixture.contracts.db.collection('saga_records').findOne({ _id: assignmentId as never }))?.status === 'activated',
  );
  const assigned = 2 + SETTLED_ASSIGNMENTS_KEPT;
  await eventually(async () => (await stockLine('p-rec', 'EP-PRO'))?.assigned === assigned);

  const again = await assign('p-rec', 'c-1', 'first', { sku: 'EP-PRO', quantity: 2 }, { prefer: 'wait=20' });
  expect(again).toMatchObject({ status: 200, body: { assignmentId, status: 'activated' } });
  expect(again.headers['idempotent-replayed']).toBe('true');
  const other = await assign('p-rec', 'c-1', 'first', { sku: 'EP-PRO', quantity: 3 });
  expect(other).toMatchObject({ status: 409, body: { code: 'CONTRACTS.IDEMPOTENCY_KEY_REUSED' } });
  const polled = await call(fixture.contracts, 'GET', `/partners/p-rec/clients/c-1/assignments/${assignmentId}`, await token('p-rec'));
  expect(polled).toMatchObject({ status: 200, body: { assignmentId, status: 'activated' } });

  // Nothing was asked of the pool again.
  expect(eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === assignmentId)).toHaveLength(1);
  expect((await stockLine('p-rec', 'EP-PRO'))?.assigned).toBe(assigned);
  expect(((await clientDoc('p-rec', 'c-1')) as Json).version).toBe(doc.version);
});
