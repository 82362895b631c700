import { refuse, type Refusal } from '@licensing/domain';
import type { LicenseLine, Term } from '@licensing/events';
import { ContractsCodes } from './contracts.errors';
import { addDays, addMonths, daysBetween, firstOfNextMonth, type CalendarDay } from './dates';

export const MONTHLY_TERM = 1;
export const GRACE_DAYS = 7;
/** C3: early renewal only when the end is less than this many months away. */
export const EARLY_RENEWAL_MONTHS = 12;

/** Licenses of one term within a contract. */
export interface TermLicenses {
  termMonths: Term;
  quantity: number;
}

/** N licenses of one sku assigned to one client, from `startsOn` to `endsOn`. */
export interface Contract {
  contractId: string;
  sku: string;
  /** N: how many devices it lets run. */
  licenses: number;
  /**
   * Where its licenses came from, by term: one line when assigned, its parts' lines once grouped
   * (C6). Recovery credits them back with these terms (C5). None for a trial (no pool).
   */
  lines: TermLicenses[];
  startsOn: CalendarDay;
  endsOn: CalendarDay;
  /** Set on a trial edition's contract (C10), null on a paid one. */
  trial: { extended: boolean } | null;
  cancelled: boolean;
  /** Monthly licenses of this contract that lapsed in the pool (M4): they no longer count as assigned there. */
  lapsed?: number;
  /** The event whose lapse sent this monthly contract into grace. */
  lapsedBy?: string;
  /** The end date whose grace period was announced (contract-entered-grace). */
  graceFor?: CalendarDay;
  /** The auto-renewal saga started at its end date, while the pool answers. */
  renewingBy?: string;
  /** For a module's contract: the product contract it was assigned, added or grouped with (C7: it renews, expires and is cancelled with it). */
  withContract?: string;
}

export type ContractStatus = 'active' | 'in-grace' | 'expired' | 'cancelled';

/** A device on a service, with its last heartbeat (an ISO instant). */
export interface Device {
  deviceId: string;
  lastSeenAt: string;
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

export const isMonthly = (contract: Pick<Contract, 'lines'>): boolean =>
  contract.lines.length > 0 && contract.lines.every((line) => line.termMonths === MONTHLY_TERM);

/**
 * Active while today < endsOn, in grace for 7 days from endsOn, then expired. A trial has no
 * grace: it would outlast C10's 60 days at most.
 */
export function contractStatus(contract: Pick<Contract, 'endsOn' | 'trial' | 'cancelled'>, today: CalendarDay): ContractStatus {
  if (contract.cancelled) return 'cancelled';
  if (today < contract.endsOn) return 'active';
  if (contract.trial === null && today < addDays(contract.endsOn, GRACE_DAYS)) return 'in-grace';
  return 'expired';
}

const inForce = (contract: Contract, today: CalendarDay): boolean => ['active', 'in-grace'].includes(contractStatus(contract, today));

/** C2: the end of a contract starting on `startsOn`; a monthly one ends on the 1st of the next month. */
export const endOfTerm = (startsOn: CalendarDay, termMonths: Term): CalendarDay =>
  termMonths === MONTHLY_TERM ? firstOfNextMonth(startsOn) : addMonths(startsOn, termMonths);

/**
 * C5: what cancelling or changing the contract today gives back to the pool, by term:
 * floor(quantity × daysRemaining ÷ daysTotal) of each line, omitting lines that give nothing.
 * A trial gives nothing back, nor does a cancelled contract (it gave back when it was cancelled).
 */
export function recovery(contract: Contract, today: CalendarDay): LicenseLine[] {
  if (contract.trial !== null || contract.cancelled) return [];
  const daysTotal = daysBetween(contract.startsOn, contract.endsOn);
  const daysRemaining = Math.max(0, daysBetween(today, contract.endsOn));
  if (daysTotal <= 0 || daysRemaining === 0) return [];
  return contract.lines
    .map((line) => ({
      sku: contract.sku,
      termMonths: line.termMonths,
      quantity: Math.min(line.quantity, Math.floor((line.quantity * daysRemaining) / daysTotal)),
    }))
    .filter((line) => line.quantity > 0);
}

export interface Renewal {
  endsOn: CalendarDay;
  /** The licenses the renewal takes from the pool: N of the renewal's term. */
  take: LicenseLine;
  /** Renewed before its end: the service must be grouped first (C6). */
  early: boolean;
}

/** C3: new end = old end + term months, while active or in grace; early only within 12 months of the end. */
export function renewal(contract: Contract, termMonths: Term, today: CalendarDay): Renewal | Refusal {
  if (contract.trial !== null) {
    return refuse('invalid', ContractsCodes.trialNotRenewable, `contract ${contract.contractId} is a trial: it is extended once, not renewed`);
  }
  const status = contractStatus(contract, today);
  if (status === 'cancelled') return refuse('conflict', ContractsCodes.contractCancelled, `contract ${contract.contractId} is cancelled`);
  if (status === 'expired') {
    return refuse(
      'conflict',
      ContractsCodes.contractExpired,
      `contract ${contract.contractId} expired on ${addDays(contract.endsOn, GRACE_DAYS)}: assign the product anew (a new sale)`,
    );
  }
  if ((termMonths === MONTHLY_TERM) !== isMonthly(contract)) {
    return refuse('invalid', ContractsCodes.termMismatch, 'a monthly contract renews for 1 month, an annual one for 12, 24 or 36 months');
  }
  if (status === 'active' && contract.endsOn >= addMonths(today, EARLY_RENEWAL_MONTHS)) {
    return refuse(
      'conflict',
      ContractsCodes.renewalTooEarly,
      `contract ${contract.contractId} ends on ${contract.endsOn}, ${EARLY_RENEWAL_MONTHS} months or more away`,
      { endsOn: contract.endsOn },
    );
  }
  return {
    endsOn: addMonths(contract.endsOn, termMonths),
    take: { sku: contract.sku, termMonths, quantity: contract.licenses },
    early: status === 'active',
  };
}

export interface Grouping {
  contract: Contract;
  /** The contracts grouped away: they end today. */
  replaced: string[];
}

export function mergeTerms(lines: readonly TermLicenses[]): TermLicenses[] {
  const byTerm = new Map<Term, number>();
  for (const line of lines) byTerm.set(line.termMonths, (byTerm.get(line.termMonths) ?? 0) + line.quantity);
  return [...byTerm].sort(([a], [b]) => a - b).map(([termMonths, quantity]) => ({ termMonths, quantity }));
}

/**
 * C6: contracts of one product in one service become one, starting today and ending after the
 * license-weighted average of their remaining days (rounded down). It keeps its parts' lines by
 * term. The same call is the dry run.
 */
export function group(contracts: readonly Contract[], contractId: string, today: CalendarDay): Grouping | Refusal {
  const notGroupable = (reason: string) => refuse('conflict', ContractsCodes.notGroupable, reason);
  const [first] = contracts;
  if (!first || contracts.length < 2) return notGroupable('grouping needs at least two contracts');
  if (contracts.some((c) => c.sku !== first.sku)) return notGroupable('only contracts of one product are grouped');
  if (contracts.some((c) => c.trial !== null)) return notGroupable('trial contracts are not grouped');
  const ended = contracts.find((c) => !inForce(c, today));
  if (ended) return notGroupable(`contract ${ended.contractId} is ${contractStatus(ended, today)}`);
  const monthly = contracts.filter(isMonthly).length;
  if (monthly > 0 && monthly < contracts.length) return notGroupable('annual and monthly contracts cannot be grouped');
  const licenses = sum(contracts.map((c) => c.licenses));
  const days = Math.floor(sum(contracts.map((c) => c.licenses * Math.max(0, daysBetween(today, c.endsOn)))) / licenses);
  // A group with no day left would only restart the grace period.
  if (days === 0) return notGroupable('every contract has reached its end: nothing remains to group');
  return {
    contract: {
      contractId,
      sku: first.sku,
      licenses,
      lines: mergeTerms(contracts.flatMap((c) => c.lines)),
      startsOn: today,
      endsOn: addDays(today, days),
      trial: null,
      cancelled: false,
    },
    replaced: contracts.map((c) => c.contractId),
  };
}

/** C8: the licenses a service's devices may use today, those of its contracts active or in grace. */
export const licensesInForce = (contracts: readonly Contract[], today: CalendarDay): number =>
  sum(contracts.filter((c) => inForce(c, today)).map((c) => c.licenses));

/** C8: activating one more device never exceeds the licenses in force. */
export function activationRefusal(contracts: readonly Contract[], activeDevices: number, today: CalendarDay): Refusal | undefined {
  const licenses = licensesInForce(contracts, today);
  if (activeDevices < licenses) return undefined;
  return refuse('conflict', ContractsCodes.noFreeLicense, `all ${licenses} licenses in force are taken`, { licenses, activeDevices });
}

/** Most recently seen first; ties by deviceId, so a replay decides the same. */
export const byMostRecentlySeen = (devices: readonly Device[]): Device[] =>
  [...devices].sort((a, b) => Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt) || compareIds(a.deviceId, b.deviceId));

/** C9: when devices exceed the licenses left, those seen longest ago lose theirs, listed in that order. */
export const devicesLosingLicense = (devices: readonly Device[], licensesLeft: number): Device[] =>
  byMostRecentlySeen(devices).slice(Math.max(0, licensesLeft)).reverse();
