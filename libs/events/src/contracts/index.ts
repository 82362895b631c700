import assignmentRejectedV1 from './assignment-rejected.v1.schema.json';
import assignmentRequestedV1 from './assignment-requested.v1.schema.json';
import contractActivatedV1 from './contract-activated.v1.schema.json';
import licensesRecoveredV1 from './licenses-recovered.v1.schema.json';

export const ContractsEvents = {
  assignmentRequested: 'contracts.assignment-requested.v1',
  contractActivated: 'contracts.contract-activated.v1',
  assignmentRejected: 'contracts.assignment-rejected.v1',
  licensesRecovered: 'contracts.licenses-recovered.v1',
} as const;

/** Licenses of one sku and term; the unit the pool reserves and credits. */
export interface LicenseLine {
  sku: string;
  termMonths: 1 | 12 | 24 | 36;
  quantity: number;
}

export interface AssignmentRequestedV1 {
  assignmentId: string;
  partnerId: string;
  clientId: string;
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

export const contractsSchemas = [assignmentRequestedV1, contractActivatedV1, assignmentRejectedV1, licensesRecoveredV1];
