import { ContractsEvents, createEvent, PoolEvents, type CloudEvent, type CommitRejectedV1 } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, caughtUp, eventually } from '@licensing/testing';
import { addMonths } from '../src/domain/dates';
import { call, ContractsFixture, type Json } from './contracts.fixtures';

/**
 * The contracts service in process with the real pool beside it (same topic prefix, its own
 * database), against the real servers. Deadlines are far beyond the test (contracts 10 minutes,
 * the pool an hour): only an advance of the platform clock brings them.
 */
const fixture = new ContractsFixture(__filename, {
  // The pool is stopped and started again: a member that left uncleanly is evicted within this.
  pool: { CONSUMER_SESSION_TIMEOUT_MS: '6000' },
});
const { poolTopic, sagaGroup, publisher, admin, token, createClient, buy, stockLine, assign, finalState, clientDoc, eventsOf, waitForEvent, today } =
  fixture;
let contracts: RunningService;
let pool: RunningService;

beforeAll(async () => {
  await fixture.start();
  ({ contracts, pool } = fixture);
});

afterAll(() => fixture.stop());

describe('clients', () => {
  it("a client is registered once; it lists with the partner's others, a page at a time", async () => {
    const created = await createClient('p-list', 'c-b');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      partnerId: 'p-list',
      clientId: 'c-b',
      name: 'Client c-b',
      version: 1,
      services: [],
      pendingAssignments: [],
    });
    expect((await createClient('p-list', 'c-b')).body).toMatchObject({ code: 'CONTRACTS.CLIENT_EXISTS' });
    expect((await createClient('p-list', 'c-b')).status).toBe(409);
    for (const clientId of ['c-a', 'c-d', 'c-c']) expect((await createClient('p-list', clientId)).status).toBe(201);
    // Another partner's client with a prefix-like id is never listed.
    expect((await createClient('p-list.x', 'c-z')).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(contracts, 'GET', `/partners/p-list/clients?limit=3${cursor ? `&cursor=${cursor}` : ''}`, await token('p-list'));
      expect(page.status).toBe(200);
      seen.push(...(page.body?.items as Json[]).map((c) => c.clientId));
      cursor = page.body?.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['c-a', 'c-b', 'c-c', 'c-d']);
    const support = await call(contracts, 'GET', '/partners/p-list/clients/c-a', await bearer({ roles: ['support'] }));
    expect(support).toMatchObject({ status: 200, body: { clientId: 'c-a' } });
    const bad = await call(contracts, 'GET', '/partners/p-list/clients?cursor=not-a-cursor!', await token('p-list'));
    expect(bad).toMatchObject({ status: 400, body: { code: 'CONTRACTS.INVALID_CURSOR' } });
    expect((await call(contracts, 'GET', '/partners/p-list/clients/nobody', await token('p-list'))).body?.code).toBe('CONTRACTS.CLIENT_NOT_FOUND');
    expect((await call(contracts, 'GET', '/partners/p-list/clients', await token('p-other'))).status).toBe(403);
  });
});

describe('the assignment saga with the pool', () => {
  let activated: Json;

  it('C2 C7 a product with a module is activated: contracts from today for the term, and the pool shows the licenses assigned', async () => {
    await buy('p-1', 'order-1', [
      { sku: 'EP-PRO', termMonths: 12, quantity: 20 },
      { sku: 'EP-ENC', termMonths: 12, quantity: 10 },
    ]);
    expect((await createClient('p-1', 'c-1')).status).toBe(201);
    const body = { sku: 'EP-PRO', quantity: 5, managementModel: 'delegated', modules: [{ sku: 'EP-ENC', quantity: 3 }] };
    const answer = await assign('p-1', 'c-1', 'key-1', body, { prefer: 'wait=20' });
    expect(answer.status).toBe(200);
    activated = answer.body as Json;
    const day = await today();
    const ends = addMonths(day, 12);
    expect(activated).toMatchObject({ clientId: 'c-1', status: 'activated' });
    expect(activated.contracts).toEqual([
      { contractId: `${activated.assignmentId}-1`, sku: 'EP-PRO', termMonths: 12, quantity: 5, startsOn: day, endsOn: ends, status: 'active' },
      { contractId: `${activated.assignmentId}-2`, sku: 'EP-ENC', termMonths: 12, quantity: 3, startsOn: day, endsOn: ends, status: 'active' },
    ]);
    expect(answer.headers.location).toBe(`/partners/p-1/clients/c-1/assignments/${activated.assignmentId}`);

    const [requested] = eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === activated.assignmentId);
    expect(requested).toMatchObject({ partnerid: 'p-1', subject: 'p-1/c-1' });
    expect(requested?.data.lines).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 5 },
      { sku: 'EP-ENC', termMonths: 12, quantity: 3 },
    ]);
    const [committed] = await waitForEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === activated.assignmentId);
    expect(committed?.data.contractIds).toEqual([`${activated.assignmentId}-1`, `${activated.assignmentId}-2`]);
    expect(await stockLine('p-1', 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 15, reserved: 0, assigned: 5 });
    expect(await stockLine('p-1', 'EP-ENC')).toEqual({ sku: 'EP-ENC', termMonths: 12, available: 7, reserved: 0, assigned: 3 });

    const client = await call(contracts, 'GET', '/partners/p-1/clients/c-1', await token('p-1'));
    expect(client.body?.services).toEqual([
      {
        sku: 'EP-PRO',
        familyCode: 'endpoint',
        trialEdition: false,
        managementModel: 'delegated',
        autoRenew: false,
        contracts: [activated.contracts[0]],
        modules: [{ sku: 'EP-ENC', contracts: [activated.contracts[1]] }],
        devices: [],
        licenses: { total: 5, inUse: 0, free: 5 },
        autoRenewFailure: null,
        ended: [],
      },
    ]);
  });

  it('the same Idempotency-Key answers the same assignment; with another body it is refused with 409', async () => {
    const body = { sku: 'EP-PRO', quantity: 5, managementModel: 'delegated', modules: [{ sku: 'EP-ENC', quantity: 3 }] };
    const again = await assign('p-1', 'c-1', 'key-1', body);
    expect(again).toMatchObject({ status: 200, body: { assignmentId: activated.assignmentId, status: 'activated' } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await assign('p-1', 'c-1', 'key-1', { ...body, quantity: 6 });
    expect(other).toMatchObject({ status: 409, body: { code: 'CONTRACTS.IDEMPOTENCY_KEY_REUSED' } });
    expect(eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === activated.assignmentId)).toHaveLength(1);
  });

  it('a redelivered licenses-reserved changes nothing', async () => {
    const [reserved] = eventsOf(PoolEvents.licensesReserved, (d) => d.assignmentId === activated.assignmentId);
    const before = await clientDoc('p-1', 'c-1');
    await publisher.publish([reserved as CloudEvent]);
    await eventually(() => caughtUp(admin, sagaGroup, poolTopic));
    expect(await clientDoc('p-1', 'c-1')).toMatchObject({ version: before?.version, state: before?.state });
    expect(eventsOf(ContractsEvents.contractActivated, (d) => d.assignmentId === activated.assignmentId)).toHaveLength(1);
    expect(eventsOf(ContractsEvents.assignmentRejected, (d) => d.assignmentId === activated.assignmentId)).toHaveLength(0);
    expect(await stockLine('p-1', 'EP-PRO')).toMatchObject({ available: 15, reserved: 0, assigned: 5 });
  });

  it("insufficient stock: 202 while pending, then rejected with the pool's code and nothing held", async () => {
    expect((await createClient('p-1', 'c-2')).status).toBe(201);
    const pending = await assign('p-1', 'c-2', 'key-2', { sku: 'EP-PRO', quantity: 16 });
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'pending' });
    const location = pending.headers.location as string;
    expect(location).toBe(`/partners/p-1/clients/c-2/assignments/${pending.body?.assignmentId}`);
    const rejected = await finalState('p-1', location);
    expect(rejected).toMatchObject({ status: 'rejected', code: 'POOL.INSUFFICIENT_STOCK' });
    expect(rejected.contracts).toBeUndefined();
    expect((await call(contracts, 'GET', '/partners/p-1/clients/c-2', await token('p-1'))).body?.services).toEqual([]);
    expect(await stockLine('p-1', 'EP-PRO')).toMatchObject({ available: 15, reserved: 0, assigned: 5 });
  });

  it('C1 under 20 concurrent assignments of two products of one family to one client, exactly one product of the family is held', async () => {
    await buy('p-c1', 'order-c1', [
      { sku: 'EP-PRO', termMonths: 12, quantity: 50 },
      { sku: 'EP-BASIC', termMonths: 12, quantity: 50 },
    ]);
    expect((await createClient('p-c1', 'c-1')).status).toBe(201);
    const skuOf = (i: number) => (i % 2 === 0 ? 'EP-PRO' : 'EP-BASIC');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => assign('p-c1', 'c-1', `race-${i}`, { sku: skuOf(i), quantity: 1 }, { prefer: 'wait=20' })),
    );
    const activated = answers.filter((a) => a.status === 200 && a.body?.status === 'activated').map((a) => a.body as Json);
    const winner = activated[0]?.request.sku as string;
    const loser = winner === 'EP-PRO' ? 'EP-BASIC' : 'EP-PRO';
    // The first request saved holds the family: every other of its product is activated, every one of the other product refused.
    answers.forEach((answer, i) => {
      if (skuOf(i) === winner) expect({ i, status: answer.status, state: answer.body?.status }).toEqual({ i, status: 200, state: 'activated' });
      else expect([409, 200]).toContain(answer.status);
      if (skuOf(i) === loser) expect(answer.body?.code).toBe('CONTRACTS.FAMILY_RULE');
    });
    expect(activated).toHaveLength(10);

    const client = await call(contracts, 'GET', '/partners/p-c1/clients/c-1', await token('p-c1'));
    const held = (client.body?.services as Json[]).filter((s) => (s.contracts as Json[]).some((c) => c.status === 'active'));
    expect(held.map((s) => s.sku)).toEqual([winner]);
    expect(held[0]?.contracts).toHaveLength(10);
    await eventually(async () => (await stockLine('p-c1', winner))?.assigned === 10);
    expect(await stockLine('p-c1', winner)).toMatchObject({ available: 40, reserved: 0 });
    expect(await stockLine('p-c1', loser)).toMatchObject({ reserved: 0, assigned: 0 });
  });

  it('an activation the pool cannot back cancels the contracts it names, without recovery', async () => {
    const data: CommitRejectedV1 = {
      partnerId: 'p-1',
      assignmentId: activated.assignmentId,
      contractIds: [`${activated.assignmentId}-2`],
      code: 'POOL.RESERVATION_EXPIRED',
      reason: 'the reservation was released and the stock is gone',
      rejectedAt: new Date().toISOString(),
    };
    await publisher.publish([createEvent({ type: PoolEvents.commitRejected, subject: 'p-1', partnerId: 'p-1', data })]);
    const location = `/partners/p-1/clients/c-1/assignments/${activated.assignmentId}`;
    const assignment = await eventually(async () => {
      const found = (await call(contracts, 'GET', location, await token('p-1'))).body as Json;
      return found.cancellation && found;
    });
    expect(assignment).toMatchObject({ status: 'activated', cancellation: { code: 'POOL.RESERVATION_EXPIRED' } });
    expect((assignment.contracts as Json[]).map((c) => [c.sku, c.status])).toEqual([
      ['EP-PRO', 'active'],
      ['EP-ENC', 'cancelled'],
    ]);
    expect(eventsOf(ContractsEvents.licensesRecovered)).toHaveLength(0);
  });
});

describe('bad input changes nothing', () => {
  it('every refused request answers a stable code, and the client and the topic are as before', async () => {
    expect((await createClient('p-1', 'c-bad')).status).toBe(201);
    const before = await clientDoc('p-1', 'c-bad');
    const url = '/partners/p-1/clients/c-bad/assignments';
    const owner = { ...(await token('p-1')), 'idempotency-key': 'bad' };
    const good = { sku: 'EP-PRO', termMonths: 12, quantity: 2, managementModel: 'self' };
    const cases: [string, Record<string, string>, unknown, number, string][] = [
      ['no Idempotency-Key', await token('p-1'), good, 400, 'REQUEST.VALIDATION_FAILED'],
      ['zero licenses', owner, { ...good, quantity: 0 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['an unknown field', owner, { ...good, colour: 'red' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['a term that does not exist', owner, { ...good, termMonths: 6 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['an unknown management model', owner, { ...good, managementModel: 'nobody' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['a sku the catalog does not know', owner, { ...good, sku: 'NOPE-1' }, 400, 'CONTRACTS.UNKNOWN_SKU'],
      ['a module as the product', owner, { ...good, sku: 'EP-ENC' }, 400, 'CONTRACTS.NOT_A_PRODUCT'],
      ['C10 a trial edition', owner, { ...good, sku: 'EP-TRIAL' }, 400, 'CONTRACTS.TRIAL_NOT_POOLED'],
      ['a term the product is not sold for', owner, { ...good, sku: 'EP-BASIC', termMonths: 24 }, 400, 'CONTRACTS.TERM_NOT_ALLOWED'],
      [
        'C7 a module the product does not accept',
        owner,
        { ...good, sku: 'EDR-CORE', modules: [{ sku: 'EP-ENC', quantity: 1 }] },
        400,
        'CONTRACTS.MODULE_NOT_COMPATIBLE',
      ],
      [
        'C7 a module with more licenses than the product',
        owner,
        { ...good, modules: [{ sku: 'EP-ENC', quantity: 3 }] },
        409,
        'CONTRACTS.MODULE_EXCEEDS_PRODUCT',
      ],
      [
        'C7 a module named twice',
        owner,
        {
          ...good,
          modules: [
            { sku: 'EP-ENC', quantity: 1 },
            { sku: 'EP-ENC', quantity: 1 },
          ],
        },
        400,
        'CONTRACTS.DUPLICATE_MODULE',
      ],
      ['no token', { 'idempotency-key': 'bad' }, good, 401, 'AUTH.UNAUTHENTICATED'],
      ["another partner's token", { ...(await token('p-other')), 'idempotency-key': 'bad' }, good, 403, 'AUTH.FORBIDDEN'],
      ['support, who changes nothing', { ...(await bearer({ roles: ['support'] })), 'idempotency-key': 'bad' }, good, 403, 'AUTH.FORBIDDEN'],
    ];
    for (const [label, headers, payload, status, code] of cases) {
      const answer = await call(contracts, 'POST', url, headers, payload);
      expect({ label, status: answer.status, code: answer.body?.code }).toEqual({ label, status, code });
    }
    const malformed = await contracts.http.inject({
      method: 'POST',
      url,
      headers: { ...owner, 'content-type': 'application/json' },
      payload: '{"sku":',
    });
    expect(malformed.json()).toMatchObject({ code: 'REQUEST.MALFORMED_JSON' });
    const unknownClient = await call(contracts, 'POST', '/partners/p-1/clients/nobody/assignments', owner, good);
    expect(unknownClient).toMatchObject({ status: 404, body: { code: 'CONTRACTS.CLIENT_NOT_FOUND' } });
    // C1: c-1 holds EP-PRO of the endpoint family.
    const family = await call(contracts, 'POST', '/partners/p-1/clients/c-1/assignments', owner, { ...good, sku: 'EP-BASIC' });
    expect(family).toMatchObject({ status: 409, body: { code: 'CONTRACTS.FAMILY_RULE' } });

    expect(await clientDoc('p-1', 'c-bad')).toEqual(before);
    // A marker: the client's first event is the one of this valid request, so nothing refused reached the topic.
    const marker = await call(contracts, 'POST', url, { ...owner, 'idempotency-key': 'marker' }, { ...good, sku: 'EDR-CORE' });
    expect(marker.status).toBe(202);
    await waitForEvent(ContractsEvents.assignmentRequested, (d) => d.assignmentId === marker.body?.assignmentId);
    expect(fixture.tap.events<CloudEvent<Json>>((e) => e.subject === 'p-1/c-bad').map((e) => e.data.assignmentId)).toEqual([
      marker.body?.assignmentId,
    ]);
    expect(fixture.tap.events<CloudEvent<Json>>((e) => e.subject === 'p-1/c-1' && e.type === ContractsEvents.assignmentRequested)).toHaveLength(1);
  });
});

describe('the saga deadline', () => {
  it('an assignment the pool does not answer in time is rejected CONTRACTS.TIMEOUT; the pool releases its late reservation', async () => {
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    expect((await createClient('p-1', 'c-late')).status).toBe(201);
    const stockBefore = await stockLine('p-1', 'EP-PRO');
    // The pool is down: nobody answers.
    await pool.close();
    const pending = await assign('p-1', 'c-late', 'key-late', { sku: 'EP-PRO', quantity: 2 });
    expect(pending).toMatchObject({ status: 202, body: { status: 'pending' } });
    const assignmentId = pending.body?.assignmentId as string;
    const location = pending.headers.location as string;

    expect((await call(contracts, 'POST', '/admin/clock', clockAdmin, { advance: '11m' })).status).toBe(200);
    const timedOut = await finalState('p-1', location);
    expect(timedOut).toMatchObject({ status: 'rejected', code: 'CONTRACTS.TIMEOUT' });
    const [rejected] = await waitForEvent(ContractsEvents.assignmentRejected, (d) => d.assignmentId === assignmentId);
    expect(rejected?.data).toMatchObject({ partnerId: 'p-1', clientId: 'c-late', code: 'CONTRACTS.TIMEOUT' });
    expect(rejected?.correlationid).toBe(eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === assignmentId)[0]?.correlationid);

    // The pool comes back: it reserves, then releases on the rejection; its late answer is refused again.
    pool = await fixture.restartPool();
    // Its consumer group may first wait out the stopped member's session.
    const [released] = await waitForEvent(PoolEvents.reservationReleased, (d) => d.assignmentId === assignmentId, 1, 40_000);
    expect(released?.data.reason).toBe('rejected');
    await waitForEvent(PoolEvents.licensesReserved, (d) => d.assignmentId === assignmentId);
    await waitForEvent(ContractsEvents.assignmentRejected, (d) => d.assignmentId === assignmentId, 2);
    await eventually(() => caughtUp(admin, sagaGroup, poolTopic));
    expect(await stockLine('p-1', 'EP-PRO')).toEqual(stockBefore);
    expect(await finalState('p-1', location)).toMatchObject({ status: 'rejected', code: 'CONTRACTS.TIMEOUT' });
    expect((await call(contracts, 'GET', '/partners/p-1/clients/c-late', await token('p-1'))).body?.services).toEqual([]);
    expect(eventsOf(ContractsEvents.contractActivated, (d) => d.assignmentId === assignmentId)).toHaveLength(0);
  });

  it('saga latency is on /metrics: the assignments above ended activated, rejected and timed out (saga_duration_seconds, issue 10)', async () => {
    const text = (await contracts.http.inject({ method: 'GET', url: '/metrics' })).body;
    const count = (outcome: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('saga_duration_seconds_count{') && l.includes('saga="assignment"') && l.includes(`outcome="${outcome}"`))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(count('activated')).toBeGreaterThanOrEqual(1);
    expect(count('rejected')).toBeGreaterThanOrEqual(1);
    expect(count('timed-out')).toBeGreaterThanOrEqual(1);
  });
});

describe('contract status by the platform clock', () => {
  it('a contract is in grace from its end date for 7 days and holds its family meanwhile, then it has expired and the sweep ends it', async () => {
    const clockAdmin = await bearer({ roles: ['clock-admin'] });
    const product = async () =>
      ((await call(contracts, 'GET', '/partners/p-1/clients/c-1', await token('p-1'))).body?.services as Json[])[0]?.contracts[0];
    const basic = (key: string) => assign('p-1', 'c-1', key, { sku: 'EP-BASIC', quantity: 1 });
    expect(await product()).toMatchObject({ sku: 'EP-PRO', status: 'active' });

    expect((await call(contracts, 'POST', '/admin/clock', clockAdmin, { advance: '366d' })).status).toBe(200);
    expect(await product()).toMatchObject({ status: 'in-grace' });
    expect((await basic('grace')).body?.code).toBe('CONTRACTS.FAMILY_RULE');

    const ended = (await product()) as Json;
    expect((await call(contracts, 'POST', '/admin/clock', clockAdmin, { advance: '8d' })).status).toBe(200);
    // C9: the lifecycle sweep, run at once after the clock moved, ends it and keeps it in the service's history.
    const service = await eventually(async () => {
      const found = ((await call(contracts, 'GET', '/partners/p-1/clients/c-1', await token('p-1'))).body?.services as Json[])[0] as Json;
      return (found.ended as Json[]).some((c) => c.contractId === ended.contractId) ? found : undefined;
    });
    expect((service.contracts as Json[]).map((c) => c.contractId)).not.toContain(ended.contractId);
    expect((service.ended as Json[]).find((c) => c.contractId === ended.contractId)).toMatchObject({ status: 'expired', endedReason: 'expired' });
    expect((await basic('expired')).status).toBe(202);
  });
});
