import {
  CatalogEvents,
  ContractsEvents,
  createEvent,
  PointsEvents,
  type AssignmentRejectedV1,
  type AssignmentRequestedV1,
  type CloudEvent,
  type ContractActivatedV1,
  type ContractEndedV1,
  type ContractRenewedV1,
  type ContractsSagaKind,
  type ExchangeDebitedV1,
  type LicenseLine,
  type LicensesRecoveredV1,
  type MonthlyLapsedV1,
  type ProductUpdatedV1,
} from '@licensing/events';
import { moduleUpdated, productUpdated } from '@licensing/testing';

/** The catalog the pool tests sell from, as catalog.events carries it. */
export function catalogEvents(): CloudEvent[] {
  const at = new Date().toISOString();
  const product = (sku: string, p: Partial<ProductUpdatedV1>): ProductUpdatedV1 => productUpdated(sku, { name: sku, updatedAt: at, ...p });

  const moduleData = moduleUpdated('EP-ENC', { name: 'Encryption', updatedAt: at });
  return [
    createEvent({ type: CatalogEvents.moduleUpdated, subject: 'EP-ENC', data: moduleData }),
    createEvent({
      type: CatalogEvents.productUpdated,
      subject: 'EP-PRO',
      data: product('EP-PRO', { terms: [1, 12, 24, 36], pointsPricePerMonth: 3, moduleSkus: ['EP-ENC'] }),
    }),
    createEvent({ type: CatalogEvents.productUpdated, subject: 'PATCH', data: product('PATCH', { familyCode: 'patch', terms: [12] }) }),
    createEvent({ type: CatalogEvents.productUpdated, subject: 'EP-OLD', data: product('EP-OLD', { terms: [12], status: 'retired', version: 2 }) }),
    createEvent({ type: CatalogEvents.productUpdated, subject: 'EP-TRIAL', data: product('EP-TRIAL', { trialEdition: true, terms: [] }) }),
  ];
}

export const CATALOG_SKUS = ['EP-ENC', 'EP-PRO', 'PATCH', 'EP-OLD', 'EP-TRIAL'];

export const line = (sku: string, termMonths: LicenseLine['termMonths'], quantity: number): LicenseLine => ({ sku, termMonths, quantity });

const draft = <T extends { partnerId: string }>(type: string, subject: string, data: T, correlationId?: string): CloudEvent<T> =>
  createEvent({ type, subject, partnerId: data.partnerId, data, correlationId });

export const assignmentRequested = (
  partnerId: string,
  assignmentId: string,
  lines: LicenseLine[],
  correlationId?: string,
  kind?: ContractsSagaKind,
) =>
  draft<AssignmentRequestedV1>(
    ContractsEvents.assignmentRequested,
    'client-1',
    { assignmentId, partnerId, clientId: 'client-1', ...(kind ? { kind } : {}), lines, requestedAt: new Date().toISOString() },
    correlationId,
  );

export const contractActivated = (partnerId: string, assignmentId: string, lines: LicenseLine[], kind?: ContractsSagaKind) =>
  draft<ContractActivatedV1>(ContractsEvents.contractActivated, 'client-1', {
    assignmentId,
    partnerId,
    clientId: 'client-1',
    ...(kind ? { kind } : {}),
    contracts: lines.map((l, i) => ({
      ...l,
      contractId: `${assignmentId}-k${i}`,
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 1e10).toISOString(),
    })),
    activatedAt: new Date().toISOString(),
  });

export const assignmentRejected = (partnerId: string, assignmentId: string) =>
  draft<AssignmentRejectedV1>(ContractsEvents.assignmentRejected, 'client-1', {
    assignmentId,
    partnerId,
    code: 'CONTRACTS.FAMILY_RULE',
    reason: 'the client holds a product of this family',
    rejectedAt: new Date().toISOString(),
  });

export const licensesRecovered = (partnerId: string, recoveryId: string, lines: LicenseLine[]) =>
  draft<LicensesRecoveredV1>(ContractsEvents.licensesRecovered, 'client-1', {
    recoveryId,
    partnerId,
    clientId: 'client-1',
    contractId: 'k-1',
    cause: 'cancellation',
    lines,
    recoveredAt: new Date().toISOString(),
  });

export const exchangeDebited = (partnerId: string, exchangeId: string, lines: { sku: string; quantity: number }[]) =>
  draft<ExchangeDebitedV1>(PointsEvents.exchangeDebited, partnerId, {
    exchangeId,
    partnerId,
    lines: lines.map((l) => ({ sku: l.sku, termMonths: 1 as const, quantity: l.quantity, pointsPerLicense: 3 })),
    totalPoints: lines.reduce((n, l) => n + 3 * l.quantity, 0),
    debitedAt: new Date().toISOString(),
  });

export const monthlyLapsed = (partnerId: string, month: string, lines: { sku: string; quantity: number }[]) =>
  draft<MonthlyLapsedV1>(PointsEvents.monthlyLapsed, partnerId, {
    partnerId,
    month,
    lines,
    lapsedAt: new Date().toISOString(),
    renewalId: `renewal:${month}`,
  });

const today = () => new Date().toISOString().slice(0, 10);

/** A contract ended; `unassigned` defaults to every line it held. */
export const contractEnded = (
  partnerId: string,
  contractId: string,
  reason: ContractEndedV1['reason'],
  lines: LicenseLine[],
  unassigned: LicenseLine[] = lines,
  extra: Partial<ContractEndedV1> = {},
) =>
  draft<ContractEndedV1>(ContractsEvents.contractEnded, 'client-1', {
    partnerId,
    clientId: 'client-1',
    sku: lines[0]?.sku ?? 'EP-PRO',
    contractId,
    reason,
    lines,
    unassigned,
    endedOn: today(),
    endedAt: new Date().toISOString(),
    ...extra,
  });

/** A contract renewed from the pool by the assignment saga `renewalId`; the term it used up leaves assigned. */
export const contractRenewed = (partnerId: string, contractId: string, renewalId: string, lines: LicenseLine[], unassigned: LicenseLine[] = lines) =>
  draft<ContractRenewedV1>(ContractsEvents.contractRenewed, 'client-1', {
    partnerId,
    clientId: 'client-1',
    sku: lines[0]?.sku ?? 'EP-PRO',
    contractId,
    termMonths: lines[0]?.termMonths ?? 12,
    source: 'renewal',
    renewalId,
    // The pool reads neither date.
    previousEndsOn: '2030-03-01',
    endsOn: '2031-03-01',
    lines,
    unassigned,
    renewedAt: new Date().toISOString(),
  });

/** The pool invariant helpers live in @licensing/testing (the e2e tests use them too); import them from there. */
export { poolInvariant, readPoolInvariant, type PoolInvariant } from '@licensing/testing';
