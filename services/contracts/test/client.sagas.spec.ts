import { isRefusal, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type AssignmentRequestedV1,
  type AutoRenewFailedV1,
  type ContractActivatedV1,
  type ContractEndedV1,
  type ContractEnteredGraceV1,
  type ContractRenewedV1,
  type LicensesRecoveredV1,
  type Term,
} from '@licensing/events';
import {
  activateAssignment,
  rejectAssignment,
  requestAssignment,
  timeOutAssignments,
  type ChangeContext,
  type Client,
  type SkuFacts,
} from '../src/domain/client.aggregate';
import { autoRenewalId, tick } from '../src/domain/client.lifecycle';
import { changePreview, requestChange, requestModule, requestRenewal, SAGAS } from '../src/domain/client.sagas';
import { activateDevice } from '../src/domain/client.services';
import { startTrialOf } from '../src/domain/client.trials';
import type { Contract } from '../src/domain/contract.rules';
import {
  codeOf,
  contract,
  dataOf,
  moduleSku,
  newClient,
  ok,
  on,
  POLICY,
  product,
  request,
  stateOf,
  TIMEOUT_MS,
  typesOf,
  withCatalog,
} from './client.fixtures';

const CATALOG: SkuFacts[] = [
  product('EP-PRO', {
    changes: [
      { toSku: 'EP-ULTRA', kind: 'upgrade' },
      { toSku: 'EP-BASIC', kind: 'downgrade' },
      { toSku: 'EDR-CORE', kind: 'upgrade' },
    ],
  }),
  product('EP-ULTRA', { managementModels: ['delegated'] }),
  product('EP-BASIC'),
  product('EP-TRIAL', { trialEdition: true, terms: [] }),
  product('EDR-CORE', { familyCode: 'edr' }),
  product('EDR-BASIC', { familyCode: 'edr' }),
  moduleSku('MOD-ENC'),
  moduleSku('MOD-FW', { terms: [12] }),
];
const { lookup, assign, holding } = withCatalog(CATALOG);

/** The client with one contract's dates set by hand (no assignment can end on a leap day). */
const withDates = (client: Client, contractId: string, dates: Pick<Contract, 'startsOn' | 'endsOn'>): Client => ({
  ...client,
  services: client.services.map((s) => ({
    ...s,
    contracts: s.contracts.map((c) => (c.contractId === contractId ? { ...c, ...dates } : c)),
    modules: s.modules.map((m) => ({ ...m, contracts: m.contracts.map((c) => (c.contractId === contractId ? { ...c, ...dates } : c)) })),
  })),
});

const renew = (client: Client, id: string, termMonths: Term, ctx: ChangeContext, sku = 'EP-PRO') =>
  requestRenewal(client, id, sku, termMonths, lookup, TIMEOUT_MS, ctx);

describe('C3 renewal requests', () => {
  it('C3 a renewal of a contract in force asks the pool for the product and its modules that share its end date', () => {
    const decision = ok(renew(holding(), 'r-1', 12, on('2025-09-01')));
    expect(decision.result).toMatchObject({ replayed: false, assignment: { assignmentId: 'r-1', kind: 'renewal', status: 'pending' } });
    expect(decision.state?.assignments.at(-1)?.target).toEqual({ serviceSku: 'EP-PRO', contractIds: ['a-1-1', 'a-1-2'], termMonths: 12 });
    expect(typesOf(decision.events)).toEqual([ContractsEvents.assignmentRequested]);
    expect(decision.events?.[0]?.data as AssignmentRequestedV1).toEqual({
      assignmentId: 'r-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      lines: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
      ],
      requestedAt: '2025-09-01T10:00:00.000Z',
      kind: 'renewal',
    });
  });

  it('C3 a renewal in grace is allowed until its last grace day, then the contract has expired (a new sale)', () => {
    const client = holding();
    ok(renew(client, 'r-1', 12, on('2026-03-01')));
    ok(renew(client, 'r-1', 12, on('2026-03-07')));
    expect(codeOf(renew(client, 'r-1', 12, on('2026-03-08')))).toBe('CONTRACTS.CONTRACT_EXPIRED');
    const swept = tick(client, POLICY, TIMEOUT_MS, on('2026-03-08')).state as Client;
    expect(codeOf(renew(swept, 'r-1', 12, on('2026-03-09')))).toBe('CONTRACTS.CONTRACT_EXPIRED');
  });

  it('C3 a renewal of contracts in grace with several ends asks for each one its modules, each module once', () => {
    // a-1 and a-2 end on 2026-03-01 with a module on a-1; a-3 ends on 2026-03-03 with its own module.
    let client = holding();
    client = assign(client, 'a-2', request({ quantity: 5 }), on('2025-03-01'));
    client = assign(client, 'a-3', request({ quantity: 3, modules: [{ sku: 'MOD-ENC', quantity: 2 }] }), on('2025-03-03'));
    const decision = ok(renew(client, 'r-1', 12, on('2026-03-04')));
    expect((decision.events?.[0]?.data as AssignmentRequestedV1).lines).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 18 },
      { sku: 'MOD-ENC', termMonths: 12, quantity: 6 },
    ]);
    expect(decision.state?.assignments.at(-1)?.target?.contractIds).toEqual(['a-1-1', 'a-2-1', 'a-3-1', 'a-1-2', 'a-3-2']);
  });

  it('C3 early renewal of several contracts needs the service grouped first (C6)', () => {
    const client = assign(holding(), 'a-2', request({ quantity: 5 }), on('2025-04-01'));
    const refused = renew(client, 'r-1', 12, on('2025-09-01'));
    expect(codeOf(refused)).toBe('CONTRACTS.GROUPING_REQUIRED');
    expect((refused as Refusal).details).toEqual({ contracts: 2 });
  });

  it('C3 early renewal only when the end is less than 12 months away', () => {
    const client = holding();
    const refused = renew(client, 'r-1', 12, on('2025-03-01'));
    expect(codeOf(refused)).toBe('CONTRACTS.RENEWAL_TOO_EARLY');
    expect((refused as Refusal).details).toEqual({ endsOn: '2026-03-01' });
    ok(renew(client, 'r-1', 12, on('2025-03-02')));
  });

  it('C3 a monthly service renews with points, a trial is not renewed, a service the client lacks is not found', () => {
    const monthly = assign(newClient(), 'a-1', request({ termMonths: 1 }), on('2025-03-15'));
    expect(codeOf(renew(monthly, 'r-1', 1, on('2025-03-20')))).toBe('CONTRACTS.MONTHLY_RENEWS_WITH_POINTS');
    const trial = stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-01')));
    expect(codeOf(renew(trial, 'r-1', 12, on('2025-03-20'), 'EP-TRIAL'))).toBe('CONTRACTS.TRIAL_NOT_RENEWABLE');
    expect(codeOf(renew(trial, 'r-1', 12, on('2025-03-20')))).toBe('CONTRACTS.SERVICE_NOT_FOUND');
  });

  it('C3 the same renewal id with the same request is a replay, pending or activated; another request under it is refused', () => {
    const pending = stateOf(renew(holding(), 'r-1', 12, on('2025-09-01')));
    const replay = ok(renew(pending, 'r-1', 12, on('2025-09-01', '10:00:10.000')));
    expect(replay.state).toBeUndefined();
    expect(replay.events).toBeUndefined();
    expect(replay.result).toMatchObject({ replayed: true, assignment: { assignmentId: 'r-1', status: 'pending' } });
    expect(codeOf(renew(pending, 'r-1', 24, on('2025-09-01', '10:00:10.000')))).toBe('CONTRACTS.IDEMPOTENCY_KEY_REUSED');

    const activated = activateAssignment(pending, 'r-1', on('2025-09-01', '10:00:05.000'), SAGAS).state as Client;
    const late = ok(renew(activated, 'r-1', 12, on('2025-09-01', '10:01:00.000')));
    expect(late.state).toBeUndefined();
    expect(late.result).toMatchObject({ replayed: true, assignment: { assignmentId: 'r-1', status: 'activated' } });
    expect(codeOf(renew(activated, 'r-1', 24, on('2025-09-01', '10:01:00.000')))).toBe('CONTRACTS.IDEMPOTENCY_KEY_REUSED');
  });
});

describe('C3 renewal activation', () => {
  it('C3 the new end is the old end plus the term; the used-up licenses leave the pool and the pool commits the new ones', () => {
    const pending = stateOf(renew(holding(), 'r-1', 24, on('2025-09-01')));
    const decision = activateAssignment(pending, 'r-1', on('2025-09-01', '10:00:05.000'), SAGAS);
    expect(decision.result).toMatchObject({ outcome: 'activated' });
    const client = decision.state as Client;
    expect(contract(client, 'a-1-1')).toEqual({
      contractId: 'a-1-1',
      sku: 'EP-PRO',
      licenses: 10,
      lines: [{ termMonths: 24, quantity: 10 }],
      startsOn: '2025-03-01',
      endsOn: '2028-03-01',
      trial: null,
      cancelled: false,
    });
    expect(contract(client, 'a-1-2')).toMatchObject({ endsOn: '2028-03-01', lines: [{ termMonths: 24, quantity: 4 }] });
    expect(client.assignments.at(-1)).toMatchObject({ assignmentId: 'r-1', status: 'activated', contractIds: ['a-1-1', 'a-1-2'] });
    expect(typesOf(decision.events)).toEqual([ContractsEvents.contractActivated, ContractsEvents.contractRenewed, ContractsEvents.contractRenewed]);
    expect(decision.events?.[0]?.data as ContractActivatedV1).toEqual({
      assignmentId: 'r-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      kind: 'renewal',
      contracts: [
        {
          contractId: 'a-1-1',
          sku: 'EP-PRO',
          termMonths: 24,
          quantity: 10,
          startsAt: '2025-03-01T00:00:00.000Z',
          endsAt: '2028-03-01T00:00:00.000Z',
        },
        {
          contractId: 'a-1-2',
          sku: 'MOD-ENC',
          termMonths: 24,
          quantity: 4,
          startsAt: '2025-03-01T00:00:00.000Z',
          endsAt: '2028-03-01T00:00:00.000Z',
        },
      ],
      activatedAt: '2025-09-01T10:00:05.000Z',
    });
    expect(dataOf<ContractRenewedV1>(decision.events, ContractsEvents.contractRenewed)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'a-1-1',
        termMonths: 24,
        source: 'renewal',
        renewalId: 'r-1',
        previousEndsOn: '2026-03-01',
        endsOn: '2028-03-01',
        lines: [{ sku: 'EP-PRO', termMonths: 24, quantity: 10 }],
        unassigned: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        renewedAt: '2025-09-01T10:00:05.000Z',
      },
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'MOD-ENC',
        contractId: 'a-1-2',
        termMonths: 24,
        source: 'renewal',
        renewalId: 'r-1',
        previousEndsOn: '2026-03-01',
        endsOn: '2028-03-01',
        lines: [{ sku: 'MOD-ENC', termMonths: 24, quantity: 4 }],
        unassigned: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        renewedAt: '2025-09-01T10:00:05.000Z',
      },
    ]);
    expect(activateAssignment(client, 'r-1', on('2025-09-01', '10:00:06.000'), SAGAS)).toEqual({ result: { outcome: 'ignored' } });
  });

  it('C3 renewal clamps to the month end: an end on Feb 29 renews to Feb 28, and an end on Feb 28 stays on the 28th', () => {
    const leap = withDates(holding(), 'a-1-1', { startsOn: '2027-02-28', endsOn: '2028-02-29' });
    const decision = activateAssignment(stateOf(renew(leap, 'r-1', 12, on('2028-01-10'))), 'r-1', on('2028-01-10', '10:00:05.000'), SAGAS);
    expect(contract(decision.state as Client, 'a-1-1')?.endsOn).toBe('2029-02-28');
    const assignedOnLeapDay = assign(newClient(), 'a-1', request(), on('2028-02-29'));
    expect(contract(assignedOnLeapDay, 'a-1-1')?.endsOn).toBe('2029-02-28');
    const inGrace = activateAssignment(
      stateOf(renew(assignedOnLeapDay, 'r-1', 36, on('2029-03-02'))),
      'r-1',
      on('2029-03-02', '10:00:05.000'),
      SAGAS,
    );
    expect(contract(inGrace.state as Client, 'a-1-1')?.endsOn).toBe('2032-02-28');
    expect(dataOf<ContractRenewedV1>(inGrace.events, ContractsEvents.contractRenewed)[0]).toMatchObject({
      previousEndsOn: '2029-02-28',
      endsOn: '2032-02-28',
    });
  });

  it('C3 a renewal whose contracts expired while the pool answered is rejected and the pool releases it', () => {
    const pending = stateOf(renew(holding(), 'r-1', 12, on('2026-03-07', '23:59:50.000')));
    const decision = activateAssignment(pending, 'r-1', on('2026-03-08', '00:00:05.000'), SAGAS);
    expect(decision.result).toEqual({ outcome: 'rejected', code: 'CONTRACTS.CONTRACT_EXPIRED' });
    expect(typesOf(decision.events)).toEqual([ContractsEvents.assignmentRejected]);
    expect(contract(decision.state as Client, 'a-1-1')?.endsOn).toBe('2026-03-01');
  });
});

describe('C4 change of product', () => {
  const preview = (client: Client, toSku: string, day: string, termMonths: Term = 12) =>
    changePreview(client, 'EP-PRO', toSku, termMonths, lookup, on(day));
  const change = (client: Client, id: string, toSku: string, day: string, termMonths: Term = 12) =>
    requestChange(client, id, 'EP-PRO', toSku, termMonths, lookup, TIMEOUT_MS, on(day));

  it('C4 the preview recovers each contract by C5 and starts the new product today for its term', () => {
    const previewed = preview(holding(), 'EP-ULTRA', '2025-08-31', 24);
    expect(isRefusal(previewed)).toBe(false);
    // 182 of 365 days left: 10 × 182 ÷ 365 = 4.99 → 4; 4 × 182 ÷ 365 = 1.99 → 1
    expect(!isRefusal(previewed) && previewed.preview).toEqual({
      fromSku: 'EP-PRO',
      toSku: 'EP-ULTRA',
      kind: 'upgrade',
      ended: [
        { contractId: 'a-1-1', sku: 'EP-PRO', recovered: [{ sku: 'EP-PRO', termMonths: 12, quantity: 4 }] },
        { contractId: 'a-1-2', sku: 'MOD-ENC', recovered: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 1 }] },
      ],
      recovered: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 4 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 1 },
      ],
      contract: { sku: 'EP-ULTRA', termMonths: 24, quantity: 10, startsOn: '2025-08-31', endsOn: '2027-08-31' },
      // EP-ULTRA is only delegated: the self-managed service becomes delegated.
      managementModel: 'delegated',
    });
  });

  it('C4 a change needs a row of the change table and a paid product sold for the term', () => {
    const client = holding();
    expect(codeOf(preview(client, 'EDR-BASIC', '2025-08-31'))).toBe('CONTRACTS.CHANGE_NOT_ALLOWED');
    expect(codeOf(change(client, 'ch-1', 'EDR-BASIC', '2025-08-31'))).toBe('CONTRACTS.CHANGE_NOT_ALLOWED');
    const catalog = (sku: string) => (sku === 'EP-ULTRA' ? product('EP-ULTRA', { terms: [12] }) : lookup(sku));
    expect(codeOf(changePreview(client, 'EP-PRO', 'EP-ULTRA', 24, catalog, on('2025-08-31')))).toBe('CONTRACTS.TERM_NOT_ALLOWED');
  });

  it('C4 the family rule leaves out the product replaced, and still sees the others', () => {
    const client = assign(holding(), 'a-2', request({ sku: 'EDR-BASIC', quantity: 2 }), on('2025-03-01'));
    expect(isRefusal(preview(client, 'EP-BASIC', '2025-08-31'))).toBe(false);
    const refused = preview(client, 'EDR-CORE', '2025-08-31');
    expect(codeOf(refused)).toBe('CONTRACTS.FAMILY_RULE');
    expect((refused as Refusal).details).toEqual({ familyCode: 'edr', heldSku: 'EDR-BASIC' });
    expect(codeOf(change(client, 'ch-1', 'EDR-CORE', '2025-08-31'))).toBe('CONTRACTS.FAMILY_RULE');
  });

  it('C4 activation ends the old contracts with their recovery and opens the new service today with the devices moved', () => {
    let client = holding();
    for (const deviceId of ['d-1', 'd-2', 'd-3']) client = stateOf(activateDevice(client, 'EP-PRO', deviceId, on('2025-05-01')));
    const requested = ok(change(client, 'ch-1', 'EP-ULTRA', '2025-08-31'));
    expect(requested.events?.[0]?.data as AssignmentRequestedV1).toEqual({
      assignmentId: 'ch-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      lines: [{ sku: 'EP-ULTRA', termMonths: 12, quantity: 10 }],
      requestedAt: '2025-08-31T10:00:00.000Z',
      kind: 'change',
    });
    const decision = activateAssignment(requested.state as Client, 'ch-1', on('2025-08-31', '10:00:05.000'), SAGAS);
    expect(decision.result).toMatchObject({ outcome: 'activated' });
    expect(typesOf(decision.events)).toEqual([
      ContractsEvents.licensesRecovered,
      ContractsEvents.contractEnded,
      ContractsEvents.licensesRecovered,
      ContractsEvents.contractEnded,
      ContractsEvents.contractActivated,
    ]);
    expect(dataOf<LicensesRecoveredV1>(decision.events, ContractsEvents.licensesRecovered)).toEqual([
      {
        recoveryId: 'ch-1:a-1-1',
        partnerId: 'p-1',
        clientId: 'c-1',
        contractId: 'a-1-1',
        cause: 'upgrade',
        lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 4 }],
        recoveredAt: '2025-08-31T10:00:05.000Z',
      },
      {
        recoveryId: 'ch-1:a-1-2',
        partnerId: 'p-1',
        clientId: 'c-1',
        contractId: 'a-1-2',
        cause: 'upgrade',
        lines: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 1 }],
        recoveredAt: '2025-08-31T10:00:05.000Z',
      },
    ]);
    expect(dataOf<ContractEndedV1>(decision.events, ContractsEvents.contractEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'a-1-1',
        reason: 'changed',
        lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        unassigned: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        changedTo: 'EP-ULTRA',
        endedOn: '2025-08-31',
        endedAt: '2025-08-31T10:00:05.000Z',
      },
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'MOD-ENC',
        contractId: 'a-1-2',
        reason: 'changed',
        lines: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        unassigned: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        changedTo: 'EP-ULTRA',
        endedOn: '2025-08-31',
        endedAt: '2025-08-31T10:00:05.000Z',
      },
    ]);
    expect(dataOf<ContractActivatedV1>(decision.events, ContractsEvents.contractActivated)).toEqual([
      {
        assignmentId: 'ch-1',
        partnerId: 'p-1',
        clientId: 'c-1',
        kind: 'change',
        contracts: [
          {
            contractId: 'ch-1-1',
            sku: 'EP-ULTRA',
            termMonths: 12,
            quantity: 10,
            startsAt: '2025-08-31T00:00:00.000Z',
            endsAt: '2026-08-31T00:00:00.000Z',
          },
        ],
        activatedAt: '2025-08-31T10:00:05.000Z',
      },
    ]);
    const changed = decision.state as Client;
    const [old, fresh] = changed.services;
    expect(old).toMatchObject({ sku: 'EP-PRO', contracts: [], modules: [], devices: [] });
    expect(old?.ended.map((c) => [c.contractId, c.endedReason, c.endedOn])).toEqual([
      ['a-1-1', 'changed', '2025-08-31'],
      ['a-1-2', 'changed', '2025-08-31'],
    ]);
    expect(fresh).toMatchObject({ sku: 'EP-ULTRA', familyCode: 'endpoint', managementModel: 'delegated', autoRenew: false });
    expect(fresh?.contracts).toEqual([
      {
        contractId: 'ch-1-1',
        sku: 'EP-ULTRA',
        licenses: 10,
        lines: [{ termMonths: 12, quantity: 10 }],
        startsOn: '2025-08-31',
        endsOn: '2026-08-31',
        trial: null,
        cancelled: false,
      },
    ]);
    expect(fresh?.devices.map((d) => d.deviceId)).toEqual(['d-1', 'd-2', 'd-3']);
    // The family is held by the new product only: the old one may not come back beside it.
    expect(codeOf(requestAssignment(changed, 'a-9', request(), lookup, TIMEOUT_MS, on('2025-09-01')))).toBe('CONTRACTS.FAMILY_RULE');
  });

  it('C4 a downgrade recovers with cause downgrade', () => {
    const requested = stateOf(change(holding(), 'ch-1', 'EP-BASIC', '2025-03-01'));
    const decision = activateAssignment(requested, 'ch-1', on('2025-03-01', '10:00:05.000'), SAGAS);
    expect(dataOf<LicensesRecoveredV1>(decision.events, ContractsEvents.licensesRecovered).map((r) => [r.cause, r.lines])).toEqual([
      ['downgrade', [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }]],
      ['downgrade', [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }]],
    ]);
    expect(dataOf<ContractEndedV1>(decision.events, ContractsEvents.contractEnded).map((e) => e.changedTo)).toEqual(['EP-BASIC', 'EP-BASIC']);
  });

  it('C4 a service changed away cannot be renewed, changed or given a module any more', () => {
    const requested = stateOf(change(holding(), 'ch-1', 'EP-ULTRA', '2025-08-31'));
    const changed = activateAssignment(requested, 'ch-1', on('2025-08-31', '10:00:05.000'), SAGAS).state as Client;
    const later = on('2025-09-01');
    expect(codeOf(renew(changed, 'r-1', 12, later))).toBe('CONTRACTS.NO_CONTRACT_IN_FORCE');
    expect(codeOf(change(changed, 'ch-2', 'EP-BASIC', '2025-09-01'))).toBe('CONTRACTS.NO_CONTRACT_IN_FORCE');
    expect(codeOf(requestModule(changed, 'm-1', 'EP-PRO', 'MOD-FW', 1, lookup, TIMEOUT_MS, later))).toBe('CONTRACTS.NO_CONTRACT_IN_FORCE');
  });
});

describe('C7 a module added to a service', () => {
  const addModule = (client: Client, id: string, moduleSkuName: string, quantity: number, ctx: ChangeContext) =>
    requestModule(client, id, 'EP-PRO', moduleSkuName, quantity, lookup, TIMEOUT_MS, ctx);

  it('C7 a module joins for the product term and ends with the product, and expires with it', () => {
    const requested = ok(addModule(holding(), 'm-1', 'MOD-FW', 6, on('2025-06-10')));
    expect(requested.events?.[0]?.data as AssignmentRequestedV1).toEqual({
      assignmentId: 'm-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      lines: [{ sku: 'MOD-FW', termMonths: 12, quantity: 6 }],
      requestedAt: '2025-06-10T10:00:00.000Z',
      kind: 'modules',
    });
    const decision = activateAssignment(requested.state as Client, 'm-1', on('2025-06-10', '10:00:05.000'), SAGAS);
    expect(decision.result).toMatchObject({ outcome: 'activated' });
    const client = decision.state as Client;
    expect(contract(client, 'm-1-1')).toEqual({
      contractId: 'm-1-1',
      sku: 'MOD-FW',
      licenses: 6,
      lines: [{ termMonths: 12, quantity: 6 }],
      startsOn: '2025-06-10',
      endsOn: '2026-03-01',
      trial: null,
      cancelled: false,
      withContract: 'a-1-1',
    });
    expect(client.services[0]?.modules.map((m) => m.sku)).toEqual(['MOD-ENC', 'MOD-FW']);
    expect(decision.events?.[0]).toMatchObject({
      type: ContractsEvents.contractActivated,
      data: {
        kind: 'modules',
        contracts: [{ contractId: 'm-1-1', sku: 'MOD-FW', quantity: 6, startsAt: '2025-06-10T00:00:00.000Z', endsAt: '2026-03-01T00:00:00.000Z' }],
      },
    });
    const expired = tick(client, POLICY, TIMEOUT_MS, on('2026-03-08'));
    expect(dataOf<ContractEndedV1>(expired.events, ContractsEvents.contractEnded).map((e) => [e.contractId, e.reason])).toEqual([
      ['a-1-1', 'expired'],
      ['a-1-2', 'expired'],
      ['m-1-1', 'expired'],
    ]);
  });

  it('C7 a module needs one grouped contract, active (not in grace), and the product must accept it', () => {
    const two = assign(holding(), 'a-2', request({ quantity: 5 }), on('2025-04-01'));
    const refused = addModule(two, 'm-1', 'MOD-FW', 1, on('2025-06-10'));
    expect(codeOf(refused)).toBe('CONTRACTS.GROUPING_REQUIRED');
    expect((refused as Refusal).details).toEqual({ contracts: 2 });
    expect(codeOf(addModule(holding(), 'm-1', 'MOD-FW', 1, on('2026-03-01')))).toBe('CONTRACTS.IN_GRACE');
    expect(codeOf(addModule(holding(), 'm-1', 'MOD-FW', 1, on('2026-03-08')))).toBe('CONTRACTS.NO_CONTRACT_IN_FORCE');
    expect(codeOf(addModule(holding(), 'm-1', 'EDR-CORE', 1, on('2025-06-10')))).toBe('CONTRACTS.MODULE_NOT_COMPATIBLE');
    expect(codeOf(addModule(holding({ termMonths: 24 }), 'm-1', 'MOD-FW', 1, on('2025-06-10')))).toBe('CONTRACTS.TERM_NOT_ALLOWED');
  });

  it('C7 a module has at most as many licenses as the product, counting those it holds already', () => {
    const client = holding();
    ok(addModule(client, 'm-1', 'MOD-ENC', 6, on('2025-06-10')));
    const refused = addModule(client, 'm-1', 'MOD-ENC', 7, on('2025-06-10'));
    expect(codeOf(refused)).toBe('CONTRACTS.MODULE_EXCEEDS_PRODUCT');
    expect((refused as Refusal).details).toEqual({ productLicenses: 10, moduleLicenses: 11 });
  });

  it('C7 the same module id again is a replay; another module under it is refused', () => {
    const pending = stateOf(addModule(holding(), 'm-1', 'MOD-FW', 2, on('2025-06-10')));
    expect(ok(addModule(pending, 'm-1', 'MOD-FW', 2, on('2025-06-10'))).result).toMatchObject({ replayed: true });
    expect(codeOf(addModule(pending, 'm-1', 'MOD-FW', 3, on('2025-06-10')))).toBe('CONTRACTS.IDEMPOTENCY_KEY_REUSED');
  });
});

describe('one saga at a time per service', () => {
  it('a service with a saga waiting for the pool refuses another renewal, change or module until it settles or times out', () => {
    const pending = stateOf(renew(holding(), 'r-1', 12, on('2025-09-01')));
    const meanwhile = on('2025-09-01', '10:00:10.000');
    const busy = renew(pending, 'r-2', 12, meanwhile);
    expect(codeOf(busy)).toBe('CONTRACTS.SERVICE_BUSY');
    expect((busy as Refusal).details).toEqual({ assignmentId: 'r-1' });
    expect(codeOf(requestChange(pending, 'ch-1', 'EP-PRO', 'EP-ULTRA', 12, lookup, TIMEOUT_MS, meanwhile))).toBe('CONTRACTS.SERVICE_BUSY');
    expect(codeOf(requestModule(pending, 'm-1', 'EP-PRO', 'MOD-FW', 1, lookup, TIMEOUT_MS, meanwhile))).toBe('CONTRACTS.SERVICE_BUSY');
    // New licenses of the product are not a saga on the service's contracts.
    ok(requestAssignment(pending, 'a-2', request({ quantity: 1 }), lookup, TIMEOUT_MS, meanwhile));
    ok(renew(pending, 'r-2', 12, on('2025-09-01', '10:00:30.000')));
    const settled = rejectAssignment(pending, 'r-1', { code: 'POOL.INSUFFICIENT_STOCK', reason: 'none left' }, meanwhile, SAGAS).state as Client;
    ok(renew(settled, 'r-2', 12, meanwhile));
  });

  it('a service whose contract is being auto-renewed is busy too', () => {
    const ticked = tick(holding({ autoRenew: true }), POLICY, TIMEOUT_MS, on('2026-03-01')).state as Client;
    const busy = renew(ticked, 'r-1', 12, on('2026-03-01', '10:00:10.000'));
    expect(codeOf(busy)).toBe('CONTRACTS.SERVICE_BUSY');
    expect((busy as Refusal).details).toEqual({ assignmentId: autoRenewalId('a-1-1', '2026-03-01') });
  });
});

describe('C3 auto-renewal', () => {
  const id = autoRenewalId('a-1-1', '2026-03-01');
  const ticked = (): Client => tick(holding({ autoRenew: true }), POLICY, TIMEOUT_MS, on('2026-03-01')).state as Client;

  it('C3 an auto-renewal the pool backs renews the product and its modules for the same term', () => {
    const decision = activateAssignment(ticked(), id, on('2026-03-01', '10:00:05.000'), SAGAS);
    expect(decision.result).toMatchObject({ outcome: 'activated' });
    expect(dataOf<ContractRenewedV1>(decision.events, ContractsEvents.contractRenewed).map((e) => [e.contractId, e.source, e.endsOn])).toEqual([
      ['a-1-1', 'auto-renewal', '2027-03-01'],
      ['a-1-2', 'auto-renewal', '2027-03-01'],
    ]);
    expect(decision.events?.[0]).toMatchObject({ type: ContractsEvents.contractActivated, data: { kind: 'auto-renewal' } });
    const client = decision.state as Client;
    expect(contract(client, 'a-1-1')).not.toHaveProperty('renewingBy');
    expect(client.services[0]?.autoRenewFailure).toBeNull();
  });

  it('C3 an auto-renewal the pool refuses puts the contracts in grace and the service says why', () => {
    const failedAt = on('2026-03-01', '10:00:05.000');
    const answer = { code: 'POOL.INSUFFICIENT_STOCK', reason: 'EP-PRO/12: 10 requested, 3 available' };
    const decision = rejectAssignment(ticked(), id, answer, failedAt, SAGAS);
    expect(decision.result).toBe('rejected');
    expect(typesOf(decision.events)).toEqual([ContractsEvents.autoRenewFailed, ContractsEvents.contractEnteredGrace]);
    expect(dataOf<AutoRenewFailedV1>(decision.events, ContractsEvents.autoRenewFailed)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractIds: ['a-1-1', 'a-1-2'],
        code: 'POOL.INSUFFICIENT_STOCK',
        reason: answer.reason,
        failedAt: '2026-03-01T10:00:05.000Z',
      },
    ]);
    expect(dataOf<ContractEnteredGraceV1>(decision.events, ContractsEvents.contractEnteredGrace)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractIds: ['a-1-1'],
        endsOn: '2026-03-01',
        graceEndsOn: '2026-03-08',
        reason: 'auto-renew-failed',
        enteredAt: '2026-03-01T10:00:05.000Z',
      },
    ]);
    const client = decision.state as Client;
    expect(client.services[0]?.autoRenewFailure).toEqual({ ...answer, at: '2026-03-01T10:00:05.000Z' });
    expect(contract(client, 'a-1-1')).toMatchObject({ graceFor: '2026-03-01' });
    expect(contract(client, 'a-1-1')).not.toHaveProperty('renewingBy');
    // Nothing more until the grace ends; a renewal by hand in grace clears the failure.
    expect(tick(client, POLICY, TIMEOUT_MS, on('2026-03-02')).events).toBeUndefined();
    const renewed = activateAssignment(stateOf(renew(client, 'r-1', 12, on('2026-03-03'))), 'r-1', on('2026-03-03', '10:00:05.000'), SAGAS);
    expect(renewed.state?.services[0]?.autoRenewFailure).toBeNull();
    expect(contract(renewed.state as Client, 'a-1-1')).toMatchObject({ endsOn: '2027-03-01' });
    expect(contract(renewed.state as Client, 'a-1-1')).not.toHaveProperty('graceFor');
  });

  it('C3 an auto-renewal the pool does not answer in time fails the same way, with CONTRACTS.TIMEOUT', () => {
    const decision = timeOutAssignments(ticked(), on('2026-03-01', '10:00:30.000'), SAGAS);
    expect(decision.result).toEqual([id]);
    expect(typesOf(decision.events)).toEqual([
      ContractsEvents.assignmentRejected,
      ContractsEvents.autoRenewFailed,
      ContractsEvents.contractEnteredGrace,
    ]);
    expect(dataOf<ContractEnteredGraceV1>(decision.events, ContractsEvents.contractEnteredGrace)[0]).toMatchObject({
      contractIds: ['a-1-1'],
      reason: 'auto-renew-failed',
    });
    expect(decision.state?.services[0]?.autoRenewFailure).toMatchObject({ code: 'CONTRACTS.TIMEOUT', at: '2026-03-01T10:00:30.000Z' });
  });

  it('C3 a failed saga of another kind leaves the service as it was', () => {
    const pending = stateOf(renew(holding(), 'r-1', 12, on('2025-09-01')));
    const decision = rejectAssignment(pending, 'r-1', { code: 'POOL.INSUFFICIENT_STOCK', reason: 'none left' }, on('2025-09-01'), SAGAS);
    expect(decision.events).toEqual([]);
    expect(decision.state?.services).toEqual(pending.services);
  });
});
