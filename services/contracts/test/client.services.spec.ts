import type { Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type ContractEndedV1,
  type DeviceActivatedV1,
  type DeviceDeactivatedV1,
  type DeviceRemovedV1,
  type EventDraft,
  type LicenseLine,
  type LicensesRecoveredV1,
  type ServiceGroupedV1,
} from '@licensing/events';
import type { Client, SkuFacts } from '../src/domain/client.aggregate';
import { requestRenewal } from '../src/domain/client.sagas';
import {
  activateDevice,
  cancelContract,
  groupService,
  previewCancellation,
  previewGrouping,
  recordHeartbeat,
  removeDevice,
  updateService,
} from '../src/domain/client.services';
import { startTrialOf } from '../src/domain/client.trials';
import { daysBetween } from '../src/domain/dates';
import { codeOf, dataOf, moduleSku, newClient, ok, on, product, request, stateOf, TIMEOUT_MS, typesOf, withCatalog } from './client.fixtures';

const CATALOG: SkuFacts[] = [
  product('EP-PRO'),
  product('EP-SELF', { familyCode: 'self-only', managementModels: ['self'] }),
  product('EP-TRIAL', { trialEdition: true, terms: [] }),
  moduleSku('MOD-ENC'),
];
const { lookup, assign, holding: holdingWith } = withCatalog(CATALOG);

/** EP-PRO: N licenses for 12 months from 2025-03-01 to 2026-03-01 (365 days), with 4 of MOD-ENC (a-1-1, a-1-2). */
const holding = (quantity = 10): Client => holdingWith({ quantity });

/** EP-PRO alone: 3 licenses from 2025-03-01 to 2026-03-01. */
const threeLicenses = (): Client => assign(newClient(), 'a-1', request({ quantity: 3 }), on('2025-03-01'));

/** Devices d-1…d-n activated a minute apart from 10:01 on the day, so d-1 is the one seen longest ago. */
function withDevices(client: Client, count: number, day: string): Client {
  let next = client;
  for (let i = 1; i <= count; i++) next = stateOf(activateDevice(next, 'EP-PRO', `d-${i}`, on(day, `10:0${i}:00.000`)));
  return next;
}

/** Every licenses-recovered line of a decision, merged per (sku, term): what the pool is credited. */
function credited(events: EventDraft[] | undefined): LicenseLine[] {
  const merged = new Map<string, LicenseLine>();
  for (const line of dataOf<LicensesRecoveredV1>(events, ContractsEvents.licensesRecovered).flatMap((r) => r.lines)) {
    const key = `${line.sku}/${line.termMonths}`;
    const seen = merged.get(key);
    merged.set(key, { ...line, quantity: (seen?.quantity ?? 0) + line.quantity });
  }
  return [...merged.values()];
}

describe('C5 cancellation', () => {
  it('C5 the dry run answers exactly what the cancellation credits, and a product takes its modules with it', () => {
    const client = holding();
    const ctx = on('2025-08-31');
    const preview = previewCancellation(client, 'a-1-1', ctx);
    const decision = ok(cancelContract(client, 'a-1-1', ctx));
    // 182 of 365 days left: 10 × 182 ÷ 365 = 4.99 → 4; 4 × 182 ÷ 365 = 1.99 → 1
    expect(preview).toEqual({
      contracts: [
        { contractId: 'a-1-1', sku: 'EP-PRO', recovered: [{ sku: 'EP-PRO', termMonths: 12, quantity: 4 }] },
        { contractId: 'a-1-2', sku: 'MOD-ENC', recovered: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 1 }] },
      ],
      recovered: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 4 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 1 },
      ],
      deactivatedDevices: [],
      dryRun: true,
    });
    expect(decision.result).toEqual({ ...(preview as object), dryRun: false });
    expect(credited(decision.events)).toEqual(decision.result.recovered);
    expect(typesOf(decision.events)).toEqual([
      ContractsEvents.licensesRecovered,
      ContractsEvents.contractEnded,
      ContractsEvents.licensesRecovered,
      ContractsEvents.contractEnded,
    ]);
    expect(dataOf<LicensesRecoveredV1>(decision.events, ContractsEvents.licensesRecovered)[0]).toEqual({
      recoveryId: 'cancel:a-1-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      contractId: 'a-1-1',
      cause: 'cancellation',
      lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 4 }],
      recoveredAt: '2025-08-31T10:00:00.000Z',
    });
    expect(dataOf<ContractEndedV1>(decision.events, ContractsEvents.contractEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'a-1-1',
        reason: 'cancelled',
        lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        unassigned: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        endedOn: '2025-08-31',
        endedAt: '2025-08-31T10:00:00.000Z',
      },
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'MOD-ENC',
        contractId: 'a-1-2',
        reason: 'cancelled',
        lines: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        unassigned: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        endedOn: '2025-08-31',
        endedAt: '2025-08-31T10:00:00.000Z',
      },
    ]);
    const service = decision.state?.services[0];
    expect(service).toMatchObject({ contracts: [], modules: [] });
    expect(service?.ended.map((c) => [c.contractId, c.endedReason, c.endedOn, c.cancelled])).toEqual([
      ['a-1-1', 'cancelled', '2025-08-31', true],
      ['a-1-2', 'cancelled', '2025-08-31', true],
    ]);
  });

  it.each([
    ['C5 on the first day all N come back', 10, '2025-03-01', [10, 4]],
    ['C5 the day after, 10 × 364 ÷ 365 rounds down to 9', 10, '2025-03-02', [9, 3]],
    ['C5 on the last day one day of 365 remains: 400 × 1 ÷ 365 = 1, 4 × 1 ÷ 365 = 0', 400, '2026-02-28', [1, 0]],
    ['C5 in grace nothing comes back', 10, '2026-03-01', [0, 0]],
    ['C5 on the last grace day nothing comes back', 10, '2026-03-07', [0, 0]],
  ])('%s, the dry run saying the same', (_, quantity, day, [productBack, moduleBack]) => {
    const client = holding(quantity);
    const preview = previewCancellation(client, 'a-1-1', on(day));
    const decision = ok(cancelContract(client, 'a-1-1', on(day)));
    const expected = [
      ...(productBack ? [{ sku: 'EP-PRO', termMonths: 12, quantity: productBack }] : []),
      ...(moduleBack ? [{ sku: 'MOD-ENC', termMonths: 12, quantity: moduleBack }] : []),
    ];
    expect(decision.result.recovered).toEqual(expected);
    expect(preview).toEqual({ ...decision.result, dryRun: true });
    expect(credited(decision.events)).toEqual(expected);
    // Whatever comes back, both contracts end and all their licenses leave the pool's assigned.
    expect(dataOf<ContractEndedV1>(decision.events, ContractsEvents.contractEnded).map((e) => [e.contractId, e.reason, e.unassigned])).toEqual([
      ['a-1-1', 'cancelled', [{ sku: 'EP-PRO', termMonths: 12, quantity }]],
      ['a-1-2', 'cancelled', [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }]],
    ]);
  });

  it('C5 C7 of two product contracts assigned the same day, cancelling one takes only its own modules with it', () => {
    const two = assign(holding(), 'a-2', request({ quantity: 6, modules: [{ sku: 'MOD-ENC', quantity: 5 }] }), on('2025-03-01'));
    const decision = ok(cancelContract(two, 'a-2-1', on('2025-03-01')));
    expect(decision.result.contracts.map((c) => c.contractId)).toEqual(['a-2-1', 'a-2-2']);
    expect(credited(decision.events)).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 6 },
      { sku: 'MOD-ENC', termMonths: 12, quantity: 5 },
    ]);
    expect(decision.state?.services[0]?.contracts.map((c) => c.contractId)).toEqual(['a-1-1']);
    expect(decision.state?.services[0]?.modules[0]?.contracts.map((c) => c.contractId)).toEqual(['a-1-2']);
  });

  it('C5 cancelling a module ends only the module', () => {
    const decision = ok(cancelContract(holding(), 'a-1-2', on('2025-03-01')));
    expect(decision.result.contracts.map((c) => c.contractId)).toEqual(['a-1-2']);
    expect(credited(decision.events)).toEqual([{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }]);
    expect(decision.state?.services[0]?.contracts.map((c) => c.contractId)).toEqual(['a-1-1']);
    expect(decision.state?.services[0]?.modules).toEqual([]);
  });

  it('C9 devices beyond the licenses left lose theirs, those seen longest ago first, and the dry run says which', () => {
    let client = assign(holding(), 'a-2', request({ quantity: 3 }), on('2025-04-01'));
    client = withDevices(client, 6, '2025-04-01');
    client = stateOf(recordHeartbeat(client, 'EP-PRO', 'd-1', on('2025-05-01')));
    // Most recently seen: d-1, d-6, d-5, d-4, d-3, d-2; 3 licenses are left.
    const ctx = on('2025-08-31');
    const preview = previewCancellation(client, 'a-1-1', ctx);
    const decision = ok(cancelContract(client, 'a-1-1', ctx));
    expect(decision.result.deactivatedDevices.sort()).toEqual(['d-2', 'd-3', 'd-4']);
    expect(preview).toEqual({ ...decision.result, dryRun: true });
    expect(dataOf<DeviceDeactivatedV1>(decision.events, ContractsEvents.deviceDeactivated)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        deviceIds: ['d-2', 'd-3', 'd-4'],
        reason: 'contract-cancelled',
        licensesLeft: 3,
        deactivatedAt: '2025-08-31T10:00:00.000Z',
      },
    ]);
    expect(decision.state?.services[0]?.devices.map((d) => d.deviceId)).toEqual(['d-1', 'd-5', 'd-6']);
  });

  it('C5 a trial, an ended or expired contract and an unknown one cannot be cancelled', () => {
    const trial = stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-01')));
    expect(codeOf(cancelContract(trial, 't-1', on('2025-03-02')))).toBe('CONTRACTS.NOT_CANCELLABLE');
    expect(codeOf(previewCancellation(trial, 't-1', on('2025-03-02')))).toBe('CONTRACTS.NOT_CANCELLABLE');
    const cancelled = stateOf(cancelContract(holding(), 'a-1-1', on('2025-08-31')));
    expect(codeOf(cancelContract(cancelled, 'a-1-1', on('2025-09-01')))).toBe('CONTRACTS.NOT_CANCELLABLE');
    expect(codeOf(cancelContract(cancelled, 'a-1-2', on('2025-09-01')))).toBe('CONTRACTS.NOT_CANCELLABLE');
    expect(codeOf(cancelContract(holding(), 'a-1-1', on('2026-03-08')))).toBe('CONTRACTS.NOT_CANCELLABLE');
    expect(codeOf(cancelContract(holding(), 'a-9-1', on('2025-08-31')))).toBe('CONTRACTS.CONTRACT_NOT_FOUND');
    expect(codeOf(previewCancellation(holding(), 'a-9-1', on('2025-08-31')))).toBe('CONTRACTS.CONTRACT_NOT_FOUND');
    expect(codeOf(cancelContract(null, 'a-1-1', on('2025-08-31')))).toBe('CONTRACTS.CLIENT_NOT_FOUND');
  });
});

describe('C6 grouping', () => {
  /**
   * a-1: 10 for 12 months from 2025-03-01 (ends 2026-03-01) with 4 of MOD-ENC;
   * a-2: 5 for 24 months from 2025-06-01 (ends 2027-06-01) with 2 of MOD-ENC.
   */
  const mixed = (): Client =>
    assign(holding(), 'a-2', request({ termMonths: 24, quantity: 5, modules: [{ sku: 'MOD-ENC', quantity: 2 }] }), on('2025-06-01'));
  const ctx = on('2025-09-01');

  it('C6 mixed remaining days: the group ends today + floor(Σ licenses × days ÷ Σ licenses), keeping its lines per term', () => {
    // 181 and 638 days left: (10 × 181 + 5 × 638) ÷ 15 = 333.3 → 333 days
    expect([daysBetween('2025-09-01', '2026-03-01'), daysBetween('2025-09-01', '2027-06-01')]).toEqual([181, 638]);
    const decision = ok(groupService(mixed(), 'EP-PRO', 'g-1', ctx));
    expect(daysBetween('2025-09-01', '2026-07-31')).toBe(333);
    expect(decision.result).toEqual({
      sku: 'EP-PRO',
      contract: {
        contractId: 'g-1',
        licenses: 15,
        lines: [
          { termMonths: 12, quantity: 10 },
          { termMonths: 24, quantity: 5 },
        ],
        startsOn: '2025-09-01',
        endsOn: '2026-07-31',
      },
      replaced: ['a-1-1', 'a-2-1'],
      modules: [{ sku: 'MOD-ENC', contractId: 'g-1-m1', licenses: 6, replaced: ['a-1-2', 'a-2-2'] }],
      dryRun: false,
    });
    const service = decision.state?.services[0];
    expect(service?.contracts).toEqual([
      {
        contractId: 'g-1',
        sku: 'EP-PRO',
        licenses: 15,
        lines: [
          { termMonths: 12, quantity: 10 },
          { termMonths: 24, quantity: 5 },
        ],
        startsOn: '2025-09-01',
        endsOn: '2026-07-31',
        trial: null,
        cancelled: false,
      },
    ]);
    expect(service?.modules).toEqual([
      {
        sku: 'MOD-ENC',
        contracts: [
          {
            contractId: 'g-1-m1',
            sku: 'MOD-ENC',
            licenses: 6,
            lines: [
              { termMonths: 12, quantity: 4 },
              { termMonths: 24, quantity: 2 },
            ],
            startsOn: '2025-09-01',
            endsOn: '2026-07-31',
            trial: null,
            cancelled: false,
            withContract: 'g-1',
          },
        ],
      },
    ]);
    expect(service?.ended.map((c) => [c.contractId, c.endedReason])).toEqual([
      ['a-1-1', 'grouped'],
      ['a-2-1', 'grouped'],
      ['a-1-2', 'grouped'],
      ['a-2-2', 'grouped'],
    ]);
  });

  it('C6 the events: service-grouped with the lines per term, and contract-ended (grouped) with nothing leaving assigned', () => {
    const decision = ok(groupService(mixed(), 'EP-PRO', 'g-1', ctx));
    expect(typesOf(decision.events)).toEqual([ContractsEvents.serviceGrouped, ...Array<string>(4).fill(ContractsEvents.contractEnded)]);
    expect(dataOf<ServiceGroupedV1>(decision.events, ContractsEvents.serviceGrouped)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'g-1',
        replaced: ['a-1-1', 'a-2-1'],
        startsOn: '2025-09-01',
        endsOn: '2026-07-31',
        lines: [
          { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
          { sku: 'EP-PRO', termMonths: 24, quantity: 5 },
        ],
        modules: [
          {
            sku: 'MOD-ENC',
            contractId: 'g-1-m1',
            replaced: ['a-1-2', 'a-2-2'],
            lines: [
              { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
              { sku: 'MOD-ENC', termMonths: 24, quantity: 2 },
            ],
          },
        ],
        groupedAt: '2025-09-01T10:00:00.000Z',
      },
    ]);
    const ended = dataOf<ContractEndedV1>(decision.events, ContractsEvents.contractEnded);
    expect(ended.map((e) => [e.contractId, e.reason, e.groupedInto, e.unassigned, e.endedOn])).toEqual([
      ['a-1-1', 'grouped', 'g-1', [], '2025-09-01'],
      ['a-2-1', 'grouped', 'g-1', [], '2025-09-01'],
      ['a-1-2', 'grouped', 'g-1-m1', [], '2025-09-01'],
      ['a-2-2', 'grouped', 'g-1-m1', [], '2025-09-01'],
    ]);
    expect(ended[1]?.lines).toEqual([{ sku: 'EP-PRO', termMonths: 24, quantity: 5 }]);
  });

  it('C6 the dry run answers exactly what the grouping does, and changes nothing', () => {
    const client = mixed();
    const real = ok(groupService(client, 'EP-PRO', 'g-1', ctx));
    expect(previewGrouping(client, 'EP-PRO', 'g-1', ctx)).toEqual({ ...real.result, dryRun: true });
  });

  it('C6 a grouped service may be renewed early (C3) and recovers per term (C5)', () => {
    const grouped = stateOf(groupService(mixed(), 'EP-PRO', 'g-1', ctx));
    ok(requestRenewal(grouped, 'r-1', 'EP-PRO', 12, lookup, TIMEOUT_MS, on('2025-09-02')));
    // 333 days total, 333 left on its first day: every line comes back whole.
    expect(ok(cancelContract(grouped, 'g-1', ctx)).result.recovered).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
      { sku: 'EP-PRO', termMonths: 24, quantity: 5 },
      { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
      { sku: 'MOD-ENC', termMonths: 24, quantity: 2 },
    ]);
  });

  it('C6 annual and monthly contracts cannot be grouped, nor one contract alone', () => {
    const both = assign(holding(), 'a-2', request({ termMonths: 1, quantity: 2 }), on('2025-06-10'));
    expect(codeOf(groupService(both, 'EP-PRO', 'g-1', on('2025-06-20')))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(previewGrouping(both, 'EP-PRO', 'g-1', on('2025-06-20')))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(groupService(holding(), 'EP-PRO', 'g-1', ctx))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(groupService(holding(), 'EP-BASIC', 'g-1', ctx))).toBe('CONTRACTS.SERVICE_NOT_FOUND');
  });
});

describe('C8 devices', () => {
  it('C8 devices are activated up to the licenses in force, then refused', () => {
    const client = withDevices(threeLicenses(), 3, '2025-03-02');
    expect(client.services[0]?.devices).toEqual([
      { deviceId: 'd-1', lastSeenAt: '2025-03-02T10:01:00.000Z' },
      { deviceId: 'd-2', lastSeenAt: '2025-03-02T10:02:00.000Z' },
      { deviceId: 'd-3', lastSeenAt: '2025-03-02T10:03:00.000Z' },
    ]);
    const refused = activateDevice(client, 'EP-PRO', 'd-4', on('2025-03-02'));
    expect(codeOf(refused)).toBe('CONTRACTS.NO_FREE_LICENSE');
    expect((refused as Refusal).details).toEqual({ licenses: 3, activeDevices: 3 });
  });

  it('C8 an activation says so in an event; the same device again changes nothing', () => {
    const decision = ok(activateDevice(threeLicenses(), 'EP-PRO', 'd-1', on('2025-03-02')));
    expect(decision.result).toEqual({ device: { deviceId: 'd-1', lastSeenAt: '2025-03-02T10:00:00.000Z' }, created: true });
    expect(dataOf<DeviceActivatedV1>(decision.events, ContractsEvents.deviceActivated)).toEqual([
      { partnerId: 'p-1', clientId: 'c-1', sku: 'EP-PRO', deviceId: 'd-1', activatedAt: '2025-03-02T10:00:00.000Z' },
    ]);
    const again = ok(activateDevice(decision.state as Client, 'EP-PRO', 'd-1', on('2025-03-05')));
    expect(again).toEqual({ result: { device: { deviceId: 'd-1', lastSeenAt: '2025-03-02T10:00:00.000Z' }, created: false } });
  });

  it('C8 removing a device gives its license back', () => {
    const full = withDevices(threeLicenses(), 3, '2025-03-02');
    const decision = ok(removeDevice(full, 'EP-PRO', 'd-2', on('2025-03-03')));
    expect(decision.result).toEqual({ deviceId: 'd-2', lastSeenAt: '2025-03-02T10:02:00.000Z' });
    expect(dataOf<DeviceRemovedV1>(decision.events, ContractsEvents.deviceRemoved)).toEqual([
      { partnerId: 'p-1', clientId: 'c-1', sku: 'EP-PRO', deviceId: 'd-2', removedAt: '2025-03-03T10:00:00.000Z' },
    ]);
    ok(activateDevice(decision.state as Client, 'EP-PRO', 'd-4', on('2025-03-03')));
    expect(codeOf(removeDevice(decision.state as Client, 'EP-PRO', 'd-2', on('2025-03-03')))).toBe('CONTRACTS.DEVICE_NOT_FOUND');
  });

  it('C8 a heartbeat records when the device was last seen', () => {
    const client = withDevices(threeLicenses(), 2, '2025-03-02');
    const decision = ok(recordHeartbeat(client, 'EP-PRO', 'd-1', on('2025-04-15', '08:30:00.000')));
    expect(decision.result).toEqual({ deviceId: 'd-1', lastSeenAt: '2025-04-15T08:30:00.000Z' });
    expect(decision.state?.services[0]?.devices).toEqual([
      { deviceId: 'd-1', lastSeenAt: '2025-04-15T08:30:00.000Z' },
      { deviceId: 'd-2', lastSeenAt: '2025-03-02T10:02:00.000Z' },
    ]);
    expect(codeOf(recordHeartbeat(client, 'EP-PRO', 'd-9', on('2025-04-15')))).toBe('CONTRACTS.DEVICE_NOT_FOUND');
  });

  it('C8 only licenses active or in grace count: none once the contract has expired', () => {
    const client = threeLicenses();
    ok(activateDevice(client, 'EP-PRO', 'd-1', on('2026-03-07')));
    const refused = activateDevice(client, 'EP-PRO', 'd-1', on('2026-03-08'));
    expect((refused as Refusal).details).toEqual({ licenses: 0, activeDevices: 0 });
  });
});

describe('PATCH of a service', () => {
  it('the management model changes only to one the product allows', () => {
    const client = holding();
    const decision = ok(updateService(client, 'EP-PRO', { managementModel: 'delegated' }, lookup, on('2025-04-01')));
    expect(decision.result).toMatchObject({ sku: 'EP-PRO', managementModel: 'delegated', autoRenew: false });
    expect(decision.state?.services[0]?.managementModel).toBe('delegated');
    expect(decision.events).toBeUndefined();
    const selfOnly = assign(newClient(), 'a-1', request({ sku: 'EP-SELF', modules: [] }), on('2025-03-01'));
    const refused = updateService(selfOnly, 'EP-SELF', { managementModel: 'delegated' }, lookup, on('2025-04-01'));
    expect(codeOf(refused)).toBe('CONTRACTS.MANAGEMENT_MODEL_NOT_ALLOWED');
    expect((refused as Refusal).details).toEqual({ managementModels: ['self'] });
  });

  it('auto-renew is switched on and off; the same values change nothing; a trial is never auto-renewed', () => {
    const on1 = ok(updateService(holding(), 'EP-PRO', { autoRenew: true }, lookup, on('2025-04-01')));
    expect(on1.state?.services[0]?.autoRenew).toBe(true);
    expect(
      ok(updateService(on1.state as Client, 'EP-PRO', { autoRenew: true, managementModel: 'self' }, lookup, on('2025-04-02'))).state,
    ).toBeUndefined();
    const trial = stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-01')));
    expect(codeOf(updateService(trial, 'EP-TRIAL', { autoRenew: true }, lookup, on('2025-03-02')))).toBe('CONTRACTS.TRIAL_NOT_RENEWABLE');
    expect(codeOf(updateService(trial, 'EP-PRO', { autoRenew: true }, lookup, on('2025-03-02')))).toBe('CONTRACTS.SERVICE_NOT_FOUND');
  });
});
