import { refuse, type Refusal } from '@licensing/domain';
import { ContractsCodes } from './contracts.errors';
import { byMostRecentlySeen, type Contract, type Device } from './contract.rules';
import { addDays, type CalendarDay } from './dates';

export const TRIAL_DAYS = 30;
export const TRIAL_EXTENSION_DAYS = 30;
export const TRIAL_MAX_DEVICES = 250;
/** After a trial of a product ends, the client waits this long before another trial of it. */
export const TRIAL_BLOCK_DAYS = 90;

/** A trial the client held or holds; `endsOn` is the day it ended (a converted one: the day of conversion). */
export type TrialRecord = Pick<Contract, 'sku' | 'endsOn'>;

/** C10: a trial of `sku` for up to 250 devices, from today for 30 days, unless a trial of it ended less than 90 days ago. */
export function startTrial(contractId: string, sku: string, devices: number, trials: readonly TrialRecord[], today: CalendarDay): Contract | Refusal {
  if (devices > TRIAL_MAX_DEVICES) {
    return refuse('invalid', ContractsCodes.tooManyDevices, `a trial covers at most ${TRIAL_MAX_DEVICES} devices, ${devices} requested`);
  }
  const blockedUntil = trials
    .filter((t) => t.sku === sku)
    .map((t) => addDays(t.endsOn, TRIAL_BLOCK_DAYS))
    .sort()
    .at(-1);
  if (blockedUntil !== undefined && today < blockedUntil) {
    return refuse('conflict', ContractsCodes.trialBlocked, `this client can start another trial of ${sku} on ${blockedUntil}`, { blockedUntil });
  }
  return {
    contractId,
    sku,
    licenses: devices,
    lines: [],
    startsOn: today,
    endsOn: addDays(today, TRIAL_DAYS),
    trial: { extended: false },
    cancelled: false,
  };
}

function runningTrial(contract: Contract, today: CalendarDay): Refusal | undefined {
  if (contract.trial === null) return refuse('invalid', ContractsCodes.notATrial, `contract ${contract.contractId} is not a trial`);
  if (contract.cancelled || today >= contract.endsOn) {
    return refuse('conflict', ContractsCodes.trialEnded, `the trial ${contract.contractId} has ended`);
  }
  return undefined;
}

/** C10: one 30-day extension from the trial's end, while it runs (60 days at most). */
export function extendTrial(contract: Contract, today: CalendarDay): Contract | Refusal {
  const refusal = runningTrial(contract, today);
  if (refusal) return refusal;
  if (contract.trial?.extended) {
    return refuse(
      'conflict',
      ContractsCodes.trialExtendedAlready,
      `the trial ${contract.contractId} was extended already: it ends on ${contract.endsOn}`,
    );
  }
  return { ...contract, endsOn: addDays(contract.endsOn, TRIAL_EXTENSION_DAYS), trial: { extended: true } };
}

export interface Conversion {
  /** The trial, ended today (its 90-day block starts today). */
  trial: Contract;
  /** Devices that move to the paid service, most recently seen first. */
  moved: Device[];
  /** Devices beyond the paid licenses: they lose their license. */
  left: Device[];
}

/** C10: a paid product of the family while the trial runs ends the trial and moves its devices, up to the paid licenses. */
export function convertTrial(contract: Contract, devices: readonly Device[], paidLicenses: number, today: CalendarDay): Conversion | Refusal {
  const refusal = runningTrial(contract, today);
  if (refusal) return refusal;
  const ordered = byMostRecentlySeen(devices);
  return { trial: { ...contract, endsOn: today }, moved: ordered.slice(0, paidLicenses), left: ordered.slice(paidLicenses) };
}
