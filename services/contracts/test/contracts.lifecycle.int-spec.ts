import {
  ContractsEvents,
  createEvent,
  PointsEvents,
  PoolEvents,
  type CloudEvent,
  type ExchangeDebitedV1,
  type LicenseLine,
  type MonthlyRenewedV1,
} from '@licensing/events';
import { bearer, caughtUp, eventually, readPoolInvariant } from '@licensing/testing';
import { addDays, addMonths, daysBetween, firstOfNextMonth } from '../src/domain/dates';
import { call, ContractsFixture, type Json, type Method } from './contracts.fixtures';

/**
 * The contracts' life after activation, against the real servers with the real pool beside
 * it: renewals, changes, modules, grouping and cancellation (each dry run against the real
 * thing), the end of a contract by the platform clock (grace, auto-renewal, expiry) done by the
 * lifecycle sweep, trials, redelivered answers, and bad input on every route. The clock is
 * shared by the whole file and only moves forward: every test reads "today" and works from it,
 * each with a partner of its own.
 */
const fixture = new ContractsFixture(__filename, { contracts: { CONTRACTS_LIFECYCLE_SWEEP_MS: '1000' } });
const { token, createClient, buy, stockLine, assign, clientDoc, client, eventsOf, waitForEvent, today, advance, admin, publisher } = fixture;

/** How long the sweep may take to do what fell due after a clock move ("within seconds"). */
const SWEPT_MS = 15_000;

const clientUrl = (partnerId: string, clientId: string) => `/partners/${partnerId}/clients/${clientId}`;
const serviceUrl = (partnerId: string, clientId: string, sku: string) => `${clientUrl(partnerId, clientId)}/services/${sku}`;

/** A request that starts a saga with the pool, waiting for its end. */
const saga = async (partnerId: string, url: string, key: string, body: unknown) =>
  call(fixture.contracts, 'POST', url, { ...(await token(partnerId)), 'idempotency-key': key, prefer: 'wait=20' }, body);
const post = async (partnerId: string, url: string, body?: unknown) => call(fixture.contracts, 'POST', url, await token(partnerId), body);
const version = async (partnerId: string, clientId: string) => (await clientDoc(partnerId, clientId))?.version as number;
const serviceOf = async (partnerId: string, clientId: string, sku: string) =>
  ((await client(partnerId, clientId)).services as Json[]).find((s) => s.sku === sku) as Json;

/** The pool invariant of a partner once the pool's ledger has caught up with `expected`. */
const invariant = async (partnerId: string, expected: { credited: number; unassigned: number }) =>
  eventually(async () => {
    const found = await readPoolInvariant(async (path) => (await call(fixture.pool, 'GET', path, await token(partnerId))).body, partnerId);
    return found.credited === expected.credited && found.unassigned === expected.unassigned && found;
  });

/** Buys stock, registers a client and assigns it a product (with modules), waiting for the activation. */
async function activated(partnerId: string, clientId: string, key: string, body: Parameters<typeof assign>[3]): Promise<Json> {
  const answer = await assign(partnerId, clientId, key, body, { prefer: 'wait=20' });
  expect(answer).toMatchObject({ status: 200, body: { status: 'activated' } });
  await waitForEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === answer.body?.assignmentId);
  return answer.body as Json;
}

/** C5: what a contract gives back today. */
const recovered = (quantity: number, startsOn: string, endsOn: string, day: string) =>
  Math.min(quantity, Math.floor((quantity * Math.max(0, daysBetween(day, endsOn))) / daysBetween(startsOn, endsOn)));

/** Advances the clock to `day` (a day after today). */
async function advanceTo(day: string): Promise<void> {
  const days = daysBetween(await today(), day);
  expect(days).toBeGreaterThan(0);
  await advance(`${days}d`);
}

beforeAll(() => fixture.start());
afterAll(() => fixture.stop());

describe('bad input on every new route', () => {
  it('is refused with a 4xx and a stable code; the client document and the topic are as before', async () => {
    const [P, C] = ['p-bad', 'c-bad'];
    await buy(P, 'order-bad', [{ sku: 'EP-PRO', termMonths: 12, quantity: 5 }]);
    expect((await createClient(P, C)).status).toBe(201);
    const product = await activated(P, C, 'bad-1', { sku: 'EP-PRO', quantity: 2 });
    const productId = product.contracts[0].contractId as string;
    const trial = await post(P, `${clientUrl(P, C)}/trials`, { sku: 'EP-TRIAL' });
    expect(trial.status).toBe(201);
    // Its events are out before the baseline (a 30-day trial's first reminder is the 7-day one, far ahead).
    await waitForEvent(ContractsEvents.trialStarted, (d) => d.contractId === trial.body?.contractId);
    await waitForEvent(ContractsEvents.contractActivated, (d) => d.clientId === C);

    const before = await clientDoc(P, C);
    const subject = `${P}/${C}`;
    const baseline = fixture.tap.events<CloudEvent<Json>>((e) => e.subject === subject).length;
    const owner = await token(P);
    const key = { ...owner, 'idempotency-key': 'bad' };
    const support = { ...(await bearer({ roles: ['support'] })), 'idempotency-key': 'bad' };
    const stranger = { ...(await token('p-other')), 'idempotency-key': 'bad' };
    const svc = serviceUrl(P, C, 'EP-PRO');
    const trialSvc = serviceUrl(P, C, 'EP-TRIAL');
    const renewal = { termMonths: 12 };
    const cases: [string, Method, string, Record<string, string>, unknown, number, string][] = [
      // C3 renewals
      ['renewal without Idempotency-Key', 'POST', `${svc}/renewals`, owner, renewal, 400, 'REQUEST.VALIDATION_FAILED'],
      ['renewal for 6 months', 'POST', `${svc}/renewals`, key, { termMonths: 6 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['renewal without a term', 'POST', `${svc}/renewals`, key, {}, 400, 'REQUEST.VALIDATION_FAILED'],
      ['renewal with an unknown field', 'POST', `${svc}/renewals`, key, { ...renewal, colour: 'red' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['C3 renewal 12 months or more before the end', 'POST', `${svc}/renewals`, key, renewal, 409, 'CONTRACTS.RENEWAL_TOO_EARLY'],
      ['C3 an annual contract renewed monthly', 'POST', `${svc}/renewals`, key, { termMonths: 1 }, 400, 'CONTRACTS.TERM_MISMATCH'],
      ['C10 a trial renewed', 'POST', `${trialSvc}/renewals`, key, renewal, 400, 'CONTRACTS.TRIAL_NOT_RENEWABLE'],
      ['renewal of a service not held', 'POST', `${serviceUrl(P, C, 'EDR-CORE')}/renewals`, key, renewal, 404, 'CONTRACTS.SERVICE_NOT_FOUND'],
      ['renewal of a lower-case sku', 'POST', `${serviceUrl(P, C, 'ep-pro')}/renewals`, key, renewal, 400, 'REQUEST.VALIDATION_FAILED'],
      ['renewal for an unknown client', 'POST', `${serviceUrl(P, 'nobody', 'EP-PRO')}/renewals`, key, renewal, 404, 'CONTRACTS.CLIENT_NOT_FOUND'],
      ['renewal without a token', 'POST', `${svc}/renewals`, { 'idempotency-key': 'bad' }, renewal, 401, 'AUTH.UNAUTHENTICATED'],
      ["renewal with another partner's token", 'POST', `${svc}/renewals`, stranger, renewal, 403, 'AUTH.FORBIDDEN'],
      ['renewal by support', 'POST', `${svc}/renewals`, support, renewal, 403, 'AUTH.FORBIDDEN'],
      // C4 changes
      ['change without Idempotency-Key', 'POST', `${svc}/changes`, owner, { toSku: 'EP-BASIC', termMonths: 12 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['change without a target', 'POST', `${svc}/changes`, key, { termMonths: 12 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['C4 change off the change table', 'POST', `${svc}/changes`, key, { toSku: 'EDR-CORE', termMonths: 12 }, 409, 'CONTRACTS.CHANGE_NOT_ALLOWED'],
      [
        'C4 dry run off the change table',
        'POST',
        `${svc}/changes?dryRun=true`,
        owner,
        { toSku: 'EDR-CORE', termMonths: 12 },
        409,
        'CONTRACTS.CHANGE_NOT_ALLOWED',
      ],
      [
        'C4 change to a term the target is not sold for',
        'POST',
        `${svc}/changes`,
        key,
        { toSku: 'EP-BASIC', termMonths: 24 },
        400,
        'CONTRACTS.TERM_NOT_ALLOWED',
      ],
      [
        'change with dryRun=maybe',
        'POST',
        `${svc}/changes?dryRun=maybe`,
        key,
        { toSku: 'EP-BASIC', termMonths: 12 },
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      [
        'change with an unknown query',
        'POST',
        `${svc}/changes?verbose=1`,
        key,
        { toSku: 'EP-BASIC', termMonths: 12 },
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      ['change by support', 'POST', `${svc}/changes?dryRun=true`, support, { toSku: 'EP-BASIC', termMonths: 12 }, 403, 'AUTH.FORBIDDEN'],
      // C7 modules
      ['module without Idempotency-Key', 'POST', `${svc}/modules`, owner, { sku: 'EP-ENC', quantity: 1 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['module of no licenses', 'POST', `${svc}/modules`, key, { sku: 'EP-ENC', quantity: 0 }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['C7 module beyond the product', 'POST', `${svc}/modules`, key, { sku: 'EP-ENC', quantity: 3 }, 409, 'CONTRACTS.MODULE_EXCEEDS_PRODUCT'],
      ['C7 a product as a module', 'POST', `${svc}/modules`, key, { sku: 'EDR-CORE', quantity: 1 }, 400, 'CONTRACTS.MODULE_NOT_COMPATIBLE'],
      ['C7 a module on a trial', 'POST', `${trialSvc}/modules`, key, { sku: 'EP-ENC', quantity: 1 }, 400, 'CONTRACTS.MODULE_NOT_COMPATIBLE'],
      // C6 grouping
      ['C6 grouping one contract', 'POST', `${svc}/grouping`, owner, undefined, 409, 'CONTRACTS.NOT_GROUPABLE'],
      ['C6 dry run of grouping one contract', 'POST', `${svc}/grouping?dryRun=true`, owner, undefined, 409, 'CONTRACTS.NOT_GROUPABLE'],
      ['grouping with dryRun=1x', 'POST', `${svc}/grouping?dryRun=1x`, owner, undefined, 400, 'REQUEST.VALIDATION_FAILED'],
      ['grouping of a service not held', 'POST', `${serviceUrl(P, C, 'EDR-CORE')}/grouping`, owner, undefined, 404, 'CONTRACTS.SERVICE_NOT_FOUND'],
      ["grouping with another partner's token", 'POST', `${svc}/grouping`, stranger, undefined, 403, 'AUTH.FORBIDDEN'],
      // PATCH of a service
      ['PATCH of nothing', 'PATCH', svc, owner, {}, 400, 'REQUEST.VALIDATION_FAILED'],
      ['PATCH autoRenew "yes"', 'PATCH', svc, owner, { autoRenew: 'yes' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['PATCH an unknown model', 'PATCH', svc, owner, { managementModel: 'nobody' }, 400, 'REQUEST.VALIDATION_FAILED'],
      ['PATCH an unknown field', 'PATCH', svc, owner, { colour: 'red' }, 400, 'REQUEST.VALIDATION_FAILED'],
      [
        'PATCH a model the product does not allow',
        'PATCH',
        trialSvc,
        owner,
        { managementModel: 'delegated' },
        400,
        'CONTRACTS.MANAGEMENT_MODEL_NOT_ALLOWED',
      ],
      ['C10 PATCH auto-renew on a trial', 'PATCH', trialSvc, owner, { autoRenew: true }, 400, 'CONTRACTS.TRIAL_NOT_RENEWABLE'],
      ['PATCH of a service not held', 'PATCH', serviceUrl(P, C, 'EDR-CORE'), owner, { autoRenew: true }, 404, 'CONTRACTS.SERVICE_NOT_FOUND'],
      ['PATCH by support', 'PATCH', svc, support, { autoRenew: true }, 403, 'AUTH.FORBIDDEN'],
      // C5 cancellation
      ['cancel an unknown contract', 'POST', `${clientUrl(P, C)}/contracts/nope/cancellation`, owner, undefined, 404, 'CONTRACTS.CONTRACT_NOT_FOUND'],
      [
        'cancel a malformed contract id',
        'POST',
        `${clientUrl(P, C)}/contracts/bad!id/cancellation`,
        owner,
        undefined,
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      [
        'C10 cancel a trial',
        'POST',
        `${clientUrl(P, C)}/contracts/${trial.body?.contractId}/cancellation`,
        owner,
        undefined,
        409,
        'CONTRACTS.NOT_CANCELLABLE',
      ],
      [
        'cancel with dryRun=nope',
        'POST',
        `${clientUrl(P, C)}/contracts/${productId}/cancellation?dryRun=nope`,
        owner,
        undefined,
        400,
        'REQUEST.VALIDATION_FAILED',
      ],
      ['cancel by support', 'POST', `${clientUrl(P, C)}/contracts/${productId}/cancellation`, support, undefined, 403, 'AUTH.FORBIDDEN'],
      // C10 trials
      ['C10 a trial of a paid product', 'POST', `${clientUrl(P, C)}/trials`, owner, { sku: 'EP-PRO' }, 400, 'CONTRACTS.NOT_A_TRIAL_EDITION'],
      ['a trial of an unknown sku', 'POST', `${clientUrl(P, C)}/trials`, owner, { sku: 'NOPE-1' }, 400, 'CONTRACTS.UNKNOWN_SKU'],
      ['a trial of nothing', 'POST', `${clientUrl(P, C)}/trials`, owner, {}, 400, 'REQUEST.VALIDATION_FAILED'],
      ['C10 a second trial while one runs', 'POST', `${clientUrl(P, C)}/trials`, owner, { sku: 'EP-TRIAL' }, 409, 'CONTRACTS.TRIAL_RUNNING'],
      ['extension of no trial', 'POST', `${clientUrl(P, C)}/trials/EDR-CORE/extension`, owner, undefined, 404, 'CONTRACTS.TRIAL_NOT_FOUND'],
      ['extension of a lower-case sku', 'POST', `${clientUrl(P, C)}/trials/ep-trial/extension`, owner, undefined, 400, 'REQUEST.VALIDATION_FAILED'],
      ['a trial by support', 'POST', `${clientUrl(P, C)}/trials`, support, { sku: 'EP-TRIAL' }, 403, 'AUTH.FORBIDDEN'],
      ['extension by a stranger', 'POST', `${clientUrl(P, C)}/trials/EP-TRIAL/extension`, stranger, undefined, 403, 'AUTH.FORBIDDEN'],
    ];
    for (const [label, method, url, headers, payload, status, code] of cases) {
      const answer = await call(fixture.contracts, method, url, headers, payload);
      expect({ label, status: answer.status, code: answer.body?.code }).toEqual({ label, status, code });
    }
    const malformed = await fixture.contracts.http.inject({
      method: 'POST',
      url: `${svc}/renewals`,
      headers: { ...key, 'content-type': 'application/json' },
      payload: '{"termMonths":',
    });
    expect({ status: malformed.statusCode, code: malformed.json().code }).toEqual({ status: 400, code: 'REQUEST.MALFORMED_JSON' });
    // A PATCH that sets what is already set changes nothing either.
    expect((await call(fixture.contracts, 'PATCH', svc, owner, { autoRenew: false, managementModel: 'self' })).status).toBe(200);
    // Neither does a dry run that succeeds.
    expect((await call(fixture.contracts, 'POST', `${svc}/changes?dryRun=true`, owner, { toSku: 'EP-BASIC', termMonths: 12 })).status).toBe(200);
    expect((await call(fixture.contracts, 'POST', `${clientUrl(P, C)}/contracts/${productId}/cancellation?dryRun=true`, owner)).status).toBe(200);

    expect(await clientDoc(P, C)).toEqual(before);
    // A marker: the client's next event is this activation's, so nothing refused reached the topic.
    expect((await call(fixture.contracts, 'PUT', `${svc}/devices/marker`, owner)).status).toBe(201);
    await waitForEvent(ContractsEvents.deviceActivated, (d) => d.clientId === C && d.deviceId === 'marker');
    const after = fixture.tap.events<CloudEvent<Json>>((e) => e.subject === subject).slice(baseline);
    expect(after.map((e) => e.type)).toEqual([ContractsEvents.deviceActivated]);
  });
});

describe('C3 renewal with the pool', () => {
  const [P, C] = ['p-renew', 'c-renew'];
  let renewal: Json;

  it("the pool reserves and commits the new term; the used-up term leaves assigned, so the pool's assigned equals the contracts' licenses", async () => {
    await buy(P, 'order-renew', [
      { sku: 'EP-PRO', termMonths: 12, quantity: 20 },
      { sku: 'EP-ENC', termMonths: 12, quantity: 10 },
    ]);
    expect((await createClient(P, C)).status).toBe(201);
    const first = await activated(P, C, 'renew-assign', { sku: 'EP-PRO', quantity: 5, modules: [{ sku: 'EP-ENC', quantity: 3 }] });
    const [product, module] = first.contracts as [Json, Json];
    const url = `${serviceUrl(P, C, 'EP-PRO')}/renewals`;
    expect(await saga(P, url, 'too-early', { termMonths: 12 })).toMatchObject({ status: 409, body: { code: 'CONTRACTS.RENEWAL_TOO_EARLY' } });

    await advance('100d');
    const answer = await saga(P, url, 'renew-1', { termMonths: 12 });
    expect(answer).toMatchObject({ status: 200, body: { kind: 'renewal', status: 'activated' } });
    renewal = answer.body as Json;
    const ends = addMonths(product.endsOn, 12);
    expect(renewal.contracts).toEqual([
      { ...product, endsOn: ends, status: 'active' },
      { ...module, endsOn: ends, status: 'active' },
    ]);
    const [requested] = eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === renewal.assignmentId);
    expect(requested?.data).toMatchObject({
      kind: 'renewal',
      lines: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 5 },
        { sku: 'EP-ENC', termMonths: 12, quantity: 3 },
      ],
    });
    const renewedEvents = await waitForEvent(ContractsEvents.contractRenewed, (d) => d.renewalId === renewal.assignmentId, 2);
    expect(renewedEvents.map((e) => e.data)).toEqual(
      [product, module].map((c) =>
        expect.objectContaining({
          contractId: c.contractId,
          source: 'renewal',
          previousEndsOn: c.endsOn,
          endsOn: ends,
          lines: [{ sku: c.sku, termMonths: 12, quantity: c.quantity }],
          unassigned: [{ sku: c.sku, termMonths: 12, quantity: c.quantity }],
        }),
      ),
    );
    await waitForEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === renewal.assignmentId);
    const unassigned = await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.partnerId === P && d.reason === 'renewed', 2);
    expect(unassigned.map((e) => e.data.contractId).sort()).toEqual([product.contractId, module.contractId].sort());

    expect(await stockLine(P, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 10, reserved: 0, assigned: 5 });
    expect(await stockLine(P, 'EP-ENC')).toEqual({ sku: 'EP-ENC', termMonths: 12, available: 4, reserved: 0, assigned: 3 });
    expect(await invariant(P, { credited: 30, unassigned: 8 })).toMatchObject({ held: 22, holds: true });
    const service = await serviceOf(P, C, 'EP-PRO');
    expect(service.contracts).toEqual([{ ...product, endsOn: ends, status: 'active' }]);
    expect(service.licenses).toEqual({ total: 5, inUse: 0, free: 5 });
    expect(service.autoRenewFailure).toBeNull();

    // The same key answers the same renewal; nothing new starts.
    const again = await saga(P, url, 'renew-1', { termMonths: 12 });
    expect(again).toMatchObject({ status: 200, body: { assignmentId: renewal.assignmentId, status: 'activated' } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await saga(P, url, 'renew-1', { termMonths: 24 })).toMatchObject({ status: 409, body: { code: 'CONTRACTS.IDEMPOTENCY_KEY_REUSED' } });
  });

  it("a redelivered pool answer changes nothing, whether the same message again or the pool's answer again under a new id", async () => {
    const [reserved] = eventsOf(PoolEvents.licensesReserved, (d) => d.assignmentId === renewal.assignmentId);
    const before = await clientDoc(P, C);
    const stock = await stockLine(P, 'EP-PRO');
    await publisher.publish([
      reserved as CloudEvent,
      createEvent({ type: PoolEvents.licensesReserved, subject: P, partnerId: P, data: reserved?.data }),
    ]);
    await eventually(() => caughtUp(admin, fixture.sagaGroup, fixture.poolTopic));
    expect(await clientDoc(P, C)).toEqual(before);
    expect(eventsOf(ContractsEvents.contractRenewed, (d) => d.renewalId === renewal.assignmentId)).toHaveLength(2);
    expect(eventsOf(ContractsEvents.contractActivated, (d) => d.assignmentId === renewal.assignmentId)).toHaveLength(1);
    expect(eventsOf(ContractsEvents.assignmentRejected, (d) => d.assignmentId === renewal.assignmentId)).toHaveLength(0);
    expect(await stockLine(P, 'EP-PRO')).toEqual(stock);
  });
});

describe('C4 change of product', () => {
  it('the dry run answers exactly what the change recovers; the change ends the old contract today and starts the new one, devices moved', async () => {
    const [P, C] = ['p-change', 'c-change'];
    await buy(P, 'order-change', [
      { sku: 'EP-BASIC', termMonths: 12, quantity: 10 },
      { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
    ]);
    expect((await createClient(P, C)).status).toBe(201);
    const [old] = (await activated(P, C, 'change-assign', { sku: 'EP-BASIC', quantity: 4 })).contracts as [Json];
    for (const id of ['d-1', 'd-2', 'd-3'])
      expect((await call(fixture.contracts, 'PUT', `${serviceUrl(P, C, 'EP-BASIC')}/devices/${id}`, await token(P))).status).toBe(201);
    await advance('100d');
    const day = await today();
    const url = `${serviceUrl(P, C, 'EP-BASIC')}/changes`;
    const body = { toSku: 'EP-PRO', termMonths: 12 };
    const versionBefore = await version(P, C);

    const dry = await post(P, `${url}?dryRun=true`, body);
    expect(dry.status).toBe(200);
    const back = recovered(4, old.startsOn, old.endsOn, day);
    expect(back).toBeGreaterThan(0);
    expect(back).toBeLessThan(4);
    const lines: LicenseLine[] = [{ sku: 'EP-BASIC', termMonths: 12, quantity: back }];
    expect(dry.body).toEqual({
      dryRun: true,
      fromSku: 'EP-BASIC',
      toSku: 'EP-PRO',
      kind: 'upgrade',
      ended: [{ contractId: old.contractId, sku: 'EP-BASIC', recovered: lines }],
      recovered: lines,
      contract: { sku: 'EP-PRO', termMonths: 12, quantity: 4, startsOn: day, endsOn: addMonths(day, 12) },
      managementModel: 'self',
    });
    expect(await version(P, C)).toBe(versionBefore);

    const real = await saga(P, url, 'change-1', body);
    expect(real).toMatchObject({ status: 200, body: { kind: 'change', status: 'activated' } });
    expect(real.body?.contracts).toEqual([{ contractId: expect.any(String), ...dry.body?.contract, status: 'active' }]);
    const [recovery] = await waitForEvent(ContractsEvents.licensesRecovered, (d) => d.contractId === old.contractId);
    expect(recovery?.data).toMatchObject({ lines: dry.body?.recovered, cause: 'upgrade' });
    const [ended] = await waitForEvent(ContractsEvents.contractEnded, (d) => d.contractId === old.contractId);
    expect(ended?.data).toMatchObject({
      reason: 'changed',
      changedTo: 'EP-PRO',
      endedOn: day,
      unassigned: [{ sku: 'EP-BASIC', termMonths: 12, quantity: 4 }],
    });
    const [credited] = await waitForEvent(PoolEvents.stockCredited, (d) => d.partnerId === P && d.source === 'recovery');
    expect(credited?.data.lines).toEqual(dry.body?.recovered);
    await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === old.contractId);

    expect(await stockLine(P, 'EP-BASIC')).toEqual({ sku: 'EP-BASIC', termMonths: 12, available: 6 + back, reserved: 0, assigned: 0 });
    expect(await stockLine(P, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 6, reserved: 0, assigned: 4 });
    expect(await invariant(P, { credited: 20 + back, unassigned: 4 })).toMatchObject({ holds: true });
    const services = (await client(P, C)).services as Json[];
    expect(services.find((s) => s.sku === 'EP-BASIC')).toMatchObject({
      contracts: [],
      devices: [],
      ended: [{ contractId: old.contractId, endedReason: 'changed', endedOn: day }],
    });
    expect(services.find((s) => s.sku === 'EP-PRO')).toMatchObject({
      contracts: real.body?.contracts,
      licenses: { total: 4, inUse: 3, free: 1 },
    });
    expect(((services.find((s) => s.sku === 'EP-PRO') as Json).devices as Json[]).map((d) => d.deviceId).sort()).toEqual(['d-1', 'd-2', 'd-3']);
  });
});

describe('C6 grouping and C7 modules', () => {
  it('a module needs a grouped service; the grouping dry run answers what grouping does; the module then ends with the group', async () => {
    const [P, C] = ['p-group', 'c-group'];
    await buy(P, 'order-group', [
      { sku: 'EP-PRO', termMonths: 12, quantity: 20 },
      { sku: 'EP-ENC', termMonths: 12, quantity: 10 },
    ]);
    expect((await createClient(P, C)).status).toBe(201);
    const [a] = (await activated(P, C, 'group-a', { sku: 'EP-PRO', quantity: 2 })).contracts as [Json];
    await advance('50d');
    const [b] = (await activated(P, C, 'group-b', { sku: 'EP-PRO', quantity: 3 })).contracts as [Json];
    const svc = serviceUrl(P, C, 'EP-PRO');
    // A day on, both contracts end within 12 months: only the grouping stands in the way of an early renewal.
    await advance('1d');

    const versionBefore = await version(P, C);
    expect(await saga(P, `${svc}/modules`, 'module-1', { sku: 'EP-ENC', quantity: 2 })).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.GROUPING_REQUIRED' },
    });
    expect(await saga(P, `${svc}/renewals`, 'early-1', { termMonths: 12 })).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.GROUPING_REQUIRED' },
    });
    expect(await version(P, C)).toBe(versionBefore);

    const day = await today();
    const days = Math.floor((2 * daysBetween(day, a.endsOn) + 3 * daysBetween(day, b.endsOn)) / 5);
    const dry = await post(P, `${svc}/grouping?dryRun=true`);
    expect(dry.body).toEqual({
      dryRun: true,
      sku: 'EP-PRO',
      contract: { contractId: expect.any(String), licenses: 5, lines: [{ termMonths: 12, quantity: 5 }], startsOn: day, endsOn: addDays(day, days) },
      replaced: [a.contractId, b.contractId],
      modules: [],
    });
    expect(await version(P, C)).toBe(versionBefore);

    const real = await post(P, `${svc}/grouping`);
    expect(real.status).toBe(200);
    // The new contract's id is made when it is made; everything else is what the dry run said.
    expect(real.body).toEqual({ ...dry.body, dryRun: false, contract: { ...dry.body?.contract, contractId: expect.any(String) } });
    const groupedId = real.body?.contract.contractId as string;
    const [grouped] = await waitForEvent(ContractsEvents.serviceGrouped, (d) => d.contractId === groupedId);
    expect(grouped?.data).toMatchObject({ replaced: [a.contractId, b.contractId], endsOn: addDays(day, days) });
    const ends = await waitForEvent(ContractsEvents.contractEnded, (d) => d.clientId === C && d.reason === 'grouped', 2);
    expect(ends.map((e) => [e.data.contractId, e.data.groupedInto, e.data.unassigned])).toEqual([
      [a.contractId, groupedId, []],
      [b.contractId, groupedId, []],
    ]);
    // C6 moves the licenses to the group: the pool still counts them assigned.
    await eventually(() => caughtUp(admin, `${fixture.names.prefix}pool`, fixture.contractsTopic));
    expect(await stockLine(P, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 15, reserved: 0, assigned: 5 });
    expect((await serviceOf(P, C, 'EP-PRO')).contracts).toEqual([
      { contractId: groupedId, sku: 'EP-PRO', termMonths: 12, quantity: 5, startsOn: day, endsOn: addDays(day, days), status: 'active' },
    ]);

    expect(await saga(P, `${svc}/modules`, 'module-big', { sku: 'EP-ENC', quantity: 6 })).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.MODULE_EXCEEDS_PRODUCT' },
    });
    const module = await saga(P, `${svc}/modules`, 'module-1', { sku: 'EP-ENC', quantity: 2 });
    expect(module).toMatchObject({ status: 200, body: { kind: 'modules', status: 'activated' } });
    expect(module.body?.contracts).toEqual([
      { contractId: expect.any(String), sku: 'EP-ENC', termMonths: 12, quantity: 2, startsOn: day, endsOn: addDays(day, days), status: 'active' },
    ]);
    const [requested] = eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === module.body?.assignmentId);
    expect(requested?.data).toMatchObject({ kind: 'modules', lines: [{ sku: 'EP-ENC', termMonths: 12, quantity: 2 }] });
    await waitForEvent(PoolEvents.reservationCommitted, (d) => d.assignmentId === module.body?.assignmentId);
    expect(await stockLine(P, 'EP-ENC')).toEqual({ sku: 'EP-ENC', termMonths: 12, available: 8, reserved: 0, assigned: 2 });

    // Grouped, the service may renew early: the product and the module that shares its end.
    const early = await saga(P, `${svc}/renewals`, 'early-2', { termMonths: 12 });
    expect(early).toMatchObject({ status: 200, body: { kind: 'renewal', status: 'activated' } });
    expect((early.body?.contracts as Json[]).map((c) => [c.sku, c.endsOn])).toEqual([
      ['EP-PRO', addMonths(addDays(day, days), 12)],
      ['EP-ENC', addMonths(addDays(day, days), 12)],
    ]);
    await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.partnerId === P && d.reason === 'renewed', 2);
    expect(await stockLine(P, 'EP-PRO')).toMatchObject({ available: 10, reserved: 0, assigned: 5 });
    expect(await stockLine(P, 'EP-ENC')).toMatchObject({ available: 6, reserved: 0, assigned: 2 });
    expect(await invariant(P, { credited: 30, unassigned: 7 })).toMatchObject({ holds: true });
  });
});

describe('C5 cancellation', () => {
  it('the dry run answers exactly what the cancellation recovers; the pool credits it and the ended licenses leave assigned', async () => {
    const [P, C] = ['p-cancel', 'c-cancel'];
    await buy(P, 'order-cancel', [
      { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
      { sku: 'EP-ENC', termMonths: 12, quantity: 5 },
    ]);
    expect((await createClient(P, C)).status).toBe(201);
    const [product, module] = (await activated(P, C, 'cancel-assign', { sku: 'EP-PRO', quantity: 7, modules: [{ sku: 'EP-ENC', quantity: 3 }] }))
      .contracts as [Json, Json];
    for (const id of ['d-1', 'd-2', 'd-3', 'd-4']) {
      expect((await call(fixture.contracts, 'PUT', `${serviceUrl(P, C, 'EP-PRO')}/devices/${id}`, await token(P))).status).toBe(201);
      await advance('1h');
    }
    await advance('100d');
    const day = await today();
    const url = `${clientUrl(P, C)}/contracts/${product.contractId}/cancellation`;
    const versionBefore = await version(P, C);

    const dry = await post(P, `${url}?dryRun=true`);
    const proLine = { sku: 'EP-PRO', termMonths: 12, quantity: recovered(7, product.startsOn, product.endsOn, day) };
    const encLine = { sku: 'EP-ENC', termMonths: 12, quantity: recovered(3, module.startsOn, module.endsOn, day) };
    expect(dry).toMatchObject({ status: 200 });
    expect(dry.body).toEqual({
      dryRun: true,
      contracts: [
        { contractId: product.contractId, sku: 'EP-PRO', recovered: [proLine] },
        { contractId: module.contractId, sku: 'EP-ENC', recovered: [encLine] },
      ],
      recovered: [proLine, encLine],
      // C9: no license is left, so every device loses its own, longest unseen first.
      deactivatedDevices: ['d-1', 'd-2', 'd-3', 'd-4'],
    });
    expect(await version(P, C)).toBe(versionBefore);

    const real = await post(P, url);
    expect(real).toMatchObject({ status: 200 });
    expect(real.body).toEqual({ ...dry.body, dryRun: false });

    const recoveries = await waitForEvent(ContractsEvents.licensesRecovered, (d) => d.clientId === C, 2);
    expect(recoveries.map((e) => [e.data.contractId, e.data.lines, e.data.cause])).toEqual([
      [product.contractId, [proLine], 'cancellation'],
      [module.contractId, [encLine], 'cancellation'],
    ]);
    const ends = await waitForEvent(ContractsEvents.contractEnded, (d) => d.clientId === C, 2);
    expect(ends.map((e) => [e.data.contractId, e.data.reason, e.data.endedOn])).toEqual([
      [product.contractId, 'cancelled', day],
      [module.contractId, 'cancelled', day],
    ]);
    const [deactivated] = await waitForEvent(ContractsEvents.deviceDeactivated, (d) => d.clientId === C);
    expect(deactivated?.data).toMatchObject({ deviceIds: dry.body?.deactivatedDevices, reason: 'contract-cancelled', licensesLeft: 0 });
    const credits = await waitForEvent(PoolEvents.stockCredited, (d) => d.partnerId === P && d.source === 'recovery', 2);
    expect(credits.flatMap((e) => e.data.lines)).toEqual(expect.arrayContaining([proLine, encLine]));
    await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.partnerId === P && d.reason === 'cancelled', 2);
    expect(await stockLine(P, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 3 + proLine.quantity, reserved: 0, assigned: 0 });
    expect(await stockLine(P, 'EP-ENC')).toEqual({ sku: 'EP-ENC', termMonths: 12, available: 2 + encLine.quantity, reserved: 0, assigned: 0 });
    expect(await invariant(P, { credited: 15 + proLine.quantity + encLine.quantity, unassigned: 10 })).toMatchObject({ holds: true });

    // Once cancelled, neither the cancellation nor its dry run answers anything but a refusal.
    expect(await post(P, url)).toMatchObject({ status: 409, body: { code: 'CONTRACTS.NOT_CANCELLABLE' } });
    expect(await post(P, `${url}?dryRun=true`)).toMatchObject({ status: 409, body: { code: 'CONTRACTS.NOT_CANCELLABLE' } });
    expect(await serviceOf(P, C, 'EP-PRO')).toMatchObject({ contracts: [], modules: [], devices: [], licenses: { total: 0, inUse: 0, free: 0 } });
  });
});

describe('M4 monthly contracts', () => {
  it('a points.monthly-renewed delivered twice with the same id renews the monthly contract to the next 1st once', async () => {
    const [P, C] = ['p-month', 'c-month'];
    const exchange: ExchangeDebitedV1 = {
      exchangeId: 'x-month-1',
      partnerId: P,
      lines: [{ sku: 'MDR-MONTHLY', termMonths: 1, quantity: 4, pointsPerLicense: 3 }],
      totalPoints: 12,
      debitedAt: new Date().toISOString(),
    };
    await publisher.publish([createEvent({ type: PointsEvents.exchangeDebited, subject: P, partnerId: P, data: exchange })]);
    await eventually(async () => (await stockLine(P, 'MDR-MONTHLY', 1))?.available === 4);
    expect((await createClient(P, C)).status).toBe(201);
    const [monthly] = (await activated(P, C, 'month-1', { sku: 'MDR-MONTHLY', termMonths: 1, quantity: 4 })).contracts as [Json];
    const day = await today();
    expect(monthly).toMatchObject({ termMonths: 1, startsOn: day, endsOn: firstOfNextMonth(day) });

    const month = (monthly.endsOn as string).slice(0, 7);
    const data: MonthlyRenewedV1 = {
      partnerId: P,
      month,
      renewalId: `renewal:${month}`,
      lines: [{ sku: 'MDR-MONTHLY', termMonths: 1, quantity: 4, pointsPerLicense: 3 }],
      amount: -12,
      balanceAfter: 88,
      walletVersion: 3,
      renewedAt: new Date().toISOString(),
    };
    const renewed = createEvent({ type: PointsEvents.monthlyRenewed, subject: P, partnerId: P, data });
    await publisher.publish([renewed]);
    const [event] = await waitForEvent(ContractsEvents.contractRenewed, (d) => d.contractId === monthly.contractId);
    const next = firstOfNextMonth(monthly.endsOn);
    expect(event?.data).toMatchObject({ source: 'points', renewalId: data.renewalId, previousEndsOn: monthly.endsOn, endsOn: next, unassigned: [] });
    expect((await serviceOf(P, C, 'MDR-MONTHLY')).contracts).toEqual([{ ...monthly, endsOn: next }]);
    const before = await clientDoc(P, C);

    await publisher.publish([renewed]);
    await eventually(() => caughtUp(admin, fixture.sagaGroup, fixture.pointsTopic));
    expect(await clientDoc(P, C)).toEqual(before);
    expect(eventsOf(ContractsEvents.contractRenewed, (d) => d.contractId === monthly.contractId)).toHaveLength(1);
    expect(await stockLine(P, 'MDR-MONTHLY', 1)).toMatchObject({ available: 0, reserved: 0, assigned: 4 });
  });
});

describe('C10 trials', () => {
  it('a trial starts for 30 days without the pool, is extended once, ends by the clock, and blocks another for 90 days', async () => {
    const [P, C] = ['p-trial', 'c-trial'];
    expect((await createClient(P, C)).status).toBe(201);
    const day = await today();
    const started = await post(P, `${clientUrl(P, C)}/trials`, { sku: 'EP-TRIAL' });
    expect(started).toMatchObject({ status: 201 });
    expect(started.body).toEqual({
      contractId: expect.any(String),
      sku: 'EP-TRIAL',
      maxDevices: 250,
      startsOn: day,
      endsOn: addDays(day, 30),
      extended: false,
    });
    const contractId = started.body?.contractId as string;
    await waitForEvent(ContractsEvents.trialStarted, (d) => d.contractId === contractId);
    expect((await call(fixture.contracts, 'PUT', `${serviceUrl(P, C, 'EP-TRIAL')}/devices/t-1`, await token(P))).status).toBe(201);
    expect(await serviceOf(P, C, 'EP-TRIAL')).toMatchObject({ trialEdition: true, licenses: { total: 250, inUse: 1, free: 249 } });

    const extension = `${clientUrl(P, C)}/trials/EP-TRIAL/extension`;
    const extended = await post(P, extension);
    expect(extended).toMatchObject({ status: 200, body: { contractId, endsOn: addDays(day, 60), extended: true } });
    await waitForEvent(ContractsEvents.trialExtended, (d) => d.contractId === contractId && d.endsOn === addDays(day, 60));
    expect(await post(P, extension)).toMatchObject({ status: 409, body: { code: 'CONTRACTS.TRIAL_EXTENDED_ALREADY' } });

    // Its last day: the sweep ends it within seconds, and its devices lose their license.
    await advanceTo(addDays(day, 60));
    const [ended] = await waitForEvent(ContractsEvents.trialEnded, (d) => d.contractId === contractId, 1, SWEPT_MS);
    expect(ended?.data).toMatchObject({ converted: false, endedOn: addDays(day, 60), blockedUntil: addDays(day, 150), movedDevices: 0 });
    const [lost] = await waitForEvent(ContractsEvents.deviceDeactivated, (d) => d.clientId === C);
    expect(lost?.data).toMatchObject({ deviceIds: ['t-1'], reason: 'trial-ended', licensesLeft: 0 });
    // Refused; which code depends on whether the sweep has moved the trial to the history yet (TRIAL_ENDED before, TRIAL_NOT_FOUND after).
    const late = await post(P, extension);
    expect([late.status, late.body?.code]).toEqual(late.status === 409 ? [409, 'CONTRACTS.TRIAL_ENDED'] : [404, 'CONTRACTS.TRIAL_NOT_FOUND']);
    expect(await post(P, `${clientUrl(P, C)}/trials`, { sku: 'EP-TRIAL' })).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.TRIAL_BLOCKED', details: { blockedUntil: addDays(day, 150) } },
    });

    await advanceTo(addDays(day, 150));
    expect(await post(P, `${clientUrl(P, C)}/trials`, { sku: 'EP-TRIAL' })).toMatchObject({ status: 201, body: { startsOn: addDays(day, 150) } });
  });
});

describe('the end of a contract by the platform clock', () => {
  it('C11 reminders, then at the end date grace or the auto-renewal, then after grace expiry with the longest-unseen devices deactivated', async () => {
    const [P, Poor] = ['p-end', 'p-end-poor'];
    await buy(P, 'order-end', [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }]);
    await buy(Poor, 'order-end-poor', [{ sku: 'EP-PRO', termMonths: 12, quantity: 2 }]);
    for (const [partnerId, clientId] of [
      [P, 'c-grace'],
      [P, 'c-auto'],
      [Poor, 'c-fail'],
    ] as const)
      expect((await createClient(partnerId, clientId)).status).toBe(201);
    const [a] = (await activated(P, 'c-grace', 'end-a', { sku: 'EP-PRO', quantity: 2 })).contracts as [Json];
    const [auto] = (await activated(P, 'c-auto', 'end-auto', { sku: 'EP-PRO', quantity: 3 })).contracts as [Json];
    const patched = await call(fixture.contracts, 'PATCH', serviceUrl(P, 'c-auto', 'EP-PRO'), await token(P), { autoRenew: true });
    expect(patched).toMatchObject({ status: 200, body: { services: [{ sku: 'EP-PRO', autoRenew: true }] } });
    const [failing] = (await activated(Poor, 'c-fail', 'end-fail', { sku: 'EP-PRO', quantity: 2, autoRenew: true })).contracts as [Json];
    const endsOn = a.endsOn as string;
    expect([auto.endsOn, failing.endsOn]).toEqual([endsOn, endsOn]);

    await advance('30d');
    const [b] = (await activated(P, 'c-grace', 'end-b', { sku: 'EP-PRO', quantity: 1 })).contracts as [Json];
    const devices = `${serviceUrl(P, 'c-grace', 'EP-PRO')}/devices`;
    for (const id of ['seen-first', 'seen-second', 'seen-last']) {
      expect((await call(fixture.contracts, 'PUT', `${devices}/${id}`, await token(P))).status).toBe(201);
      await advance('1h');
    }

    // C11: 30 days before the end, then a jump past the 7-day step straight to the 1-day one.
    await advanceTo(addDays(endsOn, -30));
    const [thirty] = await waitForEvent(ContractsEvents.contractExpiring, (d) => d.contractId === a.contractId, 1, SWEPT_MS);
    expect(thirty?.data).toMatchObject({ endsOn, daysBefore: 30, daysLeft: 30, autoRenew: false });
    await waitForEvent(ContractsEvents.contractExpiring, (d) => d.contractId === auto.contractId && d.autoRenew === true, 1, SWEPT_MS);
    await advanceTo(addDays(endsOn, -1));
    const [one] = await waitForEvent(ContractsEvents.contractExpiring, (d) => d.contractId === a.contractId && d.daysBefore === 1, 1, SWEPT_MS);
    expect(one?.data).toMatchObject({ endsOn, daysLeft: 1 });
    expect(eventsOf(ContractsEvents.contractExpiring, (d) => d.contractId === a.contractId).map((e) => e.data.daysBefore)).toEqual([30, 1]);

    // The end date: grace without auto-renew; the auto-renewal from the pool; a failed one says why and enters grace.
    await advanceTo(endsOn);
    const [grace] = await waitForEvent(ContractsEvents.contractEnteredGrace, (d) => d.clientId === 'c-grace', 1, SWEPT_MS);
    expect(grace?.data).toMatchObject({ contractIds: [a.contractId], endsOn, graceEndsOn: addDays(endsOn, 7), reason: 'not-renewed' });
    const [renewed] = await waitForEvent(ContractsEvents.contractRenewed, (d) => d.contractId === auto.contractId, 1, SWEPT_MS);
    expect(renewed?.data).toMatchObject({ source: 'auto-renewal', previousEndsOn: endsOn, endsOn: addMonths(endsOn, 12) });
    expect(eventsOf(ContractsEvents.assignmentRequested, (d) => d.assignmentId === renewed?.data.renewalId)[0]?.data.kind).toBe('auto-renewal');
    const [failed] = await waitForEvent(ContractsEvents.autoRenewFailed, (d) => d.clientId === 'c-fail', 1, SWEPT_MS);
    expect(failed?.data).toMatchObject({ contractIds: [failing.contractId], code: 'POOL.INSUFFICIENT_STOCK' });
    const [failedGrace] = await waitForEvent(ContractsEvents.contractEnteredGrace, (d) => d.clientId === 'c-fail');
    expect(failedGrace?.data).toMatchObject({ contractIds: [failing.contractId], reason: 'auto-renew-failed' });
    expect(await serviceOf(Poor, 'c-fail', 'EP-PRO')).toMatchObject({
      autoRenewFailure: { code: 'POOL.INSUFFICIENT_STOCK' },
      contracts: [{ contractId: failing.contractId, status: 'in-grace' }],
    });
    expect(await serviceOf(P, 'c-auto', 'EP-PRO')).toMatchObject({
      autoRenewFailure: null,
      contracts: [{ contractId: auto.contractId, endsOn: addMonths(endsOn, 12), status: 'active' }],
    });
    // C8: licenses in grace still count.
    expect(await serviceOf(P, 'c-grace', 'EP-PRO')).toMatchObject({
      contracts: [
        { contractId: a.contractId, status: 'in-grace' },
        { contractId: b.contractId, status: 'active' },
      ],
      licenses: { total: 3, inUse: 3, free: 0 },
    });

    // After grace: expired; its licenses leave the pool's assigned; devices beyond the license left lose theirs, longest unseen first.
    await advanceTo(addDays(endsOn, 7));
    const [expired] = await waitForEvent(ContractsEvents.contractEnded, (d) => d.contractId === a.contractId, 1, SWEPT_MS);
    expect(expired?.data).toMatchObject({
      reason: 'expired',
      endedOn: addDays(endsOn, 7),
      unassigned: [{ sku: 'EP-PRO', termMonths: 12, quantity: 2 }],
    });
    const [deactivated] = await waitForEvent(ContractsEvents.deviceDeactivated, (d) => d.clientId === 'c-grace');
    expect(deactivated?.data).toMatchObject({ deviceIds: ['seen-first', 'seen-second'], reason: 'licenses-ended', licensesLeft: 1 });
    await waitForEvent(ContractsEvents.contractEnded, (d) => d.contractId === failing.contractId && d.reason === 'expired', 1, SWEPT_MS);
    await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === a.contractId && d.reason === 'expired');
    await waitForEvent(PoolEvents.licensesUnassigned, (d) => d.contractId === failing.contractId && d.reason === 'expired');
    const grace2 = await serviceOf(P, 'c-grace', 'EP-PRO');
    expect(grace2).toMatchObject({
      contracts: [{ contractId: b.contractId, status: 'active' }],
      devices: [{ deviceId: 'seen-last' }],
      licenses: { total: 1, inUse: 1, free: 0 },
    });
    expect((grace2.ended as Json[]).find((c) => c.contractId === a.contractId)).toMatchObject({ endedReason: 'expired', status: 'expired' });
    expect(await call(fixture.contracts, 'PUT', `${devices}/one-more`, await token(P))).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.NO_FREE_LICENSE' },
    });
    // C3: after expiry it is a new sale, not a renewal.
    expect(await saga(Poor, `${serviceUrl(Poor, 'c-fail', 'EP-PRO')}/renewals`, 'late', { termMonths: 12 })).toMatchObject({
      status: 409,
      body: { code: 'CONTRACTS.CONTRACT_EXPIRED' },
    });

    // The pool: c-grace's second contract and c-auto's renewed term are assigned, nothing else.
    expect(await stockLine(P, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 1, reserved: 0, assigned: 4 });
    expect(await stockLine(Poor, 'EP-PRO')).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 0, assigned: 0 });
    expect(await invariant(P, { credited: 10, unassigned: 5 })).toMatchObject({ held: 5, holds: true });
    expect(await invariant(Poor, { credited: 2, unassigned: 2 })).toMatchObject({ held: 0, holds: true });
  });
});
