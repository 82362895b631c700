import type { Decision } from '@licensing/domain';
import type { ContractsSagaKind, EventDraft, LicenseLine, ManagementModel, Term } from '@licensing/events';
import { contractStatus, type Contract, type Device } from './contract.rules';
import { addDays, formatDay, parseDay, type CalendarDay } from './dates';
import type { FamilyFacts } from './family.rules';
import type { Reminder } from './reminders';
import type { TrialRecord } from './trial.rules';

/** The contracts of one module held with a service's product (C7). */
export interface ModuleHolding {
  sku: string;
  contracts: Contract[];
}

export type EndedReason = 'expired' | 'cancelled' | 'changed' | 'grouped';

/** A contract that has ended, kept for the client's history (the newest ones per service). */
export interface EndedContract extends Contract {
  endedReason: EndedReason;
  endedOn: CalendarDay;
}

/** Why the last auto-renewal of a service failed (C3); cleared by the next renewal. */
export interface AutoRenewFailure {
  code: string;
  reason: string;
  at: string;
}

/** A service: everything one client holds of one product (its contracts and its modules', its devices). */
export interface Service {
  sku: string;
  familyCode: string;
  trialEdition: boolean;
  managementModel: ManagementModel;
  autoRenew: boolean;
  contracts: Contract[];
  modules: ModuleHolding[];
  /** C8: the devices whose agent runs on a license of this service. */
  devices: Device[];
  autoRenewFailure: AutoRenewFailure | null;
  /** Contracts (product and modules) that have ended, newest last, bounded. */
  ended: EndedContract[];
}

/** What a partner asks for: N licenses of a product for a term, with modules (C2, C7). */
export interface AssignmentRequest {
  sku: string;
  termMonths: Term;
  quantity: number;
  managementModel: ManagementModel;
  autoRenew: boolean;
  modules: { sku: string; quantity: number }[];
}

export type AssignmentStatus = 'pending' | 'activated' | 'rejected';
export type SagaKind = ContractsSagaKind;

/**
 * What a saga other than a new assignment acts on once the pool has reserved its lines: the
 * service, the contracts renewed or changed, the term, and for a change the new product.
 */
export interface SagaTarget {
  serviceSku: string;
  contractIds: string[];
  termMonths: Term;
  toSku?: string;
  changeKind?: 'upgrade' | 'downgrade';
  /** For a change: the new product as the catalog described it when asked. */
  toProduct?: FamilyFacts & { managementModels?: ManagementModel[] };
}

/**
 * One saga that takes licenses from the pool (DESIGN §5): pending until the pool answers or
 * `deadline` passes. Kind `assignment` opens contracts; `renewal` and `auto-renewal` extend
 * them (C3), `change` replaces a product (C4), `modules` adds a module (C7).
 */
export interface Assignment {
  assignmentId: string;
  kind: SagaKind;
  request: AssignmentRequest;
  target: SagaTarget | null;
  /** The product as the catalog described it when asked: C1 counts a pending product as held. */
  product: FamilyFacts;
  /** The product's line first, then its modules': the pool reserves all or none. */
  lines: LicenseLine[];
  status: AssignmentStatus;
  code: string | null;
  reason: string | null;
  contractIds: string[];
  correlationId: string;
  requestedAt: string;
  deadline: string;
  settledAt: string | null;
  /** The pool could not back the activation (pool.commit-rejected.v1): its contracts were cancelled. */
  cancellation: { code: string; reason: string; at: string } | null;
}

/** A reminder sent for one contract (C11). */
export interface SentReminder extends Reminder {
  contractId: string;
}

/** A partner's client, the aggregate of DESIGN.md §4: C1 and C8 are checked inside this one document. */
export interface Client {
  partnerId: string;
  clientId: string;
  name: string;
  services: Service[];
  /** Every pending saga and the most recent settled ones. */
  assignments: Assignment[];
  /** C10: trials the client held, for the 90-day block. */
  trials: TrialRecord[];
  /** C11: reminders sent, for contracts still held. */
  reminders: SentReminder[];
  /** Derived on every save: the first day something falls due (the lifecycle sweep's index). */
  nextDueOn: CalendarDay | null;
  /** Derived on every save: skus of monthly contracts in force (M4 events find clients by it). */
  monthlySkus: string[];
  createdAt: string;
  updatedAt: string;
}

/** What the catalog says of a sku, as far as the contracts need it. */
export interface SkuFacts {
  sku: string;
  kind: 'product' | 'module';
  familyCode: string | null;
  trialEdition: boolean;
  terms: Term[];
  retired: boolean;
  /** For a product: the modules it accepts. */
  moduleSkus: string[];
  /** For a product; undefined when the catalog copy does not say. */
  managementModels?: ManagementModel[];
  /** For a product: the products it may be changed to (C4). */
  changes?: { toSku: string; kind: 'upgrade' | 'downgrade' }[];
}

export type SkuLookup = (sku: string) => SkuFacts | undefined;

/** The lifecycle's settings (C11's schedule). */
export interface LifecyclePolicy {
  reminderDays: readonly number[];
}

/** Who and when: 'now' from the platform clock, and the request or event that caused the change. */
export interface ChangeContext {
  now: Date;
  correlationId?: string;
  causationId?: string;
}

/** Settled sagas kept in the document (pending ones are always kept; every one is in saga_records): few, since every save writes the document whole. */
export const SETTLED_ASSIGNMENTS_KEPT = 20;
/** Ended contracts kept per service for its history. */
export const ENDED_CONTRACTS_KEPT = 50;

/** The client document's id: a client id is unique within its partner. */
export const clientKey = (partnerId: string, clientId: string): string => `${partnerId}/${clientId}`;

export const unchanged = <R>(result: R): Decision<Client, R> => ({ result });

export const todayOf = (ctx: ChangeContext): CalendarDay => formatDay(ctx.now);

export const dayStart = (day: CalendarDay): string => parseDay(day).toISOString();

export function draft<T>(client: Client, type: string, data: T, ctx: ChangeContext, correlationId = ctx.correlationId): EventDraft<T> {
  return {
    type,
    subject: clientKey(client.partnerId, client.clientId),
    partnerId: client.partnerId,
    data,
    time: ctx.now,
    ...(correlationId ? { correlationId } : {}),
    ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
  };
}

export const inForce = (contract: Contract, today: CalendarDay): boolean => ['active', 'in-grace'].includes(contractStatus(contract, today));

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** Every contract of a service, the product's and its modules'. */
export const contractsOf = (service: Service): Contract[] => [...service.contracts, ...service.modules.flatMap((m) => m.contracts)];

export const findService = (client: Client, sku: string): Service | undefined => client.services.find((s) => s.sku === sku);

/** The client with one service replaced (or added). */
export function withService(client: Client, service: Service, ctx: ChangeContext): Client {
  const exists = client.services.some((s) => s.sku === service.sku);
  return {
    ...client,
    services: exists ? client.services.map((s) => (s.sku === service.sku ? service : s)) : [...client.services, service],
    updatedAt: ctx.now.toISOString(),
  };
}

/** A service's contract (product or module) replaced by `map` wherever `ids` names it. */
export function mapContracts(service: Service, map: (contract: Contract) => Contract): Service {
  return {
    ...service,
    contracts: service.contracts.map(map),
    modules: service.modules.map((m) => ({ ...m, contracts: m.contracts.map(map) })),
  };
}

/** Moves the named contracts (product or module) out of the service into its history. */
export function endContracts(service: Service, ids: ReadonlySet<string>, reason: EndedReason, today: CalendarDay): Service {
  const ending = contractsOf(service).filter((c) => ids.has(c.contractId));
  const ended = [
    ...service.ended,
    ...ending.map((c) => ({ ...c, ...(reason === 'cancelled' ? { cancelled: true } : {}), endedReason: reason, endedOn: today })),
  ];
  return {
    ...service,
    contracts: service.contracts.filter((c) => !ids.has(c.contractId)),
    modules: service.modules
      .map((m) => ({ ...m, contracts: m.contracts.filter((c) => !ids.has(c.contractId)) }))
      .filter((m) => m.contracts.length > 0),
    ended: ended.slice(-ENDED_CONTRACTS_KEPT),
  };
}

export const emptyService = (sku: string, facts: FamilyFacts, managementModel: ManagementModel, autoRenew: boolean): Service => ({
  sku,
  familyCode: facts.familyCode,
  trialEdition: facts.trialEdition,
  managementModel,
  autoRenew,
  contracts: [],
  modules: [],
  devices: [],
  autoRenewFailure: null,
  ended: [],
});

/** The term a service's product contract renews for: its one term, or the term of most of its licenses once grouped. */
export function termOf(contract: Contract): Term {
  const [first] = [...contract.lines].sort((a, b) => b.quantity - a.quantity || b.termMonths - a.termMonths);
  return (first?.termMonths ?? 12) as Term;
}

/** The licenses of a contract still counted in the pool's `assigned` (a monthly lapse took some already). */
export function stillAssigned(contract: Contract): LicenseLine[] {
  let lapsed = contract.lapsed ?? 0;
  const lines: LicenseLine[] = [];
  for (const line of contract.lines) {
    const taken = Math.min(lapsed, line.quantity);
    lapsed -= taken;
    if (line.quantity - taken > 0) lines.push({ sku: contract.sku, termMonths: line.termMonths, quantity: line.quantity - taken });
  }
  return lines;
}

export const linesOf = (contract: Contract): LicenseLine[] =>
  contract.lines.map((l) => ({ sku: contract.sku, termMonths: l.termMonths, quantity: l.quantity }));

export const graceEnd = (endsOn: CalendarDay, graceDays: number): CalendarDay => addDays(endsOn, graceDays);

/** A document written before a field existed reads with its default (documents are upgraded as they are saved). */
export function withDefaults(client: Client): Client {
  return {
    ...client,
    trials: client.trials ?? [],
    reminders: client.reminders ?? [],
    nextDueOn: client.nextDueOn ?? null,
    monthlySkus: client.monthlySkus ?? [],
    assignments: client.assignments.map((a) => ({ ...a, kind: a.kind ?? 'assignment', target: a.target ?? null })),
    services: client.services.map((s) => ({ ...s, devices: s.devices ?? [], autoRenewFailure: s.autoRenewFailure ?? null, ended: s.ended ?? [] })),
  };
}
