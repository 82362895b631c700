import { isRefusal } from '@licensing/domain';
import {
  activationRefusal,
  contractStatus,
  devicesLosingLicense,
  endOfTerm,
  group,
  licensesInForce,
  recovery,
  renewal,
  type Contract,
  type Device,
  type Grouping,
  type Renewal,
} from '../src/domain/contract.rules';
import { addDays, addMonths, daysBetween, firstOfNextMonth, formatDay, isCalendarDay, parseDay } from '../src/domain/dates';
import { familyRefusal, moduleRefusal } from '../src/domain/family.rules';
import { DEFAULT_REMINDER_DAYS, reminderDue, type Reminder } from '../src/domain/reminders';
import { convertTrial, extendTrial, startTrial, type Conversion } from '../src/domain/trial.rules';

const codeOf = (result: unknown): string | undefined => (isRefusal(result) ? result.code : undefined);

/** Asserts the result is not a refusal, so a test reads the value and fails with the refusal otherwise. */
function ok<T>(result: T): Exclude<T, { refused: true }> {
  expect(isRefusal(result) ? result : undefined).toBeUndefined();
  return result as Exclude<T, { refused: true }>;
}

/** 10 licenses of EP-PRO for 12 months, 2025-03-01 to 2026-03-01 (365 days). */
const annual = (overrides: Partial<Contract> = {}): Contract => ({
  contractId: 'k-1',
  sku: 'EP-PRO',
  licenses: 10,
  lines: [{ termMonths: 12, quantity: 10 }],
  startsOn: '2025-03-01',
  endsOn: '2026-03-01',
  trial: null,
  cancelled: false,
  ...overrides,
});

const monthly = (overrides: Partial<Contract> = {}): Contract =>
  annual({ lines: [{ termMonths: 1, quantity: 10 }], startsOn: '2025-03-15', endsOn: '2025-04-01', ...overrides });

const device = (deviceId: string, lastSeenAt: string): Device => ({ deviceId, lastSeenAt });

describe('Dates: UTC calendar days', () => {
  it('Dates adding months clamps to the month end (Jan 31 + 1 month = Feb 28 or 29)', () => {
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2025-08-31', 1)).toBe('2025-09-30');
    expect(addMonths('2025-03-31', -1)).toBe('2025-02-28');
    expect(addMonths('2025-12-15', 1)).toBe('2026-01-15');
    expect(addMonths('2025-01-15', -1)).toBe('2024-12-15');
  });

  it('Dates leap days: Feb 29 + 12 months = Feb 28, + 48 months = Feb 29', () => {
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addMonths('2028-02-29', 48)).toBe('2032-02-29');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2028-02-29', 1)).toBe('2028-03-01');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(daysBetween('2028-01-01', '2029-01-01')).toBe(366);
    expect(daysBetween('2027-01-01', '2028-01-01')).toBe(365);
  });

  it('Dates daysBetween is signed and crosses years', () => {
    expect(daysBetween('2025-12-31', '2026-01-01')).toBe(1);
    expect(daysBetween('2025-03-10', '2025-03-01')).toBe(-9);
    expect(daysBetween('2025-03-01', '2025-03-01')).toBe(0);
  });

  it('Dates firstOfNextMonth is the 1st after the day, even from a 1st', () => {
    expect(firstOfNextMonth('2025-03-15')).toBe('2025-04-01');
    expect(firstOfNextMonth('2025-03-01')).toBe('2025-04-01');
    expect(firstOfNextMonth('2025-12-31')).toBe('2026-01-01');
    expect(firstOfNextMonth('2028-02-29')).toBe('2028-03-01');
  });

  it('Dates parse and format days in UTC and refuse days that do not exist', () => {
    expect(parseDay('2028-02-29').toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(formatDay(new Date('2025-03-01T23:59:59.999Z'))).toBe('2025-03-01');
    expect(formatDay(new Date('2025-03-01T01:00:00+02:00'))).toBe('2025-02-28');
    expect(['2028-02-29', '2000-02-29'].map(isCalendarDay)).toEqual([true, true]);
    expect(['2027-02-29', '2100-02-29', '2025-13-01', '2025-04-31', '2025-1-01', '2025-03-01T00:00:00Z'].map(isCalendarDay)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(() => parseDay('2027-02-29')).toThrow('not a calendar day');
    expect(() => addMonths('2025-02-30', 1)).toThrow('not a calendar day');
  });
});

describe('Contract status and the grace window (C9)', () => {
  it('C9 a contract is active before endsOn, in grace from endsOn for 7 days, then expired', () => {
    const contract = annual();
    expect(contractStatus(contract, '2025-03-01')).toBe('active');
    expect(contractStatus(contract, '2026-02-28')).toBe('active');
    expect(contractStatus(contract, '2026-03-01')).toBe('in-grace');
    expect(contractStatus(contract, '2026-03-07')).toBe('in-grace');
    expect(contractStatus(contract, '2026-03-08')).toBe('expired');
  });

  it('C9 a cancelled contract stays cancelled whatever the day', () => {
    const contract = annual({ cancelled: true });
    expect(['2025-03-01', '2026-03-03', '2027-01-01'].map((day) => contractStatus(contract, day))).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('C10 a trial has no grace: it expires on its end date', () => {
    const trial = annual({ trial: { extended: false }, lines: [], endsOn: '2025-03-31' });
    expect(contractStatus(trial, '2025-03-30')).toBe('active');
    expect(contractStatus(trial, '2025-03-31')).toBe('expired');
  });
});

describe('C2 contract terms', () => {
  it('C2 an annual contract ends term months after its start, clamped to the month end', () => {
    expect(endOfTerm('2025-03-01', 12)).toBe('2026-03-01');
    expect(endOfTerm('2028-02-29', 12)).toBe('2029-02-28');
    expect(endOfTerm('2025-01-31', 24)).toBe('2027-01-31');
    expect(endOfTerm('2025-01-31', 36)).toBe('2028-01-31');
  });

  it('C2 a monthly contract ends on the 1st of the next month', () => {
    expect(endOfTerm('2025-03-15', 1)).toBe('2025-04-01');
    expect(endOfTerm('2025-03-01', 1)).toBe('2025-04-01');
    expect(endOfTerm('2025-12-31', 1)).toBe('2026-01-01');
  });
});

describe('C5 recovery', () => {
  it('C5 recovery on the first day gives back all N licenses with their term', () => {
    expect(recovery(annual(), '2025-03-01')).toEqual([{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }]);
  });

  it('C5 recovery rounds down: the second day gives back 9 of 10 (10 × 364 ÷ 365 = 9.97)', () => {
    expect(recovery(annual(), '2025-03-02')).toEqual([{ sku: 'EP-PRO', termMonths: 12, quantity: 9 }]);
    // 10 × 182 ÷ 365 = 4.99
    expect(recovery(annual(), '2025-08-31')).toEqual([{ sku: 'EP-PRO', termMonths: 12, quantity: 4 }]);
  });

  it('C5 recovery on the last day counts one remaining day', () => {
    expect(recovery(annual(), '2026-02-28')).toEqual([]);
    // 400 × 1 ÷ 365 = 1.09
    expect(recovery(annual({ licenses: 400, lines: [{ termMonths: 12, quantity: 400 }] }), '2026-02-28')).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 1 },
    ]);
  });

  it('C5 recovery gives nothing once the end is reached', () => {
    const big = annual({ licenses: 400, lines: [{ termMonths: 12, quantity: 400 }] });
    expect(recovery(big, '2026-03-01')).toEqual([]);
    expect(recovery(big, '2026-03-05')).toEqual([]);
    expect(recovery(big, '2027-01-01')).toEqual([]);
  });

  it('C5 recovery never gives back more than N, even before the start', () => {
    // 10 × 546 ÷ 365 = 14.96
    expect(recovery(annual(), '2024-09-01')).toEqual([{ sku: 'EP-PRO', termMonths: 12, quantity: 10 }]);
  });

  it('C5 recovery never applies to a trial, nor again to a cancelled contract', () => {
    expect(recovery(annual({ trial: { extended: false }, lines: [] }), '2025-03-01')).toEqual([]);
    expect(recovery(annual({ cancelled: true }), '2025-03-01')).toEqual([]);
  });

  it('C5 recovery of a grouped contract credits each term line by the formula', () => {
    const grouped = annual({
      licenses: 10,
      lines: [
        { termMonths: 12, quantity: 6 },
        { termMonths: 24, quantity: 4 },
      ],
    });
    // 6 × 182 ÷ 365 = 2.99; 4 × 182 ÷ 365 = 1.99
    expect(recovery(grouped, '2025-08-31')).toEqual([
      { sku: 'EP-PRO', termMonths: 12, quantity: 2 },
      { sku: 'EP-PRO', termMonths: 24, quantity: 1 },
    ]);
  });
});

describe('C3 renewal', () => {
  const renewed = (result: ReturnType<typeof renewal>): Renewal => ok(result);

  it('C3 renewal adds the term to the old end and takes N licenses of that term from the pool', () => {
    expect(renewed(renewal(annual(), 12, '2025-09-01'))).toEqual({
      endsOn: '2027-03-01',
      take: { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
      early: true,
    });
    expect(renewed(renewal(annual(), 24, '2025-09-01')).endsOn).toBe('2028-03-01');
  });

  it('C3 renewal of an end on Feb 29 lands on Feb 28', () => {
    expect(renewed(renewal(annual({ endsOn: '2028-02-29' }), 12, '2028-01-10')).endsOn).toBe('2029-02-28');
  });

  it('C3 renewal too early: the end must be less than 12 months away', () => {
    expect(codeOf(renewal(annual(), 12, '2025-03-01'))).toBe('CONTRACTS.RENEWAL_TOO_EARLY');
    expect(renewed(renewal(annual(), 12, '2025-03-02')).early).toBe(true);
  });

  it('C3 renewal too early across a leap day: an end on 2028-02-29 opens on 2027-03-01', () => {
    const contract = annual({ startsOn: '2026-02-28', endsOn: '2028-02-29' });
    expect(codeOf(renewal(contract, 12, '2027-02-28'))).toBe('CONTRACTS.RENEWAL_TOO_EARLY');
    expect(renewed(renewal(contract, 12, '2027-03-01')).endsOn).toBe('2029-02-28');
  });

  it('C3 renewal in grace is allowed until the last grace day, and is not early', () => {
    expect(renewed(renewal(annual(), 12, '2026-03-01'))).toMatchObject({ endsOn: '2027-03-01', early: false });
    expect(renewed(renewal(annual(), 12, '2026-03-07'))).toMatchObject({ endsOn: '2027-03-01', early: false });
  });

  it('C3 renewal after expiry is refused: it is a new sale', () => {
    expect(codeOf(renewal(annual(), 12, '2026-03-08'))).toBe('CONTRACTS.CONTRACT_EXPIRED');
  });

  it('C3 renewal of a cancelled contract or a trial is refused', () => {
    expect(codeOf(renewal(annual({ cancelled: true }), 12, '2025-09-01'))).toBe('CONTRACTS.CONTRACT_CANCELLED');
    expect(codeOf(renewal(annual({ trial: { extended: false }, lines: [] }), 12, '2025-09-01'))).toBe('CONTRACTS.TRIAL_NOT_RENEWABLE');
  });

  it('C3 renewal keeps annual annual and monthly monthly', () => {
    expect(codeOf(renewal(annual(), 1, '2025-09-01'))).toBe('CONTRACTS.TERM_MISMATCH');
    expect(codeOf(renewal(monthly(), 12, '2025-03-20'))).toBe('CONTRACTS.TERM_MISMATCH');
    expect(renewed(renewal(monthly(), 1, '2025-03-20'))).toEqual({
      endsOn: '2025-05-01',
      take: { sku: 'EP-PRO', termMonths: 1, quantity: 10 },
      early: true,
    });
  });
});

describe('C6 grouping', () => {
  const today = '2025-06-01';
  // 92 days left (June 30 + July 31 + August 31)
  const a = annual({ contractId: 'a', licenses: 10, lines: [{ termMonths: 12, quantity: 10 }], startsOn: '2024-09-01', endsOn: '2025-09-01' });
  // 365 days left
  const b = annual({ contractId: 'b', licenses: 5, lines: [{ termMonths: 24, quantity: 5 }], startsOn: '2024-06-01', endsOn: '2026-06-01' });
  // in grace (ended 2025-05-28): 0 days left
  const c = annual({ contractId: 'c', licenses: 3, lines: [{ termMonths: 12, quantity: 3 }], startsOn: '2024-05-28', endsOn: '2025-05-28' });

  it('C6 grouping ends today + floor(Σ licenses × daysRemaining ÷ Σ licenses) days and keeps the lines per term', () => {
    // (10 × 92 + 5 × 365 + 3 × 0) ÷ 18 = 152.5 → 152 days
    const grouping: Grouping = ok(group([a, b, c], 'g-1', today));
    expect(grouping).toEqual({
      contract: {
        contractId: 'g-1',
        sku: 'EP-PRO',
        licenses: 18,
        lines: [
          { termMonths: 12, quantity: 13 },
          { termMonths: 24, quantity: 5 },
        ],
        startsOn: '2025-06-01',
        endsOn: '2025-10-31',
        trial: null,
        cancelled: false,
      },
      replaced: ['a', 'b', 'c'],
    });
    expect(daysBetween(today, grouping.contract.endsOn)).toBe(152);
  });

  it('C6 grouping weighs by licenses: the same contracts with other counts end elsewhere', () => {
    // (1 × 92 + 9 × 365) ÷ 10 = 337.7 → 337 days
    const grouping = ok(group([annual({ ...a, licenses: 1 }), annual({ ...b, licenses: 9 })], 'g-1', today));
    expect(grouping.contract.endsOn).toBe(addDays(today, 337));
    expect(grouping.contract.endsOn).toBe('2026-05-04');
  });

  it('C6 grouping refuses annual and monthly together', () => {
    const m = monthly({ contractId: 'm', startsOn: '2025-06-01', endsOn: '2025-07-01' });
    expect(codeOf(group([a, m], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(ok(group([m, monthly({ contractId: 'n', startsOn: '2025-06-01', endsOn: '2025-07-01' })], 'g-1', today)).contract.endsOn).toBe(
      '2025-07-01',
    );
  });

  it('C6 grouping refuses one contract, other products, trials, ended contracts and groups with no day left', () => {
    expect(codeOf(group([a], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(group([a, annual({ ...b, sku: 'EP-ENC' })], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(group([a, annual({ ...b, trial: { extended: false }, lines: [] })], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(group([a, annual({ ...b, cancelled: true })], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(group([a, annual({ ...c, endsOn: '2025-05-25' })], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
    expect(codeOf(group([c, annual({ ...c, contractId: 'd' })], 'g-1', today))).toBe('CONTRACTS.NOT_GROUPABLE');
  });
});

describe('C8 device activation', () => {
  const today = '2026-03-03';
  const contracts = [
    annual({ contractId: 'active', licenses: 10, endsOn: '2027-03-01' }),
    annual({ contractId: 'grace', licenses: 3, endsOn: '2026-03-01' }),
    annual({ contractId: 'expired', licenses: 5, endsOn: '2026-02-01' }),
    annual({ contractId: 'cancelled', licenses: 7, endsOn: '2027-03-01', cancelled: true }),
  ];

  it('C8 activations count the licenses of contracts active or in grace only', () => {
    expect(licensesInForce(contracts, today)).toBe(13);
    expect(activationRefusal(contracts, 12, today)).toBeUndefined();
    expect(codeOf(activationRefusal(contracts, 13, today))).toBe('CONTRACTS.NO_FREE_LICENSE');
    // once the grace ends, only the active contract's 10 remain
    expect(codeOf(activationRefusal(contracts, 10, '2026-03-08'))).toBe('CONTRACTS.NO_FREE_LICENSE');
  });
});

describe('C9 expiry and devices', () => {
  const devices = [
    device('d-mid', '2026-02-20T10:00:00.000Z'),
    device('d-new', '2026-03-01T08:00:00.000Z'),
    device('d-old', '2026-01-05T10:00:00.000Z'),
    device('d-older', '2025-12-24T10:00:00.000Z'),
  ];

  it('C9 when devices exceed the licenses left, those seen longest ago lose their license first', () => {
    expect(devicesLosingLicense(devices, 2).map((d) => d.deviceId)).toEqual(['d-older', 'd-old']);
    expect(devicesLosingLicense(devices, 0).map((d) => d.deviceId)).toEqual(['d-older', 'd-old', 'd-mid', 'd-new']);
    expect(devicesLosingLicense(devices, 4)).toEqual([]);
    expect(devicesLosingLicense(devices, 10)).toEqual([]);
  });

  it('C9 devices seen at the same instant are ordered by id, so a replay decides the same', () => {
    const tied = [device('d-b', '2026-01-01T00:00:00.000Z'), device('d-a', '2026-01-01T00:00:00.000Z'), device('d-c', '2026-02-01T00:00:00.000Z')];
    expect(devicesLosingLicense(tied, 2).map((d) => d.deviceId)).toEqual(['d-b']);
    expect(devicesLosingLicense([...tied].reverse(), 2).map((d) => d.deviceId)).toEqual(['d-b']);
  });
});

describe('C10 trials', () => {
  const started = (devices = 250, trials: { sku: string; endsOn: string }[] = [], today = '2025-03-01'): Contract =>
    ok(startTrial('t-1', 'EP-TRIAL', devices, trials, today));

  it('C10 a trial runs 30 days for at most 250 devices and takes nothing from the pool', () => {
    expect(started()).toEqual({
      contractId: 't-1',
      sku: 'EP-TRIAL',
      licenses: 250,
      lines: [],
      startsOn: '2025-03-01',
      endsOn: '2025-03-31',
      trial: { extended: false },
      cancelled: false,
    });
    expect(codeOf(startTrial('t-1', 'EP-TRIAL', 251, [], '2025-03-01'))).toBe('CONTRACTS.TOO_MANY_DEVICES');
  });

  it('C10 a trial is extended once by 30 days from its end, 60 days at most', () => {
    const extended = ok(extendTrial(started(), '2025-03-30'));
    expect(extended).toMatchObject({ endsOn: '2025-04-30', trial: { extended: true } });
    expect(daysBetween(extended.startsOn, extended.endsOn)).toBe(60);
    expect(codeOf(extendTrial(extended, '2025-04-01'))).toBe('CONTRACTS.TRIAL_EXTENDED_ALREADY');
  });

  it('C10 an ended trial, or a paid contract, cannot be extended', () => {
    expect(codeOf(extendTrial(started(), '2025-03-31'))).toBe('CONTRACTS.TRIAL_ENDED');
    expect(codeOf(extendTrial(annual(), '2025-03-30'))).toBe('CONTRACTS.NOT_A_TRIAL');
  });

  it('C10 after a trial of a product ends, another trial of it waits 90 days', () => {
    const past = [{ sku: 'EP-TRIAL', endsOn: '2025-03-31' }];
    const blocked = startTrial('t-2', 'EP-TRIAL', 10, past, '2025-06-28');
    expect(codeOf(blocked)).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect(isRefusal(blocked) && blocked.details).toEqual({ blockedUntil: '2025-06-29' });
    expect(started(10, past, '2025-06-29').endsOn).toBe('2025-07-29');
  });

  it('C10 the 90-day block counts from the latest trial, concerns only that product, and covers a running trial', () => {
    const past = [
      { sku: 'EP-TRIAL', endsOn: '2025-05-31' },
      { sku: 'EP-TRIAL', endsOn: '2024-01-31' },
      { sku: 'EDR-TRIAL', endsOn: '2025-06-20' },
    ];
    expect(codeOf(startTrial('t-2', 'EP-TRIAL', 10, past, '2025-08-28'))).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect(started(10, past, '2025-08-29').startsOn).toBe('2025-08-29');
    expect(codeOf(startTrial('t-2', 'EP-TRIAL', 10, [{ sku: 'EP-TRIAL', endsOn: '2025-03-31' }], '2025-03-10'))).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect(started(10, [{ sku: 'EDR-TRIAL', endsOn: '2025-03-31' }], '2025-03-10').sku).toBe('EP-TRIAL');
  });

  it('C10 converting ends the trial today and moves devices up to the paid licenses, most recently seen first', () => {
    const devices = [
      device('d-old', '2025-03-02T09:00:00.000Z'),
      device('d-new', '2025-03-10T09:00:00.000Z'),
      device('d-mid', '2025-03-05T09:00:00.000Z'),
    ];
    const conversion: Conversion = ok(convertTrial(started(), devices, 2, '2025-03-12'));
    expect(conversion.moved.map((d) => d.deviceId)).toEqual(['d-new', 'd-mid']);
    expect(conversion.left.map((d) => d.deviceId)).toEqual(['d-old']);
    expect(conversion.trial.endsOn).toBe('2025-03-12');
    expect(contractStatus(conversion.trial, '2025-03-12')).toBe('expired');
    expect(ok(convertTrial(started(), devices, 5, '2025-03-12')).left).toEqual([]);
    // the block starts at the conversion, not at the trial's planned end
    expect(codeOf(startTrial('t-2', 'EP-TRIAL', 10, [conversion.trial], '2025-06-09'))).toBe('CONTRACTS.TRIAL_BLOCKED');
    expect(started(10, [conversion.trial], '2025-06-10').startsOn).toBe('2025-06-10');
  });

  it('C10 a trial that has ended cannot be converted', () => {
    expect(codeOf(convertTrial(started(), [], 5, '2025-03-31'))).toBe('CONTRACTS.TRIAL_ENDED');
  });
});

describe('C11 reminders', () => {
  const endsOn = '2026-03-01';
  const schedule = DEFAULT_REMINDER_DAYS;

  /** Drives the reminder check on each given day, recording what is sent as the aggregate would. */
  function run(days: string[], sent: Reminder[] = [], end = endsOn): Reminder[] {
    for (const today of days) {
      const due = reminderDue(end, schedule, sent, today);
      if (due) sent.push({ endsOn: due.endsOn, daysBefore: due.daysBefore });
    }
    return sent;
  }

  it('C11 reminders follow the default schedule 30, 7, 1 days before the end, each once', () => {
    const everyDay = Array.from({ length: 45 }, (_, i) => addDays('2026-01-15', i));
    expect(run([...everyDay, ...everyDay])).toEqual([
      { endsOn, daysBefore: 30 },
      { endsOn, daysBefore: 7 },
      { endsOn, daysBefore: 1 },
    ]);
  });

  it('C11 reminders are due from their day on: 30 days before, not 31', () => {
    expect(reminderDue(endsOn, schedule, [], '2026-01-29')).toBeUndefined();
    expect(reminderDue(endsOn, schedule, [], '2026-01-30')).toEqual({ endsOn, daysBefore: 30, daysLeft: 30 });
  });

  it('C11 reminders after a clock jump from 40 days to 2 days before send only the 7-day one, and nothing twice', () => {
    expect(reminderDue(endsOn, schedule, [], '2026-01-20')).toBeUndefined();
    expect(reminderDue(endsOn, schedule, [], '2026-02-27')).toEqual({ endsOn, daysBefore: 7, daysLeft: 2 });
    const sent = run(['2026-01-20', '2026-02-27', '2026-02-27', '2026-02-28', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(sent).toEqual([
      { endsOn, daysBefore: 7 },
      { endsOn, daysBefore: 1 },
    ]);
  });

  it('C11 reminders after a jump past the last step send only the 1-day one; none on or after the end', () => {
    expect(run(['2026-01-20', '2026-02-28'])).toEqual([{ endsOn, daysBefore: 1 }]);
    expect(run(['2026-03-01', '2026-03-05'])).toEqual([]);
  });

  it('C11 reminders start again for a new end date after a renewal', () => {
    const sent = run(['2026-01-30', '2026-02-22', '2026-02-28']);
    expect(run(['2026-02-28', '2027-01-30'], sent, '2027-03-01').slice(3)).toEqual([{ endsOn: '2027-03-01', daysBefore: 30 }]);
  });

  it('C11 reminders follow a configured schedule', () => {
    expect(reminderDue(endsOn, [14, 3], [], '2026-02-15')).toEqual({ endsOn, daysBefore: 14, daysLeft: 14 });
    expect(reminderDue(endsOn, [14, 3], [], '2026-01-30')).toBeUndefined();
    expect(reminderDue(endsOn, [14, 3], [{ endsOn, daysBefore: 14 }], '2026-02-20')).toBeUndefined();
    expect(reminderDue(endsOn, [14, 3], [{ endsOn, daysBefore: 14 }], '2026-02-26')).toEqual({ endsOn, daysBefore: 3, daysLeft: 3 });
  });
});

describe('C1 family rule', () => {
  const pro = { sku: 'EP-PRO', familyCode: 'endpoint', trialEdition: false };
  const ultra = { sku: 'EP-ULTRA', familyCode: 'endpoint', trialEdition: false };
  const trial = { sku: 'EP-TRIAL', familyCode: 'endpoint', trialEdition: true };
  const patch = { sku: 'PATCH', familyCode: 'patch', trialEdition: false };

  it('C1 family rule: a client cannot hold two products of one family', () => {
    const refusal = familyRefusal([patch, pro], ultra);
    expect(codeOf(refusal)).toBe('CONTRACTS.FAMILY_RULE');
    expect(refusal?.details).toEqual({ familyCode: 'endpoint', heldSku: 'EP-PRO' });
  });

  it('C1 family rule: a trial edition on either side is allowed', () => {
    expect(familyRefusal([pro], trial)).toBeUndefined();
    expect(familyRefusal([trial], ultra)).toBeUndefined();
  });

  it('C1 family rule: more of the same product, or another family, is allowed', () => {
    expect(familyRefusal([pro], pro)).toBeUndefined();
    expect(familyRefusal([pro], patch)).toBeUndefined();
  });
});

describe('C7 modules', () => {
  const product = { sku: 'EP-PRO', moduleSkus: ['EP-ENC', 'EP-FW'] };

  it('C7 modules: at most as many licenses as the product', () => {
    expect(moduleRefusal(product, 10, 'EP-ENC', 10)).toBeUndefined();
    expect(codeOf(moduleRefusal(product, 10, 'EP-ENC', 11))).toBe('CONTRACTS.MODULE_EXCEEDS_PRODUCT');
  });

  it('C7 modules attach only to a product that accepts them', () => {
    expect(codeOf(moduleRefusal(product, 10, 'PATCH-ADDON', 1))).toBe('CONTRACTS.MODULE_NOT_COMPATIBLE');
  });
});
