import { refuse, type Decision, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type AssignmentRejectedV1,
  type AssignmentRequestedV1,
  type ContractActivatedV1,
  type EventDraft,
  type LicenseLine,
  type ManagementModel,
  type Term,
} from '@licensing/events';
import { contractStatus, endOfTerm, type Contract } from './contract.rules';
import { ContractsCodes } from './contracts.errors';
import { formatDay, parseDay, type CalendarDay } from './dates';
import { familyRefusal, moduleRefusal, type FamilyFacts } from './family.rules';

/** The contracts of one module held with a service's product (C7). */
export interface ModuleHolding {
  sku: string;
  contracts: Contract[];
}

/** A service: everything one client holds of one product (its contracts and its modules'). */
export interface Service {
  sku: string;
  familyCode: string;
  trialEdition: boolean;
  managementModel: ManagementModel;
  autoRenew: boolean;
  contracts: Contract[];
  modules: ModuleHolding[];
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

/** One assignment saga: pending until the pool answers or `deadline` passes. */
export interface Assignment {
  assignmentId: string;
  request: AssignmentRequest;
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

/** A partner's client, the aggregate of DESIGN.md §4: C1 is checked inside this one document. */
export interface Client {
  partnerId: string;
  clientId: string;
  name: string;
  services: Service[];
  /** Every pending assignment and the most recent settled ones. */
  assignments: Assignment[];
  createdAt: string;
  updatedAt: string;
}

/** What the catalog says of a sku, as far as assignments need it. */
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
}

export type SkuLookup = (sku: string) => SkuFacts | undefined;

/** Who and when: 'now' from the platform clock, and the request or event that caused the change. */
export interface ChangeContext {
  now: Date;
  correlationId?: string;
  causationId?: string;
}

/** Settled assignments kept in the document (pending ones are always kept). */
export const SETTLED_ASSIGNMENTS_KEPT = 100;

/** The client document's id: a client id is unique within its partner. */
export const clientKey = (partnerId: string, clientId: string): string => `${partnerId}/${clientId}`;

const unchanged = <R>(result: R): Decision<Client, R> => ({ result });

const todayOf = (ctx: ChangeContext): CalendarDay => formatDay(ctx.now);

function draft<T>(client: Client, type: string, data: T, ctx: ChangeContext, correlationId = ctx.correlationId): EventDraft<T> {
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

export function createClient(
  existing: Client | null,
  partnerId: string,
  clientId: string,
  name: string,
  ctx: ChangeContext,
): Decision<Client, Client> | Refusal {
  if (existing) return refuse('conflict', ContractsCodes.clientExists, `partner ${partnerId} already has a client ${clientId}`);
  const at = ctx.now.toISOString();
  const client: Client = { partnerId, clientId, name, services: [], assignments: [], createdAt: at, updatedAt: at };
  return { state: client, result: client };
}

const inForce = (contract: Contract, today: CalendarDay): boolean => ['active', 'in-grace'].includes(contractStatus(contract, today));

/**
 * C1: the products the client holds, for the family rule: those of services with a contract in
 * force, and those of assignments still waiting for the pool (so two concurrent requests never
 * both pass). An assignment past its deadline holds nothing: it can no longer be activated.
 */
export function heldProducts(client: Client, now: Date): FamilyFacts[] {
  const today = formatDay(now);
  const held = client.services.filter((s) => s.contracts.some((c) => inForce(c, today)));
  return [
    ...held.map(({ sku, familyCode, trialEdition }) => ({ sku, familyCode, trialEdition })),
    ...client.assignments.filter((a) => a.status === 'pending' && a.deadline > now.toISOString()).map((a) => a.product),
  ];
}

const licensesInForce = (contracts: readonly Contract[], today: CalendarDay): number =>
  contracts.filter((c) => inForce(c, today)).reduce((sum, c) => sum + c.licenses, 0);

const sameRequest = (a: AssignmentRequest, b: AssignmentRequest): boolean => {
  const modules = (r: AssignmentRequest) => JSON.stringify([...r.modules].sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0)));
  return (
    a.sku === b.sku &&
    a.termMonths === b.termMonths &&
    a.quantity === b.quantity &&
    a.managementModel === b.managementModel &&
    a.autoRenew === b.autoRenew &&
    modules(a) === modules(b)
  );
};

/** A sku the request names, checked against the catalog: it exists and is still sold. */
function skuRefusal(facts: SkuFacts | undefined, sku: string): Refusal | undefined {
  if (!facts) return refuse('invalid', ContractsCodes.unknownSku, `the catalog has no ${sku}`);
  if (facts.retired) return refuse('invalid', ContractsCodes.skuRetired, `${sku} is retired`);
  return undefined;
}

const termRefusal = (facts: SkuFacts, termMonths: Term): Refusal | undefined =>
  facts.terms.includes(termMonths)
    ? undefined
    : refuse('invalid', ContractsCodes.termNotAllowed, `${facts.sku} is not sold for ${termMonths} months`, { terms: facts.terms });

/** The checks on the product of a request (C2, C10, the management model). */
function productRefusal(client: Client, request: AssignmentRequest, product: SkuFacts | undefined): Refusal | undefined {
  const refusal = skuRefusal(product, request.sku);
  if (refusal || !product) return refusal;
  if (product.kind !== 'product') return refuse('invalid', ContractsCodes.notAProduct, `${request.sku} is a module: it is assigned with its product`);
  if (product.trialEdition) {
    return refuse(
      'invalid',
      ContractsCodes.trialNotPooled,
      `${request.sku} is a trial edition: trials are started as trials, not assigned from the pool`,
    );
  }
  const term = termRefusal(product, request.termMonths);
  if (term) return term;
  if (product.managementModels && !product.managementModels.includes(request.managementModel)) {
    return refuse('invalid', ContractsCodes.managementModelNotAllowed, `${request.sku} cannot be ${request.managementModel}-managed`, {
      managementModels: product.managementModels,
    });
  }
  const service = client.services.find((s) => s.sku === request.sku);
  if (service && service.managementModel !== request.managementModel) {
    return refuse(
      'conflict',
      ContractsCodes.managementModelMismatch,
      `the client's ${request.sku} is ${service.managementModel}-managed: new licenses join that service as they are`,
    );
  }
  return undefined;
}

/** C7: each module is sold for the term, accepted by the product, and has at most as many licenses as the product. */
function modulesRefusal(client: Client, request: AssignmentRequest, product: SkuFacts, lookup: SkuLookup, today: CalendarDay): Refusal | undefined {
  const skus = request.modules.map((m) => m.sku);
  const repeated = skus.find((sku, i) => skus.indexOf(sku) !== i);
  if (repeated) return refuse('invalid', ContractsCodes.duplicateModule, `the module ${repeated} is named twice`);
  const service = client.services.find((s) => s.sku === request.sku);
  const productLicenses = licensesInForce(service?.contracts ?? [], today) + request.quantity;
  for (const wanted of request.modules) {
    const held = service?.modules.find((m) => m.sku === wanted.sku)?.contracts ?? [];
    const facts = lookup(wanted.sku);
    const refusal =
      moduleRefusal(
        { sku: product.sku, moduleSkus: product.moduleSkus },
        productLicenses,
        wanted.sku,
        licensesInForce(held, today) + wanted.quantity,
      ) ??
      skuRefusal(facts, wanted.sku) ??
      (facts ? termRefusal(facts, request.termMonths) : undefined);
    if (refusal) return refusal;
  }
  return undefined;
}

export interface Requested {
  assignment: Assignment;
  /** The same request came again under the same key: nothing new was started. */
  replayed: boolean;
}

/**
 * C1, C2, C7: the first step of the assignment saga. Every check is made inside the client
 * document, then the assignment waits for the pool (pending until `deadline`) and the pool is
 * asked for every line at once. The same assignment id again answers what it started, or is
 * refused when it came with another request.
 */
export function requestAssignment(
  client: Client | null,
  assignmentId: string,
  request: AssignmentRequest,
  lookup: SkuLookup,
  timeoutMs: number,
  ctx: ChangeContext,
): Decision<Client, Requested> | Refusal {
  if (!client) return refuse('not-found', ContractsCodes.clientNotFound, 'no such client');
  const existing = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (existing) {
    if (sameRequest(existing.request, request)) return unchanged({ assignment: existing, replayed: true });
    return refuse('conflict', ContractsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for another assignment', { assignmentId });
  }
  const today = todayOf(ctx);
  const product = lookup(request.sku);
  const refusal =
    productRefusal(client, request, product) ??
    (product ? modulesRefusal(client, request, product, lookup, today) : undefined) ??
    (product
      ? familyRefusal(heldProducts(client, ctx.now), { sku: product.sku, familyCode: product.familyCode ?? '', trialEdition: false })
      : undefined);
  if (refusal || !product) return refusal as Refusal;
  const at = ctx.now.toISOString();
  const assignment: Assignment = {
    assignmentId,
    request,
    product: { sku: product.sku, familyCode: product.familyCode ?? '', trialEdition: false },
    lines: [
      { sku: request.sku, termMonths: request.termMonths, quantity: request.quantity },
      ...request.modules.map((m) => ({ sku: m.sku, termMonths: request.termMonths, quantity: m.quantity })),
    ],
    status: 'pending',
    code: null,
    reason: null,
    contractIds: [],
    correlationId: ctx.correlationId ?? assignmentId,
    requestedAt: at,
    deadline: new Date(ctx.now.getTime() + timeoutMs).toISOString(),
    settledAt: null,
    cancellation: null,
  };
  const next: Client = { ...client, assignments: [...client.assignments, assignment], updatedAt: at };
  const data: AssignmentRequestedV1 = {
    assignmentId,
    partnerId: client.partnerId,
    clientId: client.clientId,
    lines: assignment.lines,
    requestedAt: at,
  };
  return { state: next, events: [draft(next, ContractsEvents.assignmentRequested, data, ctx)], result: { assignment, replayed: false } };
}

/** Keeps every pending assignment and the newest settled ones, so the document stays bounded. */
function bounded(assignments: Assignment[]): Assignment[] {
  const settled = assignments.filter((a) => a.status !== 'pending');
  if (settled.length <= SETTLED_ASSIGNMENTS_KEPT) return assignments;
  const dropped = new Set(settled.slice(0, settled.length - SETTLED_ASSIGNMENTS_KEPT).map((a) => a.assignmentId));
  return assignments.filter((a) => !dropped.has(a.assignmentId));
}

const withAssignment = (client: Client, assignment: Assignment, ctx: ChangeContext): Client => ({
  ...client,
  assignments: bounded(client.assignments.map((a) => (a.assignmentId === assignment.assignmentId ? assignment : a))),
  updatedAt: ctx.now.toISOString(),
});

/** The saga ends without contracts; the pool is told (it releases what it holds, if anything). */
function rejection(client: Client, assignmentId: string, code: string, reason: string, ctx: ChangeContext, correlationId?: string): EventDraft {
  const data: AssignmentRejectedV1 = {
    assignmentId,
    partnerId: client.partnerId,
    clientId: client.clientId,
    code,
    reason,
    rejectedAt: ctx.now.toISOString(),
  };
  return draft(client, ContractsEvents.assignmentRejected, data, ctx, correlationId ?? ctx.correlationId);
}

function rejected(assignment: Assignment, code: string, reason: string, ctx: ChangeContext): Assignment {
  return { ...assignment, status: 'rejected', code, reason, settledAt: ctx.now.toISOString() };
}

const dayStart = (day: CalendarDay): string => parseDay(day).toISOString();

/** Adds contracts to the service of `sku` (opened with the assignment's terms when the client has none) and its modules. */
function withContracts(client: Client, assignment: Assignment, product: Contract, modules: Contract[]): Service[] {
  const { request } = assignment;
  const current = client.services.find((s) => s.sku === request.sku);
  const service: Service = current ?? {
    sku: request.sku,
    familyCode: assignment.product.familyCode,
    trialEdition: assignment.product.trialEdition,
    managementModel: request.managementModel,
    autoRenew: request.autoRenew,
    contracts: [],
    modules: [],
  };
  const held = [...service.modules];
  for (const contract of modules) {
    const index = held.findIndex((m) => m.sku === contract.sku);
    if (index === -1) held.push({ sku: contract.sku, contracts: [contract] });
    else held[index] = { sku: contract.sku, contracts: [...(held[index]?.contracts ?? []), contract] };
  }
  const next: Service = { ...service, autoRenew: request.autoRenew, contracts: [...service.contracts, product], modules: held };
  return current ? client.services.map((s) => (s === current ? next : s)) : [...client.services, next];
}

export type ActivationResult =
  | { outcome: 'activated'; contracts: Contract[] }
  | { outcome: 'rejected'; code: string }
  /** The assignment had already ended without contracts: the pool is told again, so it releases. */
  | { outcome: 'rejected-again'; code: string }
  | { outcome: 'ignored' };

/**
 * C2: the pool reserved every line. Unless the deadline passed (then the saga times out here
 * and now) or C1 no longer holds, the contracts start today for the term (a monthly one ends
 * on the 1st of the next month) and the modules share the product's dates (C7). A reservation
 * for an assignment that has already ended, or that this client never asked for, is refused
 * again so the pool releases it.
 */
export function activateAssignment(client: Client, assignmentId: string, ctx: ChangeContext): Decision<Client, ActivationResult> {
  const assignment = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (!assignment || assignment.status === 'rejected') {
    const code = assignment?.code ?? ContractsCodes.unknownAssignment;
    const reason = assignment?.reason ?? `client ${client.clientId} has no assignment ${assignmentId}`;
    const next = { ...client, updatedAt: ctx.now.toISOString() };
    return { state: next, events: [rejection(next, assignmentId, code, reason, ctx)], result: { outcome: 'rejected-again', code } };
  }
  if (assignment.status === 'activated') return unchanged({ outcome: 'ignored' });
  const today = todayOf(ctx);
  const refusal =
    ctx.now.toISOString() >= assignment.deadline
      ? refuse('conflict', ContractsCodes.timeout, `the pool answered after the deadline (${assignment.deadline})`)
      : familyRefusal(heldProducts({ ...client, assignments: [] }, ctx.now), assignment.product);
  if (refusal) {
    const next = withAssignment(client, rejected(assignment, refusal.code, refusal.message, ctx), ctx);
    return {
      state: next,
      events: [rejection(next, assignmentId, refusal.code, refusal.message, ctx)],
      result: { outcome: 'rejected', code: refusal.code },
    };
  }
  const endsOn = endOfTerm(today, assignment.request.termMonths);
  const contracts: Contract[] = assignment.lines.map((line, i) => ({
    contractId: `${assignmentId}-${i + 1}`,
    sku: line.sku,
    licenses: line.quantity,
    lines: [{ termMonths: line.termMonths, quantity: line.quantity }],
    startsOn: today,
    endsOn,
    trial: null,
    cancelled: false,
  }));
  const [product, ...modules] = contracts as [Contract, ...Contract[]];
  const activated: Assignment = {
    ...assignment,
    status: 'activated',
    contractIds: contracts.map((c) => c.contractId),
    settledAt: ctx.now.toISOString(),
  };
  const next = { ...withAssignment(client, activated, ctx), services: withContracts(client, assignment, product, modules) };
  const data: ContractActivatedV1 = {
    assignmentId,
    partnerId: client.partnerId,
    clientId: client.clientId,
    contracts: contracts.map((c) => ({
      contractId: c.contractId,
      sku: c.sku,
      termMonths: assignment.request.termMonths,
      quantity: c.licenses,
      startsAt: dayStart(c.startsOn),
      endsAt: dayStart(c.endsOn),
    })),
    activatedAt: ctx.now.toISOString(),
  };
  return { state: next, events: [draft(next, ContractsEvents.contractActivated, data, ctx)], result: { outcome: 'activated', contracts } };
}

export type SettleResult = 'rejected' | 'ignored' | 'unknown';

/** The pool could not reserve the lines: the saga ends with the pool's code (nothing is held, so the pool is not told). */
export function rejectAssignment(
  client: Client,
  assignmentId: string,
  answer: { code: string; reason: string },
  ctx: ChangeContext,
): Decision<Client, SettleResult> {
  const assignment = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (!assignment) return unchanged('unknown');
  if (assignment.status !== 'pending') return unchanged('ignored');
  return { state: withAssignment(client, rejected(assignment, answer.code, answer.reason, ctx), ctx), result: 'rejected' };
}

/**
 * The saga's deadline: every pending assignment whose deadline has passed is rejected with
 * CONTRACTS.TIMEOUT, and the pool is told so it releases what it may have reserved meanwhile.
 * Returns the ids timed out (none: nothing changes).
 */
export function timeOutAssignments(client: Client, ctx: ChangeContext): Decision<Client, string[]> {
  const now = ctx.now.toISOString();
  const overdue = client.assignments.filter((a) => a.status === 'pending' && a.deadline <= now);
  if (overdue.length === 0) return unchanged([]);
  let next = client;
  const events: EventDraft[] = [];
  for (const assignment of overdue) {
    const reason = `the pool did not answer by ${assignment.deadline}`;
    next = withAssignment(next, rejected(assignment, ContractsCodes.timeout, reason, ctx), ctx);
    events.push(rejection(next, assignment.assignmentId, ContractsCodes.timeout, reason, ctx, assignment.correlationId));
  }
  return { state: next, events, result: overdue.map((a) => a.assignmentId) };
}

/**
 * The pool could not back an activation (its reservation was released and the stock is gone):
 * the contracts it names are cancelled, without recovery since no license was taken. Returns
 * the contracts cancelled by this call.
 */
export function cancelUnbackedContracts(
  client: Client,
  assignmentId: string,
  contractIds: readonly string[],
  answer: { code: string; reason: string },
  ctx: ChangeContext,
): Decision<Client, string[]> {
  const named = new Set(contractIds);
  const cancelled: string[] = [];
  const cancel = (contracts: Contract[]) =>
    contracts.map((c) => {
      if (!named.has(c.contractId) || c.cancelled) return c;
      cancelled.push(c.contractId);
      return { ...c, cancelled: true };
    });
  const services = client.services.map((s) => ({
    ...s,
    contracts: cancel(s.contracts),
    modules: s.modules.map((m) => ({ ...m, contracts: cancel(m.contracts) })),
  }));
  if (cancelled.length === 0) return unchanged([]);
  const at = ctx.now.toISOString();
  const assignments = client.assignments.map((a) =>
    a.assignmentId === assignmentId ? { ...a, cancellation: { code: answer.code, reason: answer.reason, at } } : a,
  );
  return { state: { ...client, services, assignments, updatedAt: at }, result: cancelled };
}
