import type { Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type AssignmentRequestedV1,
  type ContractEndedV1,
  type ContractEnteredGraceV1,
  type ContractExpiringV1,
  type DeviceDeactivatedV1,
  type EventDraft,
  type TrialEndedV1,
  type TrialExtendedV1,
} from '@licensing/events';
import { activateAssignment, requestAssignment, type Client, type SkuFacts } from '../src/domain/client.aggregate';
import { autoRenewalId, nextDueOn, tick, withDerived } from '../src/domain/client.lifecycle';
import { requestRenewal, SAGAS } from '../src/domain/client.sagas';
import { activateDevice, recordHeartbeat } from '../src/domain/client.services';
import { extendTrialOf, startTrialOf } from '../src/domain/client.trials';
import { addDays, daysBetween } from '../src/domain/dates';
import { codeOf, dataOf, moduleSku, newClient, ok, on, POLICY, product, request, stateOf, TIMEOUT_MS, typesOf, withCatalog } from './client.fixtures';

const CATALOG: SkuFacts[] = [
  product('EP-PRO'),
  product('EP-TRIAL', { trialEdition: true, terms: [] }),
  product('EDR-TRIAL', { familyCode: 'edr', trialEdition: true, terms: [] }),
  moduleSku('MOD-ENC'),
  moduleSku('MOD-FW'),
];
const { lookup, assign, holding } = withCatalog(CATALOG);

/** What the worker does: tick, then save with the derived fields. */
function ticked(client: Client, day: string, time?: string): { client: Client; events: EventDraft[] } {
  const decision = tick(client, POLICY, TIMEOUT_MS, on(day, time));
  return { client: decision.state ? withDerived(decision.state, POLICY, day) : client, events: decision.events ?? [] };
}

const reminders = (events: EventDraft[]): [string, number][] =>
  dataOf<ContractExpiringV1>(events, ContractsEvents.contractExpiring).map((r) => [r.contractId, r.daysBefore]);

const nothing = { result: { trialsEnded: 0, autoRenewals: [], enteredGrace: [], expired: [], reminders: 0 } };

describe('C11 reminders', () => {
  it('C11 reminders go out 30, 7 and 1 days before the end, once each, for the product contract', () => {
    let client = holding();
    expect(ticked(client, '2026-01-29').events).toEqual([]);
    const first = tick(client, POLICY, TIMEOUT_MS, on('2026-01-30'));
    expect(first.result).toEqual({ ...nothing.result, reminders: 1 });
    expect(dataOf<ContractExpiringV1>(first.events, ContractsEvents.contractExpiring)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'a-1-1',
        endsOn: '2026-03-01',
        daysBefore: 30,
        daysLeft: 30,
        autoRenew: false,
        remindedAt: '2026-01-30T10:00:00.000Z',
      },
    ]);
    client = first.state as Client;
    expect(client.reminders).toEqual([{ contractId: 'a-1-1', endsOn: '2026-03-01', daysBefore: 30 }]);
    expect(tick(client, POLICY, TIMEOUT_MS, on('2026-01-30', '18:00:00.000'))).toEqual(nothing);
    const sent: [string, number][] = [];
    for (let day = '2026-01-31'; day < '2026-03-01'; day = addDays(day, 1)) {
      const next = ticked(client, day);
      sent.push(...reminders(next.events).map(([id, before]): [string, number] => [`${id}@${day}`, before]));
      client = next.client;
    }
    expect(sent).toEqual([
      ['a-1-1@2026-02-22', 7],
      ['a-1-1@2026-02-28', 1],
    ]);
  });

  it('C11 after a clock jump only the latest reminder due is sent, then nothing more that day, and the next step on its day', () => {
    const jumped = ticked(holding(), '2026-02-23');
    expect(reminders(jumped.events)).toEqual([['a-1-1', 7]]);
    expect(dataOf<ContractExpiringV1>(jumped.events, ContractsEvents.contractExpiring)[0]).toMatchObject({ daysBefore: 7, daysLeft: 6 });
    expect(tick(jumped.client, POLICY, TIMEOUT_MS, on('2026-02-23', '23:59:59.999'))).toEqual(nothing);
    expect(ticked(jumped.client, '2026-02-27').events).toEqual([]);
    expect(reminders(ticked(jumped.client, '2026-02-28').events)).toEqual([['a-1-1', 1]]);
    expect(reminders(ticked(holding(), '2026-02-28').events)).toEqual([['a-1-1', 1]]);
  });

  it("C11 a renewal's new end date starts a new series; the old end's reminders are forgotten", () => {
    const reminded = ticked(holding(), '2026-01-30').client;
    const pending = stateOf(requestRenewal(reminded, 'r-1', 'EP-PRO', 12, lookup, TIMEOUT_MS, on('2026-02-01')));
    const renewed = withDerived(activateAssignment(pending, 'r-1', on('2026-02-01', '10:00:05.000'), SAGAS).state as Client, POLICY, '2026-02-01');
    expect(renewed.reminders).toEqual([]);
    expect(renewed.nextDueOn).toBe('2027-01-30');
    expect(ticked(renewed, '2026-02-22').events).toEqual([]);
    const next = ticked(renewed, '2027-01-30');
    expect(dataOf<ContractExpiringV1>(next.events, ContractsEvents.contractExpiring)).toMatchObject([{ endsOn: '2027-03-01', daysBefore: 30 }]);
  });
});

describe('C9 grace and expiry', () => {
  it('C9 at its end a contract without auto-renew enters grace once, then expires after 7 days with its licenses leaving assigned', () => {
    const client = holding();
    const grace = tick(client, POLICY, TIMEOUT_MS, on('2026-03-01'));
    expect(grace.result).toEqual({ ...nothing.result, enteredGrace: ['a-1-1'] });
    expect(typesOf(grace.events)).toEqual([ContractsEvents.contractEnteredGrace]);
    expect(grace.events?.[0]?.data as ContractEnteredGraceV1).toEqual({
      partnerId: 'p-1',
      clientId: 'c-1',
      sku: 'EP-PRO',
      contractIds: ['a-1-1'],
      endsOn: '2026-03-01',
      graceEndsOn: '2026-03-08',
      reason: 'not-renewed',
      enteredAt: '2026-03-01T10:00:00.000Z',
    });
    const inGrace = grace.state as Client;
    expect(tick(inGrace, POLICY, TIMEOUT_MS, on('2026-03-01', '20:00:00.000'))).toEqual(nothing);
    for (let day = '2026-03-02'; day < '2026-03-08'; day = addDays(day, 1)) expect(tick(inGrace, POLICY, TIMEOUT_MS, on(day))).toEqual(nothing);
    const expired = tick(inGrace, POLICY, TIMEOUT_MS, on('2026-03-08'));
    expect(expired.result).toEqual({ ...nothing.result, expired: ['a-1-1', 'a-1-2'] });
    expect(dataOf<ContractEndedV1>(expired.events, ContractsEvents.contractEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        contractId: 'a-1-1',
        reason: 'expired',
        lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        unassigned: [{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }],
        endedOn: '2026-03-08',
        endedAt: '2026-03-08T10:00:00.000Z',
      },
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'MOD-ENC',
        contractId: 'a-1-2',
        reason: 'expired',
        lines: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        unassigned: [{ sku: 'MOD-ENC', termMonths: 12, quantity: 4 }],
        endedOn: '2026-03-08',
        endedAt: '2026-03-08T10:00:00.000Z',
      },
    ]);
    const gone = expired.state as Client;
    expect(gone.services[0]).toMatchObject({ contracts: [], modules: [] });
    expect(gone.services[0]?.ended.map((c) => [c.contractId, c.endedReason])).toEqual([
      ['a-1-1', 'expired'],
      ['a-1-2', 'expired'],
    ]);
    expect(tick(gone, POLICY, TIMEOUT_MS, on('2026-03-08', '20:00:00.000'))).toEqual(nothing);
  });

  it('C9 a clock jump into the grace period still announces it; a jump past it expires without announcing', () => {
    const jumped = tick(holding(), POLICY, TIMEOUT_MS, on('2026-03-05'));
    expect(typesOf(jumped.events)).toEqual([ContractsEvents.contractEnteredGrace]);
    const past = tick(holding(), POLICY, TIMEOUT_MS, on('2026-03-20'));
    expect(typesOf(past.events)).toEqual([ContractsEvents.contractEnded, ContractsEvents.contractEnded]);
    expect(dataOf<ContractEndedV1>(past.events, ContractsEvents.contractEnded)[0]?.endedOn).toBe('2026-03-08');
  });

  it('C9 at expiry the devices beyond the licenses left lose theirs, those seen longest ago first', () => {
    // a-1: 10 licenses end 2026-03-01; a-2: 3 licenses end 2026-06-01.
    let client = assign(holding(), 'a-2', request({ quantity: 3 }), on('2025-06-01'));
    for (let i = 1; i <= 6; i++) client = stateOf(activateDevice(client, 'EP-PRO', `d-${i}`, on('2025-06-02', `10:0${i}:00.000`)));
    client = ticked(client, '2026-03-01').client;
    client = stateOf(recordHeartbeat(client, 'EP-PRO', 'd-2', on('2026-03-05')));
    // In grace the licenses still count: nobody loses one.
    expect(ticked(client, '2026-03-07').events).toEqual([]);
    const expired = tick(client, POLICY, TIMEOUT_MS, on('2026-03-08'));
    expect(typesOf(expired.events)).toEqual([ContractsEvents.contractEnded, ContractsEvents.contractEnded, ContractsEvents.deviceDeactivated]);
    expect(dataOf<DeviceDeactivatedV1>(expired.events, ContractsEvents.deviceDeactivated)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-PRO',
        deviceIds: ['d-1', 'd-3', 'd-4'],
        reason: 'licenses-ended',
        licensesLeft: 3,
        deactivatedAt: '2026-03-08T10:00:00.000Z',
      },
    ]);
    expect(expired.state?.services[0]?.devices.map((d) => d.deviceId)).toEqual(['d-2', 'd-5', 'd-6']);
  });
});

describe('C3 auto-renewal at the end date', () => {
  it('C3 with auto-renew the end date starts an auto-renewal saga for the product and its modules, and no grace', () => {
    const decision = tick(holding({ autoRenew: true }), POLICY, TIMEOUT_MS, on('2026-03-01'));
    const id = autoRenewalId('a-1-1', '2026-03-01');
    expect(id).toBe('auto-a-1-1-2026-03-01');
    expect(decision.result).toEqual({ ...nothing.result, autoRenewals: [id] });
    expect(typesOf(decision.events)).toEqual([ContractsEvents.assignmentRequested]);
    expect(decision.events?.[0]).toMatchObject({ correlationId: id });
    expect(decision.events?.[0]?.data as AssignmentRequestedV1).toEqual({
      assignmentId: id,
      partnerId: 'p-1',
      clientId: 'c-1',
      lines: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
      ],
      requestedAt: '2026-03-01T10:00:00.000Z',
      kind: 'auto-renewal',
    });
    const client = decision.state as Client;
    expect(client.assignments.at(-1)).toMatchObject({
      assignmentId: id,
      kind: 'auto-renewal',
      status: 'pending',
      deadline: '2026-03-01T10:00:30.000Z',
    });
    expect(client.services[0]?.contracts[0]).toMatchObject({ contractId: 'a-1-1', renewingBy: id });
    expect(tick(client, POLICY, TIMEOUT_MS, on('2026-03-01', '10:00:10.000'))).toEqual(nothing);
    expect(tick(client, POLICY, TIMEOUT_MS, on('2026-03-02'))).toEqual(nothing);
  });

  it('C3 contracts sharing an end date are auto-renewed each by its own saga, their modules asked for once', () => {
    let client = holding({ autoRenew: true });
    client = assign(client, 'a-2', request({ quantity: 5, autoRenew: true }), on('2025-03-01'));
    const decision = tick(client, POLICY, TIMEOUT_MS, on('2026-03-01'));
    expect(decision.result.autoRenewals).toEqual([autoRenewalId('a-1-1', '2026-03-01'), autoRenewalId('a-2-1', '2026-03-01')]);
    const lines = dataOf<AssignmentRequestedV1>(decision.events, ContractsEvents.assignmentRequested).flatMap((r) => r.lines);
    expect(lines).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
      { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
      { sku: 'EP-PRO', termMonths: 12, quantity: 5 },
    ]);
    let renewed = decision.state as Client;
    for (const id of decision.result.autoRenewals) renewed = activateAssignment(renewed, id, on('2026-03-01', '10:00:05.000'), SAGAS).state as Client;
    expect(renewed.services[0]?.modules[0]?.contracts.map((c) => [c.contractId, c.endsOn])).toEqual([['a-1-2', '2027-03-01']]);
  });

  it('C3 a product with two modules asks for each module once', () => {
    const modules = [
      { sku: 'MOD-ENC', quantity: 4 },
      { sku: 'MOD-FW', quantity: 2 },
    ];
    const decision = tick(holding({ autoRenew: true, modules }), POLICY, TIMEOUT_MS, on('2026-03-01'));
    expect(dataOf<AssignmentRequestedV1>(decision.events, ContractsEvents.assignmentRequested).map((r) => r.lines)).toEqual([
      [
        { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
        { sku: 'MOD-FW', termMonths: 12, quantity: 2 },
      ],
    ]);
  });

  it('C3 a monthly contract is not auto-renewed here (M4 renews it with points) and gets no reminders', () => {
    const monthly = assign(newClient(), 'a-1', request({ termMonths: 1, autoRenew: true }), on('2025-03-15'));
    expect(tick(monthly, POLICY, TIMEOUT_MS, on('2025-03-31'))).toEqual(nothing);
    expect(tick(monthly, POLICY, TIMEOUT_MS, on('2025-04-01'))).toEqual(nothing);
  });
});

describe('C10 trials', () => {
  /** A trial of EP-TRIAL from 2025-03-01 (ends 2025-03-31) with devices d-1…d-4, d-1 seen most recently. */
  function trialWithDevices(): Client {
    let client = stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-01')));
    for (let i = 1; i <= 4; i++) client = stateOf(activateDevice(client, 'EP-TRIAL', `d-${i}`, on('2025-03-02', `10:0${i}:00.000`)));
    return stateOf(recordHeartbeat(client, 'EP-TRIAL', 'd-1', on('2025-03-05')));
  }

  it('C10 a trial ends at its end, its devices lose their license, and another trial of it waits 90 days', () => {
    const client = ticked(trialWithDevices(), '2025-03-01').client;
    expect(ticked(client, '2025-03-30').events.filter((e) => e.type !== ContractsEvents.contractExpiring)).toEqual([]);
    const ended = tick(client, POLICY, TIMEOUT_MS, on('2025-03-31'));
    expect(ended.result).toEqual({ ...nothing.result, trialsEnded: 1 });
    expect(typesOf(ended.events)).toEqual([ContractsEvents.trialEnded, ContractsEvents.deviceDeactivated]);
    expect(dataOf<TrialEndedV1>(ended.events, ContractsEvents.trialEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-TRIAL',
        contractId: 't-1',
        converted: false,
        movedDevices: 0,
        endedOn: '2025-03-31',
        blockedUntil: '2025-06-29',
        endedAt: '2025-03-31T10:00:00.000Z',
      },
    ]);
    expect(dataOf<DeviceDeactivatedV1>(ended.events, ContractsEvents.deviceDeactivated)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-TRIAL',
        deviceIds: ['d-2', 'd-3', 'd-4', 'd-1'],
        reason: 'trial-ended',
        licensesLeft: 0,
        deactivatedAt: '2025-03-31T10:00:00.000Z',
      },
    ]);
    const after = ended.state as Client;
    expect(after.services[0]).toMatchObject({ contracts: [], devices: [] });
    expect(after.trials).toEqual([{ sku: 'EP-TRIAL', endsOn: '2025-03-31' }]);
    expect(tick(after, POLICY, TIMEOUT_MS, on('2025-03-31', '20:00:00.000'))).toEqual(nothing);
    const blocked = startTrialOf(after, 'EP-TRIAL', 't-2', lookup, on('2025-06-28'));
    expect(codeOf(blocked)).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect((blocked as Refusal).details).toEqual({ blockedUntil: '2025-06-29' });
    ok(startTrialOf(after, 'EDR-TRIAL', 't-2', lookup, on('2025-04-01')));
    expect(ok(startTrialOf(after, 'EP-TRIAL', 't-2', lookup, on('2025-06-29'))).result).toMatchObject({
      startsOn: '2025-06-29',
      endsOn: '2025-07-29',
    });
  });

  it('C10 a trial is extended once, by 30 days, so it runs 60 days at most', () => {
    const client = stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-01')));
    const decision = ok(extendTrialOf(client, 'EP-TRIAL', on('2025-03-20')));
    expect(decision.result).toMatchObject({ endsOn: '2025-04-30', trial: { extended: true } });
    expect(dataOf<TrialExtendedV1>(decision.events, ContractsEvents.trialExtended)).toEqual([
      { partnerId: 'p-1', clientId: 'c-1', sku: 'EP-TRIAL', contractId: 't-1', endsOn: '2025-04-30', extendedAt: '2025-03-20T10:00:00.000Z' },
    ]);
    const extended = decision.state as Client;
    expect(codeOf(extendTrialOf(extended, 'EP-TRIAL', on('2025-03-21')))).toBe('CONTRACTS.TRIAL_EXTENDED_ALREADY');
    expect(tick(extended, POLICY, TIMEOUT_MS, on('2025-03-31')).result.trialsEnded).toBe(0);
    const ended = tick(extended, POLICY, TIMEOUT_MS, on('2025-04-30'));
    expect(dataOf<TrialEndedV1>(ended.events, ContractsEvents.trialEnded)[0]).toMatchObject({ endedOn: '2025-04-30', blockedUntil: '2025-07-29' });
    expect(daysBetween('2025-03-01', '2025-04-30')).toBe(60);
    // Before and after the sweep moved it to the history, the same answer: the trial has ended.
    expect(codeOf(extendTrialOf(ended.state as Client, 'EP-TRIAL', on('2025-04-30')))).toBe('CONTRACTS.TRIAL_ENDED');
    expect(codeOf(extendTrialOf(ended.state as Client, 'EP-OTHER', on('2025-04-30')))).toBe('CONTRACTS.TRIAL_NOT_FOUND');
    expect(codeOf(extendTrialOf(client, 'EP-TRIAL', on('2025-03-31')))).toBe('CONTRACTS.TRIAL_ENDED');
  });

  it('C10 a paid product of the family converts the running trial: devices move most recently seen first up to its licenses', () => {
    const requested = stateOf(requestAssignment(trialWithDevices(), 'a-1', request({ quantity: 2 }), lookup, TIMEOUT_MS, on('2025-03-10')));
    const decision = activateAssignment(requested, 'a-1', on('2025-03-10', '10:00:05.000'));
    expect(typesOf(decision.events)).toEqual([ContractsEvents.contractActivated, ContractsEvents.trialEnded, ContractsEvents.deviceDeactivated]);
    expect(dataOf<TrialEndedV1>(decision.events, ContractsEvents.trialEnded)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-TRIAL',
        contractId: 't-1',
        converted: true,
        convertedTo: 'EP-PRO',
        movedDevices: 2,
        endedOn: '2025-03-10',
        blockedUntil: '2025-06-08',
        endedAt: '2025-03-10T10:00:05.000Z',
      },
    ]);
    expect(dataOf<DeviceDeactivatedV1>(decision.events, ContractsEvents.deviceDeactivated)).toEqual([
      {
        partnerId: 'p-1',
        clientId: 'c-1',
        sku: 'EP-TRIAL',
        deviceIds: ['d-2', 'd-3'],
        reason: 'trial-converted',
        licensesLeft: 0,
        deactivatedAt: '2025-03-10T10:00:05.000Z',
      },
    ]);
    const client = decision.state as Client;
    const [trial, paid] = client.services;
    expect(paid?.devices.map((d) => d.deviceId)).toEqual(['d-1', 'd-4']);
    expect(trial).toMatchObject({ sku: 'EP-TRIAL', contracts: [], devices: [] });
    expect(trial?.ended).toMatchObject([{ contractId: 't-1', endsOn: '2025-03-10' }]);
    expect(client.trials).toEqual([{ sku: 'EP-TRIAL', endsOn: '2025-03-10' }]);
    expect(codeOf(startTrialOf(client, 'EP-TRIAL', 't-2', lookup, on('2025-06-07')))).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect(tick(client, POLICY, TIMEOUT_MS, on('2025-03-31')).result.trialsEnded).toBe(0);
  });
});

describe('the sweep index', () => {
  it('nextDueOn is the first day something falls due: each reminder, the end, the grace end', () => {
    let client = withDerived(holding(), POLICY, '2025-03-01');
    expect(client.nextDueOn).toBe('2026-01-30');
    const dues: string[] = [];
    for (const day of ['2026-01-30', '2026-02-22', '2026-02-28', '2026-03-01']) {
      client = ticked(client, day).client;
      dues.push(client.nextDueOn as string);
    }
    expect(dues).toEqual(['2026-02-22', '2026-02-28', '2026-03-01', '2026-03-08']);
    expect(ticked(client, '2026-03-08').client.nextDueOn).toBeNull();
    expect(nextDueOn(holding(), POLICY, '2026-02-23')).toBe('2026-01-30');
  });

  it('nextDueOn of a trial is its end (and its reminders); monthly skus are derived', () => {
    const trial = withDerived(stateOf(startTrialOf(newClient(), 'EP-TRIAL', 't-1', lookup, on('2025-03-10'))), POLICY, '2025-03-10');
    // C11: a 30-day trial gets no "30 days left" on its first day: its first reminder is the 7-day one.
    expect(trial.nextDueOn).toBe('2025-04-02');
    expect(ticked(trial, '2025-03-10').events).toEqual([]);
    const monthly = withDerived(assign(newClient(), 'a-1', request({ termMonths: 1 }), on('2025-03-15')), POLICY, '2025-03-15');
    expect(monthly).toMatchObject({ monthlySkus: ['EP-PRO'], nextDueOn: '2025-04-08' });
    expect(withDerived(holding(), POLICY, '2025-03-01').monthlySkus).toEqual([]);
  });

  it('a sweep that ticks only on nextDueOn sends exactly what a tick every day sends', () => {
    const start = withDerived(assign(holding({ autoRenew: false }), 'a-2', request({ quantity: 3 }), on('2025-06-01')), POLICY, '2025-06-01');
    const daily: string[] = [];
    const swept: string[] = [];
    let everyDay = start;
    let bySweep = start;
    for (let day = '2026-01-01'; day <= '2026-06-30'; day = addDays(day, 1)) {
      const a = ticked(everyDay, day);
      everyDay = a.client;
      daily.push(...a.events.map((e) => `${day} ${e.type}`));
      if (bySweep.nextDueOn !== null && bySweep.nextDueOn <= day) {
        const b = ticked(bySweep, day);
        bySweep = b.client;
        swept.push(...b.events.map((e) => `${day} ${e.type}`));
      }
    }
    expect(swept).toEqual(daily);
    expect(daily).toEqual([
      `2026-01-30 ${ContractsEvents.contractExpiring}`,
      `2026-02-22 ${ContractsEvents.contractExpiring}`,
      `2026-02-28 ${ContractsEvents.contractExpiring}`,
      `2026-03-01 ${ContractsEvents.contractEnteredGrace}`,
      `2026-03-08 ${ContractsEvents.contractEnded}`,
      `2026-03-08 ${ContractsEvents.contractEnded}`,
      `2026-05-02 ${ContractsEvents.contractExpiring}`,
      `2026-05-25 ${ContractsEvents.contractExpiring}`,
      `2026-05-31 ${ContractsEvents.contractExpiring}`,
      `2026-06-01 ${ContractsEvents.contractEnteredGrace}`,
      `2026-06-08 ${ContractsEvents.contractEnded}`,
    ]);
    expect(everyDay).toEqual(bySweep);
  });
});
