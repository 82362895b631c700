import { refuse, type Decision, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type AssignmentRejectedV1,
  type AssignmentRequestedV1,
  type ContractActivatedV1,
  type ContractEndedV1,
  type EventDraft,
  type LicenseLine,
  type Term,
} from '@licensing/events';
import { contractStatus, endOfTerm, type Contract } from './contract.rules';
import { ContractsCodes } from './contracts.errors';
import { formatDay, type CalendarDay } from './dates';
import { convertTrials } from './client.trials';
import { familyRefusal, moduleRefusal, type FamilyFacts } from './family.rules';
import {
  contractsOf,
  dayStart,
  draft,
  emptyService,
  endContracts,
  inForce,
  linesOf,
  SETTLED_ASSIGNMENTS_KEPT,
  todayOf,
  unchanged,
  type Assignment,
  type AssignmentRequest,
  type ChangeContext,
  type Client,
  type SagaKind,
  type SagaTarget,
  type Service,
  type SkuFacts,
  type SkuLookup,
} from './client.model';

export * from './client.model';

export function createClient(
  existing: Client | null,
  partnerId: string,
  clientId: string,
  name: string,
  ctx: ChangeContext,
): Decision<Client, Client> | Refusal {
  if (existing) return refuse('conflict', ContractsCodes.clientExists, `partner ${partnerId} already has a client ${clientId}`);
  const at = ctx.now.toISOString();
  const client: Client = {
    partnerId,
    clientId,
    name,
    services: [],
    assignments: [],
    trials: [],
    reminders: [],
    nextDueOn: null,
    monthlySkus: [],
    createdAt: at,
    updatedAt: at,
  };
  return { state: client, result: client };
}

/**
 * C1: the products the client holds, for the family rule: those of services with a contract in
 * force, and those of assignments still waiting for the pool (so two concurrent requests never
 * both pass). An assignment past its deadline holds nothing: it can no longer be activated.
 * `except` leaves out the service a change replaces (C4).
 */
export function heldProducts(client: Client, now: Date, except?: string): FamilyFacts[] {
  const today = formatDay(now);
  const held = client.services.filter((s) => s.sku !== except && s.contracts.some((c) => inForce(c, today)));
  return [
    ...held.map(({ sku, familyCode, trialEdition }) => ({ sku, familyCode, trialEdition })),
    ...client.assignments.filter((a) => a.status === 'pending' && a.deadline > now.toISOString()).map((a) => a.product),
  ];
}

export const licensesInForce = (contracts: readonly Contract[], today: CalendarDay): number =>
  contracts.filter((c) => inForce(c, today)).reduce((total, c) => total + c.licenses, 0);

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

const sameRequest = (a: Pick<Assignment, 'kind' | 'request' | 'target'>, b: Pick<Assignment, 'kind' | 'request' | 'target'>): boolean => {
  const modules = (r: AssignmentRequest) => [...r.modules].sort((x, y) => (x.sku < y.sku ? -1 : x.sku > y.sku ? 1 : 0));
  return (
    a.kind === b.kind &&
    canonical({ ...a.request, modules: modules(a.request) }) === canonical({ ...b.request, modules: modules(b.request) }) &&
    canonical(a.target) === canonical(b.target)
  );
};

/** A sku the request names, checked against the catalog: it exists and is still sold. */
export function skuRefusal(facts: SkuFacts | undefined, sku: string): Refusal | undefined {
  if (!facts) return refuse('invalid', ContractsCodes.unknownSku, `the catalog has no ${sku}`);
  if (facts.retired) return refuse('invalid', ContractsCodes.skuRetired, `${sku} is retired`);
  return undefined;
}

export const termRefusal = (facts: SkuFacts, termMonths: Term): Refusal | undefined =>
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

/** A saga other than a new assignment: what it buys, for which contracts, and the product C1 sees. */
export interface SagaPlan {
  kind: Exclude<SagaKind, 'assignment'>;
  request: AssignmentRequest;
  target: SagaTarget;
  product: FamilyFacts;
  lines: LicenseLine[];
}

/** A replay of the same key answers what it started; another request under it is refused. */
export function existingSaga(
  client: Client,
  assignmentId: string,
  asked: Pick<Assignment, 'kind' | 'request' | 'target'>,
): Decision<Client, Requested> | Refusal | undefined {
  const existing = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (!existing) return undefined;
  if (sameRequest(existing, asked)) return unchanged({ assignment: existing, replayed: true });
  return refuse('conflict', ContractsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for another request', { assignmentId });
}

/** Opens a saga in the client document and asks the pool for every line at once. */
export function openSaga(
  client: Client,
  assignmentId: string,
  plan: Pick<Assignment, 'kind' | 'request' | 'target' | 'product' | 'lines'>,
  timeoutMs: number,
  ctx: ChangeContext,
): Decision<Client, Requested> {
  const at = ctx.now.toISOString();
  const assignment: Assignment = {
    assignmentId,
    ...plan,
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
    ...(plan.kind === 'assignment' ? {} : { kind: plan.kind }),
  };
  return { state: next, events: [draft(next, ContractsEvents.assignmentRequested, data, ctx)], result: { assignment, replayed: false } };
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
  const replay = existingSaga(client, assignmentId, { kind: 'assignment', request, target: null });
  if (replay) return replay;
  const today = todayOf(ctx);
  const product = lookup(request.sku);
  const refusal =
    productRefusal(client, request, product) ??
    (product ? modulesRefusal(client, request, product, lookup, today) : undefined) ??
    (product
      ? familyRefusal(heldProducts(client, ctx.now), { sku: product.sku, familyCode: product.familyCode ?? '', trialEdition: false })
      : undefined);
  if (refusal || !product) return refusal as Refusal;
  return openSaga(
    client,
    assignmentId,
    {
      kind: 'assignment',
      request,
      target: null,
      product: { sku: product.sku, familyCode: product.familyCode ?? '', trialEdition: false },
      lines: [
        { sku: request.sku, termMonths: request.termMonths, quantity: request.quantity },
        ...request.modules.map((m) => ({ sku: m.sku, termMonths: request.termMonths, quantity: m.quantity })),
      ],
    },
    timeoutMs,
    ctx,
  );
}

/** Keeps every pending assignment and the newest settled ones, so the document stays bounded. */
function bounded(assignments: Assignment[]): Assignment[] {
  const settled = assignments.filter((a) => a.status !== 'pending');
  if (settled.length <= SETTLED_ASSIGNMENTS_KEPT) return assignments;
  const dropped = new Set(settled.slice(0, settled.length - SETTLED_ASSIGNMENTS_KEPT).map((a) => a.assignmentId));
  return assignments.filter((a) => !dropped.has(a.assignmentId));
}

export const withAssignment = (client: Client, assignment: Assignment, ctx: ChangeContext): Client => ({
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

/** Adds contracts to the service of `sku` (opened with the assignment's terms when the client has none) and its modules. */
function withContracts(client: Client, assignment: Assignment, product: Contract, modules: Contract[]): Service[] {
  const { request } = assignment;
  const current = client.services.find((s) => s.sku === request.sku);
  const service: Service = current ?? emptyService(request.sku, assignment.product, request.managementModel, request.autoRenew);
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

/** The pool is told which contracts its reserved licenses back: it commits them (reserved → assigned). */
export function activation(client: Client, assignment: Assignment, contracts: readonly Contract[], termMonths: Term, ctx: ChangeContext): EventDraft {
  const data: ContractActivatedV1 = {
    assignmentId: assignment.assignmentId,
    partnerId: client.partnerId,
    clientId: client.clientId,
    contracts: contracts.map((c) => ({
      contractId: c.contractId,
      sku: c.sku,
      termMonths,
      quantity: c.licenses,
      startsAt: dayStart(c.startsOn),
      endsAt: dayStart(c.endsOn),
    })),
    activatedAt: ctx.now.toISOString(),
    ...(assignment.kind === 'assignment' ? {} : { kind: assignment.kind }),
  };
  return draft(client, ContractsEvents.contractActivated, data, ctx);
}

/**
 * What the kinds of saga other than a new assignment do (client.sagas.ts): `apply` when the pool
 * reserved their lines, `failed` when they end without them (a failed auto-renewal enters grace).
 */
export interface SagaHooks {
  apply: (client: Client, assignment: Assignment, ctx: ChangeContext) => { state: Client; events: EventDraft[]; contracts: Contract[] } | Refusal;
  failed: (client: Client, assignment: Assignment, code: string, reason: string, ctx: ChangeContext) => Decision<Client, unknown>;
}

/**
 * C2: the pool reserved every line. Unless the deadline passed (then the saga times out here
 * and now) or C1 no longer holds, the contracts start today for the term (a monthly one ends
 * on the 1st of the next month) and the modules share the product's dates (C7). A reservation
 * for an assignment that has already ended, or that this client never asked for, is refused
 * again so the pool releases it. Other kinds of saga are applied by `apply`.
 */
export function activateAssignment(client: Client, assignmentId: string, ctx: ChangeContext, hooks?: SagaHooks): Decision<Client, ActivationResult> {
  const assignment = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (!assignment || assignment.status === 'rejected') {
    const code = assignment?.code ?? ContractsCodes.unknownAssignment;
    const reason = assignment?.reason ?? `client ${client.clientId} has no assignment ${assignmentId}`;
    const next = { ...client, updatedAt: ctx.now.toISOString() };
    return { state: next, events: [rejection(next, assignmentId, code, reason, ctx)], result: { outcome: 'rejected-again', code } };
  }
  if (assignment.status === 'activated') return unchanged({ outcome: 'ignored' });
  const today = todayOf(ctx);
  const timedOut =
    ctx.now.toISOString() >= assignment.deadline
      ? refuse('conflict', ContractsCodes.timeout, `the pool answered after the deadline (${assignment.deadline})`)
      : undefined;
  if (!timedOut && assignment.kind !== 'assignment' && hooks) {
    const applied = hooks.apply(client, assignment, ctx);
    if (!('refused' in applied)) {
      const done: Assignment = {
        ...assignment,
        status: 'activated',
        contractIds: applied.contracts.map((c) => c.contractId),
        settledAt: ctx.now.toISOString(),
      };
      return {
        state: withAssignment(applied.state, done, ctx),
        events: applied.events,
        result: { outcome: 'activated', contracts: applied.contracts },
      };
    }
    return rejectedNow(client, assignment, applied, ctx, hooks);
  }
  const refusal = timedOut ?? familyRefusal(heldProducts({ ...client, assignments: [] }, ctx.now), assignment.product);
  if (refusal) return rejectedNow(client, assignment, refusal, ctx, hooks);
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
  const [product, ...rest] = contracts as [Contract, ...Contract[]];
  const modules = rest.map((m) => ({ ...m, withContract: product.contractId }));
  const activated: Assignment = {
    ...assignment,
    status: 'activated',
    contractIds: contracts.map((c) => c.contractId),
    settledAt: ctx.now.toISOString(),
  };
  const next = { ...withAssignment(client, activated, ctx), services: withContracts(client, assignment, product, modules) };
  const converted = convertTrials(next, assignment.request.sku, ctx);
  return {
    state: converted.state,
    events: [activation(next, assignment, contracts, assignment.request.termMonths, ctx), ...converted.events],
    result: { outcome: 'activated', contracts: [product, ...modules] },
  };
}

/** A saga refused when the pool answered: it ends, and the pool releases what it reserved. */
function rejectedNow(
  client: Client,
  assignment: Assignment,
  refusal: Refusal,
  ctx: ChangeContext,
  hooks?: SagaHooks,
): Decision<Client, ActivationResult> {
  const next = withAssignment(client, rejected(assignment, refusal.code, refusal.message, ctx), ctx);
  const failed = sagaFailed(next, assignment, refusal.code, refusal.message, ctx, hooks);
  return {
    state: failed.state ?? next,
    events: [rejection(next, assignment.assignmentId, refusal.code, refusal.message, ctx), ...(failed.events ?? [])],
    result: { outcome: 'rejected', code: refusal.code },
  };
}

const sagaFailed = (
  client: Client,
  assignment: Assignment,
  code: string,
  reason: string,
  ctx: ChangeContext,
  hooks?: SagaHooks,
): Decision<Client, unknown> => (hooks?.failed ? hooks.failed(client, assignment, code, reason, ctx) : { result: undefined });

export type SettleResult = 'rejected' | 'ignored' | 'unknown';

/** The pool could not reserve the lines: the saga ends with the pool's code (nothing is held, so the pool is not told). */
export function rejectAssignment(
  client: Client,
  assignmentId: string,
  answer: { code: string; reason: string },
  ctx: ChangeContext,
  hooks?: SagaHooks,
): Decision<Client, SettleResult> {
  const assignment = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (!assignment) return unchanged('unknown');
  if (assignment.status !== 'pending') return unchanged('ignored');
  const next = withAssignment(client, rejected(assignment, answer.code, answer.reason, ctx), ctx);
  const failed = sagaFailed(next, assignment, answer.code, answer.reason, ctx, hooks);
  return { state: failed.state ?? next, events: failed.events ?? [], result: 'rejected' };
}

/**
 * The saga's deadline: every pending assignment whose deadline has passed is rejected with
 * CONTRACTS.TIMEOUT, and the pool is told so it releases what it may have reserved meanwhile.
 * Returns the ids timed out (none: nothing changes).
 */
export function timeOutAssignments(client: Client, ctx: ChangeContext, hooks?: SagaHooks): Decision<Client, string[]> {
  const now = ctx.now.toISOString();
  const overdue = client.assignments.filter((a) => a.status === 'pending' && a.deadline <= now);
  if (overdue.length === 0) return unchanged([]);
  let next = client;
  const events: EventDraft[] = [];
  for (const assignment of overdue) {
    const reason = `the pool did not answer by ${assignment.deadline}`;
    next = withAssignment(next, rejected(assignment, ContractsCodes.timeout, reason, ctx), ctx);
    events.push(rejection(next, assignment.assignmentId, ContractsCodes.timeout, reason, ctx, assignment.correlationId));
    const failed = sagaFailed(next, assignment, ContractsCodes.timeout, reason, ctx, hooks);
    next = failed.state ?? next;
    events.push(...(failed.events ?? []));
  }
  return { state: next, events, result: overdue.map((a) => a.assignmentId) };
}

/**
 * The pool could not back an activation (its reservation was released and the stock is gone):
 * the contracts it names are cancelled, without recovery since no license was taken, and a
 * contract-ended says so (nothing leaves the pool's `assigned`). Returns the contracts cancelled.
 */
export function cancelUnbackedContracts(
  client: Client,
  assignmentId: string,
  contractIds: readonly string[],
  answer: { code: string; reason: string },
  ctx: ChangeContext,
): Decision<Client, string[]> {
  const named = new Set(contractIds);
  const today = todayOf(ctx);
  const events: EventDraft[] = [];
  const cancelled: string[] = [];
  const services = client.services.map((s) => {
    const ending = contractsOf(s).filter((c) => named.has(c.contractId));
    if (ending.length === 0) return s;
    for (const c of ending) {
      cancelled.push(c.contractId);
      const data: ContractEndedV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: c.sku,
        contractId: c.contractId,
        reason: 'cancelled',
        lines: linesOf(c),
        unassigned: [],
        cause: answer.code,
        endedOn: today,
        endedAt: ctx.now.toISOString(),
      };
      events.push(draft(client, ContractsEvents.contractEnded, data, ctx));
    }
    return endContracts(s, new Set(ending.map((c) => c.contractId)), 'cancelled', today);
  });
  if (cancelled.length === 0) return unchanged([]);
  const at = ctx.now.toISOString();
  const assignments = client.assignments.map((a) =>
    a.assignmentId === assignmentId ? { ...a, cancellation: { code: answer.code, reason: answer.reason, at } } : a,
  );
  return { state: { ...client, services, assignments, updatedAt: at }, events, result: cancelled };
}

export { contractStatus };
