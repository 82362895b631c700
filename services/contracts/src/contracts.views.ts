import type { Assignment, Client, EndedContract, Service } from './domain/client.aggregate';
import { contractStatus, licensesInForce, type Contract, type ContractStatus } from './domain/contract.rules';
import { formatDay, type CalendarDay } from './domain/dates';

/** What the API shows of clients, contracts and assignments (http/contracts.schemas.ts describes them). */
export interface ContractView {
  contractId: string;
  sku: string;
  termMonths: number;
  quantity: number;
  startsOn: CalendarDay;
  endsOn: CalendarDay;
  status: ContractStatus;
}

export interface ClientSummary {
  clientId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface AssignmentView {
  assignmentId: string;
  clientId: string;
  kind: Assignment['kind'];
  status: Assignment['status'];
  code?: string;
  reason?: string;
  request: Assignment['request'];
  requestedAt: string;
  deadline: string;
  settledAt?: string;
  contracts?: ContractView[];
  cancellation?: NonNullable<Assignment['cancellation']>;
}

/** Its status today by the platform clock; an assigned contract has one term. */
export const contractView = (contract: Contract, today: CalendarDay): ContractView => ({
  contractId: contract.contractId,
  sku: contract.sku,
  termMonths: contract.lines[0]?.termMonths ?? 0,
  quantity: contract.licenses,
  startsOn: contract.startsOn,
  endsOn: contract.endsOn,
  status: contractStatus(contract, today),
});

const endedView = (contract: EndedContract, today: CalendarDay) => ({
  ...contractView(contract, today),
  status: contract.endedReason === 'expired' ? ('expired' as const) : ('cancelled' as const),
  endedReason: contract.endedReason,
  endedOn: contract.endedOn,
});

const serviceView = (service: Service, today: CalendarDay) => {
  const total = licensesInForce(service.contracts, today);
  return {
    sku: service.sku,
    familyCode: service.familyCode,
    trialEdition: service.trialEdition,
    managementModel: service.managementModel,
    autoRenew: service.autoRenew,
    contracts: service.contracts.map((c) => contractView(c, today)),
    modules: service.modules.map((m) => ({ sku: m.sku, contracts: m.contracts.map((c) => contractView(c, today)) })),
    devices: service.devices,
    licenses: { total, inUse: service.devices.length, free: Math.max(0, total - service.devices.length) },
    autoRenewFailure: service.autoRenewFailure,
    ended: [...service.ended].reverse().map((c) => endedView(c, today)),
  };
};

export const clientSummary = (client: Client): ClientSummary => ({
  clientId: client.clientId,
  name: client.name,
  createdAt: client.createdAt,
  updatedAt: client.updatedAt,
});

export const clientView = (client: Client, version: number, now: Date) => ({
  partnerId: client.partnerId,
  ...clientSummary(client),
  version,
  services: client.services.map((s) => serviceView(s, formatDay(now))),
  pendingAssignments: client.assignments.filter((a) => a.status === 'pending').map((a) => a.assignmentId),
});

const allContracts = (client: Client, today: CalendarDay): ContractView[] =>
  client.services.flatMap((s) => [
    ...[...s.contracts, ...s.modules.flatMap((m) => m.contracts)].map((c) => contractView(c, today)),
    ...s.ended.map((c) => endedView(c, today)),
  ]);

export function assignmentView(client: Client, assignment: Assignment, now: Date): AssignmentView {
  const today = formatDay(now);
  const contracts = assignment.contractIds.flatMap((id) => allContracts(client, today).find((c) => c.contractId === id) ?? []);
  return {
    assignmentId: assignment.assignmentId,
    clientId: client.clientId,
    kind: assignment.kind,
    status: assignment.status,
    ...(assignment.code === null ? {} : { code: assignment.code }),
    ...(assignment.reason === null ? {} : { reason: assignment.reason }),
    request: assignment.request,
    requestedAt: assignment.requestedAt,
    deadline: assignment.deadline,
    ...(assignment.settledAt === null ? {} : { settledAt: assignment.settledAt }),
    ...(assignment.status === 'activated' ? { contracts } : {}),
    ...(assignment.cancellation === null ? {} : { cancellation: assignment.cancellation }),
  };
}
