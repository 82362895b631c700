import { isDeepStrictEqual } from 'node:util';
import {
  ContractsEvents,
  PointsEvents,
  PoolEvents,
  type CloudEvent,
  type ContractEndedV1,
  type ContractEnteredGraceV1,
  type ContractExpiringV1,
  type ContractRenewedV1,
  type DeviceDeactivatedV1,
  type LicenseLine,
  type LicensesRecoveredV1,
  type MonthlyLapsedV1,
  type MonthlyRenewedV1,
  type ServiceGroupedV1,
  type StockCreditedV1,
  type TrialEndedV1,
  type TrialExtendedV1,
  type TrialStartedV1,
} from '@licensing/events';
import {
  bearer,
  eventually,
  EventTap,
  readPoolInvariant,
  ServiceProcess,
  serviceEnv,
  uniqueNames,
  callJson as call,
  type JsonAnswer,
} from '@licensing/testing';
import { addDays, addMonths, daysBetween, firstOfNextMonth } from '../../services/contracts/src/domain/dates';

/**
 * The life of license contracts end to end (issue 8): catalog, pool, contracts and points run
 * as real processes on one Kafka, driven over HTTP and moved through time by the deployment's
 * platform clock (DESIGN §8). The event tap reads the streams as a data pipeline would. Each
 * scenario has partners of its own; they share the one clock, so they run in order and each
 * starts from wherever the previous one left the date.
 */
const names = uniqueNames(__filename);
const envFor = (service: string) =>
  serviceEnv(names, { MONGO_DATABASE: `${names.database}_${service}`, QUEUE_PREFIX: `${names.queuePrefix}:${service}` });

let catalog: ServiceProcess;
let pool: ServiceProcess;
let contracts: ServiceProcess;
let points: ServiceProcess;
let tap: EventTap;
let clockAdmin: { authorization: string };
let pointsAdmin: { authorization: string };
const tokens = new Map<string, { authorization: string }>();

interface ContractView {
  contractId: string;
  sku: string;
  termMonths: number;
  quantity: number;
  startsOn: string;
  endsOn: string;
  status: 'active' | 'in-grace' | 'expired' | 'cancelled';
}

interface ServiceView {
  sku: string;
  autoRenew: boolean;
  contracts: ContractView[];
  modules: { sku: string; contracts: ContractView[] }[];
  devices: { deviceId: string; lastSeenAt: string }[];
  licenses: { total: number; inUse: number; free: number };
}

interface PoolLine {
  sku: string;
  termMonths: number;
  available: number;
  reserved: number;
  assigned: number;
}

async function tokenOf(partnerId: string): Promise<{ authorization: string }> {
  if (!tokens.has(partnerId)) tokens.set(partnerId, await bearer({ partnerId }));
  return tokens.get(partnerId)!;
}

const line = (sku: string, termMonths: LicenseLine['termMonths'], quantity: number): LicenseLine => ({ sku, termMonths, quantity });

/** Lines of one (sku, term) added up, in a stable order, for comparing what two sides say. */
function merged(lines: readonly LicenseLine[]): LicenseLine[] {
  const byKey = new Map<string, LicenseLine>();
  for (const l of lines) {
    const key = `${l.sku}/${l.termMonths}`;
    byKey.set(key, { sku: l.sku, termMonths: l.termMonths, quantity: (byKey.get(key)?.quantity ?? 0) + l.quantity });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, l]) => l);
}

// --- the platform clock -------------------------------------------------------------------

async function today(): Promise<string> {
  return ((await call(contracts, 'GET', '/admin/clock', clockAdmin)).body.now as string).slice(0, 10);
}

/** Moves the deployment's clock forward (on the contracts service; every service sees it). */
async function advance(duration: string): Promise<string> {
  const answer = await call(contracts, 'POST', '/admin/clock', clockAdmin, { advance: duration });
  expect(answer.status).toBe(200);
  return (answer.body.now as string).slice(0, 10);
}

async function advanceTo(day: string): Promise<void> {
  const days = daysBetween(await today(), day);
  if (days <= 0) throw new Error(`the clock is at ${await today()}, already at or past ${day}`);
  expect(await advance(`${days}d`)).toBe(day);
}

// --- the event stream ---------------------------------------------------------------------

/** The events of a type seen so far, each once (delivery is at least once: a redelivery keeps its id). */
function seen<T>(type: string, where: (data: T) => boolean = () => true): T[] {
  const byId = new Map<string, T>();
  for (const e of tap.events<CloudEvent<T>>((e) => e.type === type && where(e.data))) byId.set(e.id, e.data);
  return [...byId.values()];
}

/** Waits for `count` events of a type matching `where`. */
async function arrival<T>(type: string, where: (data: T) => boolean, count = 1): Promise<T[]> {
  await tap.waitFor(
    (m) => {
      const e = m.json as CloudEvent<T> | undefined;
      return e?.type === type && where(e.data);
    },
    { count },
  );
  return seen(type, where);
}

// --- the services' APIs -------------------------------------------------------------------

/** A purchase into the partner's pool; the pool's catalog copy may still be catching up (UNKNOWN_SKU). */
async function purchase(partnerId: string, orderId: string, lines: LicenseLine[]): Promise<void> {
  const answer = await eventually(
    async () => {
      const r = await call(pool, 'POST', `/partners/${partnerId}/pool/purchases`, await tokenOf(partnerId), { orderId, lines });
      return r.body?.code === 'POOL.UNKNOWN_SKU' ? undefined : r;
    },
    30_000,
    250,
  );
  expect(answer.status).toBe(201);
}

const poolLines = async (partnerId: string): Promise<PoolLine[]> =>
  (await call(pool, 'GET', `/partners/${partnerId}/pool`, await tokenOf(partnerId))).body.lines;

async function newClient(partnerId: string, clientId: string): Promise<void> {
  const answer = await call(contracts, 'POST', `/partners/${partnerId}/clients`, await tokenOf(partnerId), { clientId, name: `Client ${clientId}` });
  expect(answer.status).toBe(201);
}

const clientPath = (partnerId: string, clientId: string) => `/partners/${partnerId}/clients/${clientId}`;

async function servicesOf(partnerId: string, clientId: string): Promise<ServiceView[]> {
  const answer = await call(contracts, 'GET', clientPath(partnerId, clientId), await tokenOf(partnerId));
  expect(answer.status).toBe(200);
  return answer.body.services;
}

async function serviceOf(partnerId: string, clientId: string, sku: string): Promise<ServiceView> {
  const service = (await servicesOf(partnerId, clientId)).find((s) => s.sku === sku);
  if (!service) throw new Error(`${partnerId}/${clientId} holds no ${sku}`);
  return service;
}

/** Starts a saga (assignment, renewal, change…) and waits for its final state. */
async function saga(partnerId: string, path: string, key: string, body: unknown): Promise<JsonAnswer> {
  return call(contracts, 'POST', path, { ...(await tokenOf(partnerId)), 'idempotency-key': key, prefer: 'wait=20' }, body);
}

async function assign(
  partnerId: string,
  clientId: string,
  key: string,
  request: { sku: string; termMonths: number; quantity: number; managementModel?: string; modules?: { sku: string; quantity: number }[] },
): Promise<ContractView[]> {
  const answer = await saga(partnerId, `${clientPath(partnerId, clientId)}/assignments`, key, { managementModel: 'self', ...request });
  expect(answer).toMatchObject({ status: 200, body: { status: 'activated' } });
  return answer.body.contracts;
}

const devicePath = (partnerId: string, clientId: string, sku: string, deviceId: string) =>
  `${clientPath(partnerId, clientId)}/services/${sku}/devices/${deviceId}`;

async function activate(partnerId: string, clientId: string, sku: string, deviceId: string): Promise<JsonAnswer> {
  return call(contracts, 'PUT', devicePath(partnerId, clientId, sku, deviceId), await tokenOf(partnerId));
}

async function heartbeat(partnerId: string, clientId: string, sku: string, deviceId: string): Promise<void> {
  expect((await call(contracts, 'POST', `${devicePath(partnerId, clientId, sku, deviceId)}/heartbeat`, await tokenOf(partnerId))).status).toBe(200);
}

// --- the pool against the contracts -------------------------------------------------------

const inForce = (c: ContractView): boolean => c.status === 'active' || c.status === 'in-grace';

/** Licenses per "sku/term", without zeros. */
function tally(entries: [string, number][]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of entries) counts[key] = (counts[key] ?? 0) + n;
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
}

/**
 * After every step: the pool invariant holds (Σ available + reserved + assigned = credited −
 * expired − unassigned, from the pool's stock and its ledger), nothing is left reserved, and
 * the pool's `assigned` is what the partner's contracts in force hold, per sku and term (or
 * `assigned` when given: monthly licenses that lapsed leave the pool before their contracts end).
 * The pool and its ledger follow the contracts by events, so this waits for them to agree.
 */
async function expectPoolAgrees(partnerId: string, clientIds: string[], assigned?: Record<string, number>): Promise<void> {
  const snapshot = async () => {
    const headers = await tokenOf(partnerId);
    const invariant = await readPoolInvariant(async (path) => (await call(pool, 'GET', path, headers)).body, partnerId);
    const lines = await poolLines(partnerId);
    const held = (await Promise.all(clientIds.map((c) => servicesOf(partnerId, c)))).flat();
    const contractsInForce = held.flatMap((s) => [...s.contracts, ...s.modules.flatMap((m) => m.contracts)]).filter(inForce);
    return {
      holds: invariant.holds,
      invariant,
      reserved: lines.reduce((n, l) => n + l.reserved, 0),
      assigned: tally(lines.map((l) => [`${l.sku}/${l.termMonths}`, l.assigned])),
      expected: assigned ?? tally(contractsInForce.map((c) => [`${c.sku}/${c.termMonths}`, c.quantity])),
    };
  };
  let last = await snapshot();
  await eventually(
    async () => {
      last = await snapshot();
      return last.holds && last.reserved === 0 && isDeepStrictEqual(last.assigned, last.expected);
    },
    15_000,
    200,
  ).catch(() => undefined);
  expect({ holds: last.holds, reserved: last.reserved, assigned: last.assigned, invariant: last.invariant }).toEqual({
    holds: true,
    reserved: 0,
    assigned: last.expected,
    invariant: last.invariant,
  });
}

// --- the deployment ----------------------------------------------------------------------

beforeAll(async () => {
  [catalog, pool, contracts, points] = (await Promise.all(
    ['catalog', 'pool', 'contracts', 'points'].map((service) => ServiceProcess.start(service, envFor(service), { readyTimeoutMs: 60_000 })),
  )) as [ServiceProcess, ServiceProcess, ServiceProcess, ServiceProcess];
  tap = await EventTap.start(['contracts', 'pool', 'points'].map((c) => `${names.prefix}${c}.events`));
  [clockAdmin, pointsAdmin] = await Promise.all([bearer({ roles: ['clock-admin'] }), bearer({ roles: ['points-admin'] })]);

  // A family with two products in an upgrade row, a module, a trial edition and a monthly product priced in points.
  const catalogAdmin = await bearer({ roles: ['catalog-admin'] });
  const product = (sku: string, extra: Record<string, unknown>) => ({
    sku,
    name: `Product ${sku}`,
    familyCode: 'endpoint',
    managementModels: ['self', 'delegated'],
    ...extra,
  });
  const writes: [string, string, unknown][] = [
    ['POST', '/families', { code: 'endpoint', name: 'Endpoint protection' }],
    ['POST', '/modules', { sku: 'EP-ENC', name: 'Encryption', terms: [12, 24] }],
    ['POST', '/products', product('EP-STD', { terms: [12, 24], moduleSkus: ['EP-ENC'] })],
    ['POST', '/products', product('EP-ADV', { terms: [12, 24], moduleSkus: ['EP-ENC'] })],
    ['POST', '/products', product('EP-TRIAL', { trialEdition: true, terms: [] })],
    ['POST', '/products', product('EP-MSSP', { terms: [1], pointsPricePerMonth: 5 })],
    ['PUT', '/product-changes', { fromSku: 'EP-STD', toSku: 'EP-ADV', kind: 'upgrade' }],
  ];
  for (const [method, path, body] of writes) {
    const answer = await call(catalog, method, path, catalogAdmin, body);
    expect([path, answer.status]).toEqual([path, method === 'POST' ? 201 : 200]);
  }

  // The contracts' catalog copy knows every sku once each answers the refusal that only a known sku gets.
  const probe = await tokenOf('lc-probe');
  expect((await call(contracts, 'POST', '/partners/lc-probe/clients', probe, { clientId: 'probe', name: 'Probe' })).status).toBe(201);
  const probes: [string, number, string][] = [
    ['EP-STD', 36, 'CONTRACTS.TERM_NOT_ALLOWED'],
    ['EP-ADV', 36, 'CONTRACTS.TERM_NOT_ALLOWED'],
    ['EP-MSSP', 12, 'CONTRACTS.TERM_NOT_ALLOWED'],
    ['EP-TRIAL', 12, 'CONTRACTS.TRIAL_NOT_POOLED'],
    ['EP-ENC', 12, 'CONTRACTS.NOT_A_PRODUCT'],
  ];
  await eventually(
    async () => {
      for (const [sku, termMonths, code] of probes) {
        const answer = await call(
          contracts,
          'POST',
          '/partners/lc-probe/clients/probe/assignments',
          { ...probe, 'idempotency-key': `probe-${sku}` },
          { sku, termMonths, quantity: 1, managementModel: 'self' },
        );
        if (answer.body?.code !== code) return false;
      }
      return true;
    },
    30_000,
    250,
  );

  // Noon UTC: the steps below move the clock by whole days, and a few minutes here and there
  // never carry a step over midnight.
  const now = new Date((await call(contracts, 'GET', '/admin/clock', clockAdmin)).body.now as string);
  const noon = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + (now.getUTCHours() >= 12 ? 1 : 0), 12);
  await advance(`${Math.max(1, Math.ceil((noon - now.getTime()) / 60_000))}m`);
}, 120_000);

afterAll(async () => {
  await tap?.stop();
  await Promise.all([contracts?.stop(), points?.stop(), pool?.stop(), catalog?.stop()]);
});

describe('1. a product with a module: assignment, devices, reminders, auto-renewal, cancellation (C2, C3, C5, C8, C11)', () => {
  const P = 'lc-one';
  let product: ContractView;
  let module: ContractView;
  let marker: ContractView;

  it('assigns a product with its module from the pool; devices run up to its licenses and the next one is refused', async () => {
    await purchase(P, 'one-order', [line('EP-STD', 12, 8), line('EP-ENC', 12, 6)]);
    await newClient(P, 'client');
    const startsOn = await today();
    const activated = await assign(P, 'client', 'one-assignment', {
      sku: 'EP-STD',
      termMonths: 12,
      quantity: 3,
      modules: [{ sku: 'EP-ENC', quantity: 3 }],
    });
    product = activated.find((c) => c.sku === 'EP-STD')!;
    module = activated.find((c) => c.sku === 'EP-ENC')!;
    expect(product).toMatchObject({ termMonths: 12, quantity: 3, startsOn, endsOn: addMonths(startsOn, 12), status: 'active' });
    expect(module).toMatchObject({ termMonths: 12, quantity: 3, startsOn, endsOn: product.endsOn, status: 'active' });

    for (const deviceId of ['d1', 'd2', 'd3']) expect((await activate(P, 'client', 'EP-STD', deviceId)).status).toBe(201);
    expect(await activate(P, 'client', 'EP-STD', 'd4')).toMatchObject({ status: 409, body: { code: 'CONTRACTS.NO_FREE_LICENSE' } });
    expect((await serviceOf(P, 'client', 'EP-STD')).licenses).toEqual({ total: 3, inUse: 3, free: 0 });

    // A second client, a day younger: its reminders come a day after the first's, so each one
    // shows that the sweep after the second advance of a step has run.
    expect(await advance('1d')).toBe(addDays(startsOn, 1));
    await newClient(P, 'marker');
    marker = (await assign(P, 'marker', 'one-marker', { sku: 'EP-STD', termMonths: 12, quantity: 1 }))[0]!;
    expect(marker.endsOn).toBe(addDays(product.endsOn, 1));
    await expectPoolAgrees(P, ['client', 'marker']);
  });

  it('C11: a contract-expiring 30, 7 and 1 days before the end, while the clock moves twice within each step', async () => {
    const reminded = (contractId: string, daysBefore: number) => (d: ContractExpiringV1) =>
      d.contractId === contractId && d.daysBefore === daysBefore;
    for (const days of [30, 7, 1]) {
      await advanceTo(addDays(product.endsOn, -days));
      const [reminder] = await arrival(ContractsEvents.contractExpiring, reminded(product.contractId, days));
      expect(reminder).toMatchObject({ sku: 'EP-STD', endsOn: product.endsOn, daysLeft: days, autoRenew: false });
      // The second move of the step (for the 1-day step it is the end itself, below).
      if (days > 1) {
        await advanceTo(addDays(product.endsOn, 1 - days));
        await arrival(ContractsEvents.contractExpiring, reminded(marker.contractId, days));
      }
    }
    await expectPoolAgrees(P, ['client', 'marker']);
  });

  it('C3: with auto-renew on, the end renews the product and its module from the pool for the same term', async () => {
    const patched = await call(contracts, 'PATCH', `${clientPath(P, 'client')}/services/EP-STD`, await tokenOf(P), { autoRenew: true });
    expect(patched.status).toBe(200);
    const end = product.endsOn;
    await advanceTo(end);
    const renewed = await arrival<ContractRenewedV1>(
      ContractsEvents.contractRenewed,
      (d) => d.contractId === product.contractId || d.contractId === module.contractId,
      2,
    );
    for (const c of [product, module]) {
      expect(renewed.find((r) => r.contractId === c.contractId)).toMatchObject({
        source: 'auto-renewal',
        termMonths: 12,
        previousEndsOn: end,
        endsOn: addMonths(end, 12),
        lines: [line(c.sku, 12, 3)],
        unassigned: [line(c.sku, 12, 3)],
      });
    }
    // One client's events keep their order (one document, one partition): with the renewal in, so
    // is any reminder the client sent before it. The marker's last one shows the end's sweep ran.
    await arrival(ContractsEvents.contractExpiring, (d: ContractExpiringV1) => d.contractId === marker.contractId && d.daysBefore === 1);
    const remindersOf = (contractId: string) =>
      seen<ContractExpiringV1>(ContractsEvents.contractExpiring, (d) => d.contractId === contractId).map((d) => d.daysBefore);
    expect(remindersOf(product.contractId)).toEqual([30, 7, 1]);
    expect(remindersOf(marker.contractId)).toEqual([30, 7, 1]);
    expect(remindersOf(module.contractId)).toEqual([]);

    const service = await serviceOf(P, 'client', 'EP-STD');
    expect(service.contracts).toEqual([{ ...product, endsOn: addMonths(end, 12) }]);
    expect(service.modules).toEqual([{ sku: 'EP-ENC', contracts: [{ ...module, endsOn: addMonths(end, 12) }] }]);
    await expectPoolAgrees(P, ['client', 'marker']);
    // The renewal took 3 + 3 from the pool: 8 − 3 − 1 − 3 and 6 − 3 − 3 are left.
    expect(await poolLines(P)).toEqual(
      expect.arrayContaining([
        { sku: 'EP-STD', termMonths: 12, available: 1, reserved: 0, assigned: 4 },
        { sku: 'EP-ENC', termMonths: 12, available: 0, reserved: 0, assigned: 3 },
      ]),
    );
  });

  it('C5: a cancellation answers in its dry run exactly what the real one recovers, and the pool credits just that', async () => {
    const path = `${clientPath(P, 'client')}/contracts/${product.contractId}/cancellation`;
    const renewedEnd = addMonths(product.endsOn, 12);
    const day = await today();
    const recoverable = Math.floor((3 * daysBetween(day, renewedEnd)) / daysBetween(product.startsOn, renewedEnd));
    expect(recoverable).toBeGreaterThan(0);

    const version = (await call(contracts, 'GET', clientPath(P, 'client'), await tokenOf(P))).body.version;
    const dryRun = await call(contracts, 'POST', `${path}?dryRun=true`, await tokenOf(P));
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ dryRun: true, deactivatedDevices: ['d1', 'd2', 'd3'] });
    expect(merged(dryRun.body.recovered)).toEqual([line('EP-ENC', 12, recoverable), line('EP-STD', 12, recoverable)]);
    expect((await call(contracts, 'GET', clientPath(P, 'client'), await tokenOf(P))).body.version).toBe(version);

    const real = await call(contracts, 'POST', path, await tokenOf(P));
    expect(real.status).toBe(200);
    expect(real.body).toEqual({ ...dryRun.body, dryRun: false });

    const ids = [product.contractId, module.contractId];
    const recovered = await arrival<LicensesRecoveredV1>(ContractsEvents.licensesRecovered, (d) => ids.includes(d.contractId), 2);
    expect(merged(recovered.flatMap((r) => r.lines))).toEqual(merged(dryRun.body.recovered));
    const recoveryIds = recovered.map((r) => r.recoveryId);
    const credited = await arrival<StockCreditedV1>(
      PoolEvents.stockCredited,
      (d) => d.partnerId === P && d.source === 'recovery' && recoveryIds.includes(d.creditId),
      2,
    );
    expect(merged(credited.flatMap((c) => c.lines) as LicenseLine[])).toEqual(merged(dryRun.body.recovered));
    const ended = await arrival<ContractEndedV1>(ContractsEvents.contractEnded, (d) => ids.includes(d.contractId), 2);
    for (const e of ended) expect(e).toMatchObject({ reason: 'cancelled', unassigned: [line(e.sku, 12, 3)], endedOn: day });

    const service = await serviceOf(P, 'client', 'EP-STD');
    expect(service).toMatchObject({ contracts: [], modules: [], devices: [], licenses: { total: 0, inUse: 0, free: 0 } });
    await expectPoolAgrees(P, ['client', 'marker']);
    expect(await poolLines(P)).toEqual(
      expect.arrayContaining([
        { sku: 'EP-STD', termMonths: 12, available: 1 + recoverable, reserved: 0, assigned: 1 },
        { sku: 'EP-ENC', termMonths: 12, available: recoverable, reserved: 0, assigned: 0 },
      ]),
    );
  });
});

describe('2. an upgrade (C4) with the recovery of the old contract (C5)', () => {
  const P = 'lc-two';

  it('previews the change, then makes it: the old contract ends today and gives back what the preview said, the new one starts today', async () => {
    await purchase(P, 'two-order', [line('EP-STD', 12, 4), line('EP-ADV', 12, 4)]);
    await newClient(P, 'client');
    const [old] = await assign(P, 'client', 'two-assignment', { sku: 'EP-STD', termMonths: 12, quantity: 4 });
    for (const deviceId of ['a1', 'a2']) expect((await activate(P, 'client', 'EP-STD', deviceId)).status).toBe(201);
    await advance('30d');
    const day = await today();
    const recoverable = Math.floor((4 * daysBetween(day, old!.endsOn)) / daysBetween(old!.startsOn, old!.endsOn));

    const path = `${clientPath(P, 'client')}/services/EP-STD/changes`;
    const body = { toSku: 'EP-ADV', termMonths: 12 };
    // The change row is the catalog's last word on EP-STD: the contracts' copy may still be reading it.
    const preview = await eventually(
      async () => {
        const answer = await call(contracts, 'POST', `${path}?dryRun=true`, await tokenOf(P), body);
        return answer.body?.code === 'CONTRACTS.CHANGE_NOT_ALLOWED' ? undefined : answer;
      },
      30_000,
      250,
    );
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      dryRun: true,
      fromSku: 'EP-STD',
      toSku: 'EP-ADV',
      kind: 'upgrade',
      ended: [{ contractId: old!.contractId, sku: 'EP-STD', recovered: [line('EP-STD', 12, recoverable)] }],
      recovered: [line('EP-STD', 12, recoverable)],
      contract: { sku: 'EP-ADV', termMonths: 12, quantity: 4, startsOn: day, endsOn: addMonths(day, 12) },
    });

    const changed = await saga(P, path, 'two-change', body);
    expect(changed).toMatchObject({ status: 200, body: { status: 'activated', kind: 'change' } });
    expect(changed.body.contracts).toEqual([
      expect.objectContaining({ sku: 'EP-ADV', termMonths: 12, quantity: 4, startsOn: day, endsOn: addMonths(day, 12), status: 'active' }),
    ]);

    const [recovery] = await arrival<LicensesRecoveredV1>(ContractsEvents.licensesRecovered, (d) => d.contractId === old!.contractId);
    expect(recovery).toMatchObject({ cause: 'upgrade', lines: preview.body.recovered });
    await arrival<StockCreditedV1>(PoolEvents.stockCredited, (d) => d.partnerId === P && d.creditId === recovery!.recoveryId);
    const [ended] = await arrival<ContractEndedV1>(ContractsEvents.contractEnded, (d) => d.contractId === old!.contractId);
    expect(ended).toMatchObject({ reason: 'changed', changedTo: 'EP-ADV', endedOn: day, unassigned: [line('EP-STD', 12, 4)] });

    expect((await serviceOf(P, 'client', 'EP-STD')).contracts).toEqual([]);
    const upgraded = await serviceOf(P, 'client', 'EP-ADV');
    expect(upgraded.devices.map((d) => d.deviceId)).toEqual(['a1', 'a2']);
    expect(upgraded.licenses).toEqual({ total: 4, inUse: 2, free: 2 });
    await expectPoolAgrees(P, ['client']);
    expect(await poolLines(P)).toEqual(
      expect.arrayContaining([
        { sku: 'EP-STD', termMonths: 12, available: recoverable, reserved: 0, assigned: 0 },
        { sku: 'EP-ADV', termMonths: 12, available: 0, reserved: 0, assigned: 4 },
      ]),
    );
  });
});

describe('3. grouping (C6), then an early renewal (C3)', () => {
  const P = 'lc-three';

  it('refuses the early renewal of two contracts, groups them (the dry run gives the end date), then renews the one', async () => {
    await purchase(P, 'three-order', [line('EP-STD', 12, 10)]);
    await newClient(P, 'client');
    const [first] = await assign(P, 'client', 'three-first', { sku: 'EP-STD', termMonths: 12, quantity: 2 });
    await advance('10d');
    const [second] = await assign(P, 'client', 'three-second', { sku: 'EP-STD', termMonths: 12, quantity: 2 });
    // A day on, both ends are less than 12 months away: an early renewal, for a service that is not grouped.
    const day = await advance('1d');
    const renewals = `${clientPath(P, 'client')}/services/EP-STD/renewals`;
    const refused = await saga(P, renewals, 'three-renewal-1', { termMonths: 12 });
    expect(refused).toMatchObject({ status: 409, body: { code: 'CONTRACTS.GROUPING_REQUIRED' } });

    const grouping = `${clientPath(P, 'client')}/services/EP-STD/grouping`;
    const endsOn = addDays(day, Math.floor((2 * daysBetween(day, first!.endsOn) + 2 * daysBetween(day, second!.endsOn)) / 4));
    const preview = await call(contracts, 'POST', `${grouping}?dryRun=true`, await tokenOf(P));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      dryRun: true,
      contract: { licenses: 4, lines: [{ termMonths: 12, quantity: 4 }], startsOn: day, endsOn },
      replaced: [first!.contractId, second!.contractId],
    });
    const grouped = await call(contracts, 'POST', grouping, await tokenOf(P));
    expect(grouped.status).toBe(200);
    const contractId = grouped.body.contract.contractId as string;
    // The same answer as the dry run, but for the new contract's id.
    expect(grouped.body).toEqual({ ...preview.body, dryRun: false, contract: { ...preview.body.contract, contractId } });
    const [event] = await arrival<ServiceGroupedV1>(ContractsEvents.serviceGrouped, (d) => d.contractId === contractId);
    expect(event).toMatchObject({ startsOn: day, endsOn, replaced: [first!.contractId, second!.contractId], lines: [line('EP-STD', 12, 4)] });
    const parts = await arrival<ContractEndedV1>(
      ContractsEvents.contractEnded,
      (d) => d.partnerId === P && d.reason === 'grouped' && d.groupedInto === contractId,
      2,
    );
    for (const part of parts) expect(part.unassigned).toEqual([]);
    await expectPoolAgrees(P, ['client']);

    const renewed = await saga(P, renewals, 'three-renewal-2', { termMonths: 12 });
    expect(renewed).toMatchObject({ status: 200, body: { status: 'activated', kind: 'renewal' } });
    const [renewal] = await arrival<ContractRenewedV1>(ContractsEvents.contractRenewed, (d) => d.contractId === contractId);
    expect(renewal).toMatchObject({ source: 'renewal', previousEndsOn: endsOn, endsOn: addMonths(endsOn, 12), unassigned: [line('EP-STD', 12, 4)] });
    expect((await serviceOf(P, 'client', 'EP-STD')).contracts).toEqual([
      expect.objectContaining({ contractId, quantity: 4, startsOn: day, endsOn: addMonths(endsOn, 12), status: 'active' }),
    ]);
    await expectPoolAgrees(P, ['client']);
    expect(await poolLines(P)).toEqual([{ sku: 'EP-STD', termMonths: 12, available: 2, reserved: 0, assigned: 4 }]);
  });
});

describe('4. expiry through grace (C9)', () => {
  const P = 'lc-four';

  it('a contract not renewed enters grace at its end and expires 7 days later; the devices seen longest ago lose their licenses', async () => {
    await purchase(P, 'four-order', [line('EP-STD', 12, 6)]);
    await newClient(P, 'client');
    const [older] = await assign(P, 'client', 'four-older', { sku: 'EP-STD', termMonths: 12, quantity: 2 });
    await advance('20d');
    await assign(P, 'client', 'four-younger', { sku: 'EP-STD', termMonths: 12, quantity: 2 });
    for (const deviceId of ['d1', 'd2', 'd3', 'd4']) expect((await activate(P, 'client', 'EP-STD', deviceId)).status).toBe(201);
    // Seen in this order, a minute apart: d2 longest ago, then d4, d1, d3.
    for (const deviceId of ['d2', 'd4', 'd1', 'd3']) {
      await heartbeat(P, 'client', 'EP-STD', deviceId);
      await advance('1m');
    }

    await advanceTo(older!.endsOn);
    const [grace] = await arrival<ContractEnteredGraceV1>(ContractsEvents.contractEnteredGrace, (d) => d.contractIds.includes(older!.contractId));
    expect(grace).toMatchObject({
      reason: 'not-renewed',
      contractIds: [older!.contractId],
      endsOn: older!.endsOn,
      graceEndsOn: addDays(older!.endsOn, 7),
    });
    let service = await serviceOf(P, 'client', 'EP-STD');
    expect(service.contracts.find((c) => c.contractId === older!.contractId)?.status).toBe('in-grace');
    expect(service.licenses).toEqual({ total: 4, inUse: 4, free: 0 });
    await expectPoolAgrees(P, ['client']);

    await advanceTo(addDays(older!.endsOn, 7));
    const [ended] = await arrival<ContractEndedV1>(ContractsEvents.contractEnded, (d) => d.contractId === older!.contractId);
    expect(ended).toMatchObject({ reason: 'expired', endedOn: addDays(older!.endsOn, 7), unassigned: [line('EP-STD', 12, 2)] });
    const [deactivated] = await arrival<DeviceDeactivatedV1>(ContractsEvents.deviceDeactivated, (d) => d.partnerId === P);
    expect(deactivated).toMatchObject({ reason: 'licenses-ended', deviceIds: ['d2', 'd4'], licensesLeft: 2 });
    service = await serviceOf(P, 'client', 'EP-STD');
    expect(service.devices.map((d) => d.deviceId).sort()).toEqual(['d1', 'd3']);
    expect(service.licenses).toEqual({ total: 2, inUse: 2, free: 0 });
    await expectPoolAgrees(P, ['client']);
  });
});

describe('5. a trial (C10)', () => {
  const P = 'lc-five';

  it('is started, extended once, converted by the paid product (its devices move), and not started again within 90 days', async () => {
    await newClient(P, 'client');
    const trials = `${clientPath(P, 'client')}/trials`;
    const day = await today();
    const started = await call(contracts, 'POST', trials, await tokenOf(P), { sku: 'EP-TRIAL' });
    expect(started).toMatchObject({
      status: 201,
      body: { sku: 'EP-TRIAL', maxDevices: 250, startsOn: day, endsOn: addDays(day, 30), extended: false },
    });
    const trialId = started.body.contractId as string;
    await arrival<TrialStartedV1>(ContractsEvents.trialStarted, (d) => d.contractId === trialId);
    for (const deviceId of ['t1', 't2', 't3']) expect((await activate(P, 'client', 'EP-TRIAL', deviceId)).status).toBe(201);
    // Seen in this order, a minute apart: t2 most recently, then t3, then t1.
    for (const deviceId of ['t1', 't3', 't2']) {
      await advance('1m');
      await heartbeat(P, 'client', 'EP-TRIAL', deviceId);
    }

    const extended = await call(contracts, 'POST', `${trials}/EP-TRIAL/extension`, await tokenOf(P));
    expect(extended).toMatchObject({ status: 200, body: { contractId: trialId, endsOn: addDays(day, 60), extended: true } });
    await arrival<TrialExtendedV1>(ContractsEvents.trialExtended, (d) => d.contractId === trialId);
    const again = await call(contracts, 'POST', `${trials}/EP-TRIAL/extension`, await tokenOf(P));
    expect(again).toMatchObject({ status: 409, body: { code: 'CONTRACTS.TRIAL_EXTENDED_ALREADY' } });

    // Past the first 30 days the extended trial still runs; buying the product converts it.
    const converted = await advance('35d');
    await purchase(P, 'five-order', [line('EP-STD', 12, 2)]);
    await assign(P, 'client', 'five-paid', { sku: 'EP-STD', termMonths: 12, quantity: 2 });
    const [ended] = await arrival<TrialEndedV1>(ContractsEvents.trialEnded, (d) => d.contractId === trialId);
    expect(ended).toMatchObject({
      converted: true,
      convertedTo: 'EP-STD',
      movedDevices: 2,
      endedOn: converted,
      blockedUntil: addDays(converted, 90),
    });
    const [left] = await arrival<DeviceDeactivatedV1>(ContractsEvents.deviceDeactivated, (d) => d.partnerId === P);
    expect(left).toMatchObject({ reason: 'trial-converted', deviceIds: ['t1'] });
    const paid = await serviceOf(P, 'client', 'EP-STD');
    expect(paid.devices.map((d) => d.deviceId)).toEqual(['t2', 't3']);
    expect((await serviceOf(P, 'client', 'EP-TRIAL')).devices).toEqual([]);
    await expectPoolAgrees(P, ['client']);

    const blocked = { status: 409, body: { code: 'CONTRACTS.TRIAL_BLOCKED', details: { blockedUntil: addDays(converted, 90) } } };
    expect(await call(contracts, 'POST', trials, await tokenOf(P), { sku: 'EP-TRIAL' })).toMatchObject(blocked);
    await advance('89d');
    expect(await call(contracts, 'POST', trials, await tokenOf(P), { sku: 'EP-TRIAL' })).toMatchObject(blocked);
    await advance('1d');
    expect((await call(contracts, 'POST', trials, await tokenOf(P), { sku: 'EP-TRIAL' })).status).toBe(201);
  });
});

describe('6. monthly contracts on licenses bought with points (M4 with C9)', () => {
  const P = 'lc-six';

  const exchange = async (quantity: number): Promise<JsonAnswer> =>
    call(points, 'POST', `/partners/${P}/points/exchanges`, { ...(await tokenOf(P)), prefer: 'wait=20' }, { lines: [{ sku: 'EP-MSSP', quantity }] });
  const wallet = async () => (await call(points, 'GET', `/partners/${P}/points`, pointsAdmin)).body;

  it('run to the 1st, renew with points to the next 1st, and the newest enter grace when a renewal cannot pay for all', async () => {
    expect((await call(points, 'PUT', `/partners/${P}/points/enrolment`, pointsAdmin, { enrolled: true })).status).toBe(200);
    const credit = await call(
      points,
      'POST',
      `/partners/${P}/points/credits`,
      { ...pointsAdmin, 'idempotency-key': 'six-grant' },
      { amount: 60, reason: 'e2e' },
    );
    expect(credit.status).toBe(201);
    // The points' catalog copy prices the product once a quote answers; the pool's knows it once
    // an annual purchase of it is refused for its term (it is monthly), not as unknown.
    const quote = async () =>
      call(points, 'POST', `/partners/${P}/points/exchanges?dryRun=true`, pointsAdmin, { lines: [{ sku: 'EP-MSSP', quantity: 1 }] });
    const annual = async () =>
      call(pool, 'POST', `/partners/${P}/pool/purchases`, await tokenOf(P), { orderId: 'six-probe', lines: [line('EP-MSSP', 12, 1)] });
    await eventually(async () => (await quote()).status === 200 && (await annual()).body?.code === 'POOL.TERM_NOT_ALLOWED', 30_000, 250);
    expect(await exchange(4)).toMatchObject({ status: 200, body: { status: 'completed', totalPoints: 20 } });
    await newClient(P, 'older');
    await newClient(P, 'newer');

    const day = await today();
    const [older] = await assign(P, 'older', 'six-older', { sku: 'EP-MSSP', termMonths: 1, quantity: 2, managementModel: 'delegated' });
    const first = firstOfNextMonth(day);
    expect(older).toMatchObject({ termMonths: 1, quantity: 2, startsOn: day, endsOn: first });

    // The 1st: points renew the four licenses (20 points) and the contract runs to the next 1st.
    await advanceTo(first);
    await arrival<MonthlyRenewedV1>(PointsEvents.monthlyRenewed, (d) => d.partnerId === P && d.month === first.slice(0, 7));
    const [renewed] = await arrival<ContractRenewedV1>(ContractsEvents.contractRenewed, (d) => d.contractId === older!.contractId);
    const second = firstOfNextMonth(first);
    expect(renewed).toMatchObject({ source: 'points', termMonths: 1, previousEndsOn: first, endsOn: second });
    expect(await wallet()).toMatchObject({ balance: 20 });

    // A newer contract, and the wallet drained by an exchange: 10 points left for 6 licenses at 5.
    const [newer] = await assign(P, 'newer', 'six-newer', { sku: 'EP-MSSP', termMonths: 1, quantity: 2, managementModel: 'delegated' });
    expect(newer).toMatchObject({ startsOn: first, endsOn: second });
    expect(await exchange(2)).toMatchObject({ status: 200, body: { status: 'completed', totalPoints: 10 } });
    expect(await wallet()).toMatchObject({ balance: 10, holdings: [{ sku: 'EP-MSSP', quantity: 6 }] });
    await expectPoolAgrees(P, ['older', 'newer']);

    // The next 1st pays for 2 of 6: the 2 unassigned lapse first, then 2 assigned, those of the newest contract.
    await advanceTo(second);
    const [lapsed] = await arrival<MonthlyLapsedV1>(PointsEvents.monthlyLapsed, (d) => d.partnerId === P);
    expect(lapsed).toMatchObject({ month: second.slice(0, 7), lines: [{ sku: 'EP-MSSP', quantity: 4, reason: 'insufficient-balance' }] });
    const [grace] = await arrival<ContractEnteredGraceV1>(ContractsEvents.contractEnteredGrace, (d) => d.partnerId === P);
    expect(grace).toMatchObject({ reason: 'lapsed', contractIds: [newer!.contractId], endsOn: second, graceEndsOn: addDays(second, 7) });
    await arrival<ContractRenewedV1>(ContractsEvents.contractRenewed, (d) => d.contractId === older!.contractId && d.previousEndsOn === second);

    expect((await serviceOf(P, 'older', 'EP-MSSP')).contracts).toEqual([
      expect.objectContaining({ contractId: older!.contractId, endsOn: firstOfNextMonth(second), status: 'active' }),
    ]);
    expect((await serviceOf(P, 'newer', 'EP-MSSP')).contracts).toEqual([
      expect.objectContaining({ contractId: newer!.contractId, endsOn: second, status: 'in-grace' }),
    ]);
    expect(await wallet()).toMatchObject({ balance: 0, holdings: [{ sku: 'EP-MSSP', quantity: 2 }] });
    // The newer contract is in grace, but its licenses have left the pool: only the older one's are assigned.
    await expectPoolAgrees(P, ['older', 'newer'], { 'EP-MSSP/1': 2 });
    expect(await poolLines(P)).toEqual([{ sku: 'EP-MSSP', termMonths: 1, available: 0, reserved: 0, assigned: 2 }]);
  });
});
