import assignmentRejectedV1 from './assignment-rejected.v1.schema.json';
import assignmentRequestedV1 from './assignment-requested.v1.schema.json';
import autoRenewFailedV1 from './auto-renew-failed.v1.schema.json';
import contractActivatedV1 from './contract-activated.v1.schema.json';
import contractEndedV1 from './contract-ended.v1.schema.json';
import contractEnteredGraceV1 from './contract-entered-grace.v1.schema.json';
import contractExpiringV1 from './contract-expiring.v1.schema.json';
import contractRenewedV1 from './contract-renewed.v1.schema.json';
import deviceActivatedV1 from './device-activated.v1.schema.json';
import deviceDeactivatedV1 from './device-deactivated.v1.schema.json';
import deviceRemovedV1 from './device-removed.v1.schema.json';
import licensesRecoveredV1 from './licenses-recovered.v1.schema.json';
import serviceGroupedV1 from './service-grouped.v1.schema.json';
import trialEndedV1 from './trial-ended.v1.schema.json';
import trialExtendedV1 from './trial-extended.v1.schema.json';
import trialStartedV1 from './trial-started.v1.schema.json';

export const ContractsEvents = {
  assignmentRequested: 'contracts.assignment-requested.v1',
  contractActivated: 'contracts.contract-activated.v1',
  assignmentRejected: 'contracts.assignment-rejected.v1',
  licensesRecovered: 'contracts.licenses-recovered.v1',
  contractRenewed: 'contracts.contract-renewed.v1',
  contractEnteredGrace: 'contracts.contract-entered-grace.v1',
  contractEnded: 'contracts.contract-ended.v1',
  serviceGrouped: 'contracts.service-grouped.v1',
  contractExpiring: 'contracts.contract-expiring.v1',
  deviceActivated: 'contracts.device-activated.v1',
  deviceRemoved: 'contracts.device-removed.v1',
  deviceDeactivated: 'contracts.device-deactivated.v1',
  trialStarted: 'contracts.trial-started.v1',
  trialExtended: 'contracts.trial-extended.v1',
  trialEnded: 'contracts.trial-ended.v1',
  autoRenewFailed: 'contracts.auto-renew-failed.v1',
} as const;

/** Licenses of one sku and term; the unit the pool reserves and credits. */
export interface LicenseLine {
  sku: string;
  termMonths: 1 | 12 | 24 | 36;
  quantity: number;
}

/**
 * What an assignment saga buys from the pool; absent means `assignment`. The pool treats every
 * kind alike: each is the same reserve/commit saga.
 */
export type ContractsSagaKind = 'assignment' | 'renewal' | 'auto-renewal' | 'change' | 'modules';

export interface AssignmentRequestedV1 {
  assignmentId: string;
  partnerId: string;
  clientId: string;
  kind?: ContractsSagaKind;
  lines: LicenseLine[];
  requestedAt: string;
}

export interface ActivatedContract extends LicenseLine {
  contractId: string;
  startsAt: string;
  endsAt: string;
}

export interface ContractActivatedV1 {
  assignmentId: string;
  partnerId: string;
  clientId: string;
  kind?: ContractsSagaKind;
  contracts: ActivatedContract[];
  activatedAt: string;
}

export interface AssignmentRejectedV1 {
  assignmentId: string;
  partnerId: string;
  clientId?: string;
  code: string;
  reason: string;
  rejectedAt: string;
}

export interface LicensesRecoveredV1 {
  recoveryId: string;
  partnerId: string;
  clientId: string;
  contractId: string;
  cause?: 'cancellation' | 'upgrade' | 'downgrade';
  lines: LicenseLine[];
  recoveredAt: string;
}

/** Dates named `…On` below are UTC calendar days, `YYYY-MM-DD`; `…At` are RFC 3339 date-times. */
export interface ContractRenewedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  termMonths: 1 | 12 | 24 | 36;
  source: 'renewal' | 'auto-renewal' | 'points';
  renewalId: string;
  previousEndsOn: string;
  endsOn: string;
  /** The licenses the renewal took; may be empty for source points. */
  lines: LicenseLine[];
  /** The licenses that leave the pool's `assigned` count: the term just used up. */
  unassigned: LicenseLine[];
  renewedAt: string;
}

export interface ContractEnteredGraceV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractIds: string[];
  endsOn: string;
  graceEndsOn: string;
  reason: 'not-renewed' | 'auto-renew-failed' | 'lapsed';
  enteredAt: string;
}

export interface ContractEndedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  reason: 'expired' | 'cancelled' | 'changed' | 'grouped';
  /** The licenses per term the contract held. */
  lines: LicenseLine[];
  /** What leaves the pool's `assigned` count (empty for grouped, a trial, a contract the pool never backed). */
  unassigned: LicenseLine[];
  groupedInto?: string;
  changedTo?: string;
  cause?: string;
  endedOn: string;
  endedAt: string;
}

export interface GroupedModule {
  sku: string;
  contractId: string;
  replaced: string[];
  lines: LicenseLine[];
}

export interface ServiceGroupedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  replaced: string[];
  startsOn: string;
  endsOn: string;
  lines: LicenseLine[];
  modules: GroupedModule[];
  groupedAt: string;
}

export interface ContractExpiringV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  endsOn: string;
  daysBefore: number;
  daysLeft: number;
  autoRenew: boolean;
  remindedAt: string;
}

export interface DeviceActivatedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  deviceId: string;
  activatedAt: string;
}

export interface DeviceRemovedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  deviceId: string;
  removedAt: string;
}

export interface DeviceDeactivatedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  /** Longest unseen first. */
  deviceIds: string[];
  reason: 'licenses-ended' | 'trial-ended' | 'trial-converted' | 'contract-cancelled' | 'contract-changed';
  licensesLeft: number;
  deactivatedAt: string;
}

export interface TrialStartedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  maxDevices: number;
  startsOn: string;
  endsOn: string;
  startedAt: string;
}

export interface TrialExtendedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  endsOn: string;
  extendedAt: string;
}

export interface TrialEndedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractId: string;
  converted: boolean;
  convertedTo?: string;
  movedDevices: number;
  endedOn: string;
  /** No new trial of this sku for the client before this day. */
  blockedUntil: string;
  endedAt: string;
}

export interface AutoRenewFailedV1 {
  partnerId: string;
  clientId: string;
  sku: string;
  contractIds: string[];
  code: string;
  reason: string;
  failedAt: string;
}

export const contractsSchemas = [
  assignmentRequestedV1,
  contractActivatedV1,
  assignmentRejectedV1,
  licensesRecoveredV1,
  contractRenewedV1,
  contractEnteredGraceV1,
  contractEndedV1,
  serviceGroupedV1,
  contractExpiringV1,
  deviceActivatedV1,
  deviceRemovedV1,
  deviceDeactivatedV1,
  trialStartedV1,
  trialExtendedV1,
  trialEndedV1,
  autoRenewFailedV1,
];
