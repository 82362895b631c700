import { isRefusal, refuse, type Decision, type Refusal } from '@licensing/domain';
import {
  ContractsEvents,
  type AutoRenewFailedV1,
  type ContractEndedV1,
  type ContractEnteredGraceV1,
  type ContractRenewedV1,
  type EventDraft,
  type LicenseLine,
  type LicensesRecoveredV1,
  type Term,
} from '@licensing/events';
import {
  activation,
  existingSaga,
  heldProducts,
  licensesInForce,
  openSaga,
  skuRefusal,
  termRefusal,
  type Requested,
  type SagaHooks,
} from './client.aggregate';
import {
  contractsOf,
  draft,
  emptyService,
  endContracts,
  findService,
  graceEnd,
  inForce,
  linesOf,
  mapContracts,
  stillAssigned,
  termOf,
  todayOf,
  withService,
  type Assignment,
  type AssignmentRequest,
  type ChangeContext,
  type Client,
  type SagaTarget,
  type Service,
  type SkuLookup,
} from './client.model';
import { contractStatus, endOfTerm, GRACE_DAYS, isMonthly, recovery, renewal, type Contract } from './contract.rules';
import { ContractsCodes } from './contracts.errors';
import { addMonths, type CalendarDay } from './dates';
import { familyRefusal, moduleRefusal } from './family.rules';

/** Merges lines of one (sku, term). */
export function mergeLines(lines: readonly LicenseLine[]): LicenseLine[] {
  const merged = new Map<string, LicenseLine>();
  for (const line of lines) {
    const key = `${line.sku}\n${line.termMonths}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, quantity: seen.quantity + line.quantity } : { ...line });
  }
  return [...merged.values()];
}

/** The service a command names, or why there is none. */
export function serviceOf(client: Client | null, sku: string): Service | Refusal {
  if (!client) return refuse('not-found', ContractsCodes.clientNotFound, 'no such client');
  return findService(client, sku) ?? refuse('not-found', ContractsCodes.serviceNotFound, `the client holds no ${sku}`);
}

/** One saga at a time changes a service's contracts (a renewal, a change, a module, an auto-renewal). */
export function busyRefusal(client: Client, sku: string, now: Date): Refusal | undefined {
  const pending = client.assignments.find(
    (a) => a.status === 'pending' && a.kind !== 'assignment' && a.target?.serviceSku === sku && a.deadline > now.toISOString(),
  );
  const renewing = findService(client, sku)?.contracts.some((c) => c.renewingBy !== undefined);
  if (!pending && !renewing) return undefined;
  return refuse('conflict', ContractsCodes.serviceBusy, `a ${pending?.kind ?? 'auto-renewal'} of ${sku} is waiting for the pool`, {
    assignmentId: pending?.assignmentId,
  });
}

const requestOf = (service: Service, termMonths: Term, quantity: number, modules: { sku: string; quantity: number }[]): AssignmentRequest => ({
  sku: service.sku,
  termMonths,
  quantity,
  managementModel: service.managementModel,
  autoRenew: service.autoRenew,
  modules,
});

/** C7: the module contracts assigned, added or grouped with a product contract (sharing its end date) renew, expire and are recovered with it. */
export const modulesWith = (service: Service, product: Contract): Contract[] =>
  service.modules.flatMap((m) =>
    m.contracts.filter((c) => !c.cancelled && c.endsOn === product.endsOn && (c.withContract === undefined || c.withContract === product.contractId)),
  );

/** C3: what a renewal of a service takes from the pool, and which contracts it extends. */
export function renewalPlan(
  service: Service,
  termMonths: Term,
  today: CalendarDay,
  kind: 'renewal' | 'auto-renewal',
):
  | Omit<
      Assignment,
      'assignmentId' | 'status' | 'code' | 'reason' | 'contractIds' | 'correlationId' | 'requestedAt' | 'deadline' | 'settledAt' | 'cancellation'
    >
  | Refusal {
  if (service.trialEdition) {
    return refuse('invalid', ContractsCodes.trialNotRenewable, `${service.sku} is a trial edition: a trial is extended once, not renewed`);
  }
  const held = service.contracts.filter((c) => inForce(c, today));
  if (held.length === 0) {
    // An expired or cancelled contract says why; one changed or grouped away is not renewable either.
    const last = [...service.ended, ...service.contracts].at(-1);
    const status = last ? contractStatus(last, today) : undefined;
    return last && (status === 'expired' || status === 'cancelled')
      ? (renewal(last, termMonths, today) as Refusal)
      : refuse('conflict', ContractsCodes.noContractInForce, `no contract of ${service.sku} is in force`);
  }
  if (held.some(isMonthly)) {
    return refuse('conflict', ContractsCodes.monthlyRenewsWithPoints, `${service.sku} is monthly: it renews on the 1st with MSSP Points (M4)`);
  }
  const renewals = held.map((c) => renewal(c, termMonths, today));
  const refused = renewals.find(isRefusal);
  if (refused) return refused;
  if (held.length > 1 && renewals.some((r) => !isRefusal(r) && r.early)) {
    return refuse('conflict', ContractsCodes.groupingRequired, `${service.sku} has ${held.length} contracts: group them before renewing early (C6)`, {
      contracts: held.length,
    });
  }
  // Product contracts sharing an end date share its modules: each module contract is renewed once.
  const modules = [...new Map(held.flatMap((c) => modulesWith(service, c)).map((m) => [m.contractId, m])).values()];
  const quantity = held.reduce((total, c) => total + c.licenses, 0);
  const moduleLines = mergeLines(modules.map((m) => ({ sku: m.sku, termMonths, quantity: m.licenses })));
  return {
    kind,
    request: requestOf(
      service,
      termMonths,
      quantity,
      moduleLines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
    ),
    target: { serviceSku: service.sku, contractIds: [...held, ...modules].map((c) => c.contractId), termMonths },
    product: { sku: service.sku, familyCode: service.familyCode, trialEdition: false },
    lines: [{ sku: service.sku, termMonths, quantity }, ...moduleLines],
  };
}

/** C3: a renewal of every product contract in force (and its modules), asked of the pool. */
export function requestRenewal(
  client: Client | null,
  assignmentId: string,
  sku: string,
  termMonths: Term,
  lookup: SkuLookup,
  timeoutMs: number,
  ctx: ChangeContext,
): Decision<Client, Requested> | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  const plan = renewalPlan(service, termMonths, todayOf(ctx), 'renewal');
  if (isRefusal(plan)) {
    // Once activated, the same renewal is no longer possible (it is too early now): its id answers what it did.
    const earlier = client.assignments.find((a) => a.assignmentId === assignmentId);
    if (!earlier) return plan;
    return earlier.kind === 'renewal' && earlier.target?.serviceSku === sku && earlier.target.termMonths === termMonths
      ? { result: { assignment: earlier, replayed: true } }
      : refuse('conflict', ContractsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for another request', { assignmentId });
  }
  const replay = existingSaga(client, assignmentId, plan);
  if (replay) return replay;
  const facts = lookup(sku);
  const refusal = busyRefusal(client, sku, ctx.now) ?? (facts ? termRefusal(facts, termMonths) : undefined);
  if (refusal) return refusal;
  return openSaga(client, assignmentId, plan, timeoutMs, ctx);
}

/** C4: what a change of product would do today; the dry run and the request share it. */
export interface ChangePreview {
  fromSku: string;
  toSku: string;
  kind: 'upgrade' | 'downgrade';
  /** The contracts that end (the product's and its modules'), with what each gives back (C5). */
  ended: { contractId: string; sku: string; recovered: LicenseLine[] }[];
  recovered: LicenseLine[];
  contract: { sku: string; termMonths: Term; quantity: number; startsOn: CalendarDay; endsOn: CalendarDay };
  managementModel: Service['managementModel'];
}

export function changePreview(
  client: Client | null,
  sku: string,
  toSku: string,
  termMonths: Term,
  lookup: SkuLookup,
  ctx: ChangeContext,
): { preview: ChangePreview; target: SagaTarget; service: Service } | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  // Before the family rule, which would count the service's own pending saga as another product held.
  const busy = busyRefusal(client, sku, ctx.now);
  if (busy) return busy;
  const today = todayOf(ctx);
  const from = lookup(sku);
  const row = from?.changes?.find((c) => c.toSku === toSku);
  if (service.trialEdition || !row) {
    return refuse('conflict', ContractsCodes.changeNotAllowed, `the catalog's change table has no change from ${sku} to ${toSku}`);
  }
  const to = lookup(toSku);
  const toRefusal =
    skuRefusal(to, toSku) ??
    (to && (to.kind !== 'product' || to.trialEdition)
      ? refuse('invalid', ContractsCodes.notAProduct, `${toSku} is not a paid product`)
      : undefined) ??
    (to ? termRefusal(to, termMonths) : undefined);
  if (toRefusal || !to) return toRefusal as Refusal;
  const held = contractsOf(service).filter((c) => inForce(c, today));
  const products = service.contracts.filter((c) => inForce(c, today));
  if (products.length === 0) return refuse('conflict', ContractsCodes.noContractInForce, `no contract of ${sku} is in force`);
  const target = findService(client, toSku);
  if (target?.contracts.some((c) => inForce(c, today))) {
    return refuse('conflict', ContractsCodes.changeTargetHeld, `the client already holds ${toSku}`);
  }
  const family = familyRefusal(heldProducts(client, ctx.now, sku), { sku: toSku, familyCode: to.familyCode ?? '', trialEdition: false });
  if (family) return family;
  const quantity = products.reduce((total, c) => total + c.licenses, 0);
  const managementModel =
    !to.managementModels || to.managementModels.includes(service.managementModel) ? service.managementModel : (to.managementModels[0] ?? 'self');
  const ended = held.map((c) => ({ contractId: c.contractId, sku: c.sku, recovered: recovery(c, today) }));
  return {
    service,
    target: {
      serviceSku: sku,
      contractIds: held.map((c) => c.contractId),
      termMonths,
      toSku,
      changeKind: row.kind,
      toProduct: {
        sku: toSku,
        familyCode: to.familyCode ?? '',
        trialEdition: false,
        ...(to.managementModels ? { managementModels: to.managementModels } : {}),
      },
    },
    preview: {
      fromSku: sku,
      toSku,
      kind: row.kind,
      ended,
      recovered: mergeLines(ended.flatMap((e) => e.recovered)),
      contract: { sku: toSku, termMonths, quantity, startsOn: today, endsOn: endOfTerm(today, termMonths) },
      managementModel,
    },
  };
}

/** C4: a change of product, asked of the pool for the new product's licenses. */
export function requestChange(
  client: Client | null,
  assignmentId: string,
  sku: string,
  toSku: string,
  termMonths: Term,
  lookup: SkuLookup,
  timeoutMs: number,
  ctx: ChangeContext,
): Decision<Client, Requested> | Refusal {
  const previewed = changePreview(client, sku, toSku, termMonths, lookup, ctx);
  if (client && isRefusal(previewed)) {
    const earlier = client.assignments.find((a) => a.assignmentId === assignmentId);
    if (
      earlier?.kind === 'change' &&
      earlier.target?.serviceSku === sku &&
      earlier.target.toSku === toSku &&
      earlier.target.termMonths === termMonths
    ) {
      return { result: { assignment: earlier, replayed: true } };
    }
  }
  if (isRefusal(previewed) || !client) return previewed as Refusal;
  const { preview, target, service } = previewed;
  const request = { ...requestOf(service, termMonths, preview.contract.quantity, []), sku: toSku, managementModel: preview.managementModel };
  const plan = {
    kind: 'change' as const,
    request,
    target,
    product: { sku: toSku, familyCode: target.toProduct?.familyCode ?? '', trialEdition: false },
    lines: [{ sku: toSku, termMonths, quantity: preview.contract.quantity }],
  };
  const replay = existingSaga(client, assignmentId, plan);
  if (replay) return replay;
  const busy = busyRefusal(client, sku, ctx.now);
  if (busy) return busy;
  return openSaga(client, assignmentId, plan, timeoutMs, ctx);
}

/** C7: a module added to a grouped service, for the product's term, ending with it. */
export function requestModule(
  client: Client | null,
  assignmentId: string,
  sku: string,
  moduleSku: string,
  quantity: number,
  lookup: SkuLookup,
  timeoutMs: number,
  ctx: ChangeContext,
): Decision<Client, Requested> | Refusal {
  const service = serviceOf(client, sku);
  if (isRefusal(service) || !client) return service as Refusal;
  const today = todayOf(ctx);
  const earlier = client.assignments.find((a) => a.assignmentId === assignmentId);
  if (earlier) {
    const same =
      earlier.kind === 'modules' &&
      earlier.target?.serviceSku === sku &&
      earlier.lines[0]?.sku === moduleSku &&
      earlier.lines[0]?.quantity === quantity;
    return same
      ? { result: { assignment: earlier, replayed: true } }
      : refuse('conflict', ContractsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for another request', { assignmentId });
  }
  if (service.trialEdition)
    return refuse('invalid', ContractsCodes.moduleNotCompatible, `${sku} is a trial edition: modules come with paid products`);
  const products = service.contracts.filter((c) => inForce(c, today));
  if (products.length === 0) return refuse('conflict', ContractsCodes.noContractInForce, `no contract of ${sku} is in force`);
  if (products.length > 1) {
    return refuse('conflict', ContractsCodes.groupingRequired, `${sku} has ${products.length} contracts: group them before adding a module (C6)`, {
      contracts: products.length,
    });
  }
  const [product] = products as [Contract];
  if (contractStatus(product, today) !== 'active') {
    return refuse('conflict', ContractsCodes.inGrace, `contract ${product.contractId} is in grace since ${product.endsOn}: renew it first`);
  }
  const productFacts = lookup(sku);
  const facts = lookup(moduleSku);
  const termMonths = termOf(product);
  const held = service.modules.find((m) => m.sku === moduleSku)?.contracts ?? [];
  const refusal =
    skuRefusal(productFacts, sku) ??
    moduleRefusal({ sku, moduleSkus: productFacts?.moduleSkus ?? [] }, product.licenses, moduleSku, licensesInForce(held, today) + quantity) ??
    skuRefusal(facts, moduleSku) ??
    (facts && facts.kind !== 'module' ? refuse('invalid', ContractsCodes.moduleNotCompatible, `${moduleSku} is not a module`) : undefined) ??
    (facts ? termRefusal(facts, termMonths) : undefined) ??
    busyRefusal(client, sku, ctx.now);
  if (refusal) return refusal;
  return openSaga(
    client,
    assignmentId,
    {
      kind: 'modules',
      request: requestOf(service, termMonths, product.licenses, [{ sku: moduleSku, quantity }]),
      target: { serviceSku: sku, contractIds: [product.contractId], termMonths },
      product: { sku, familyCode: service.familyCode, trialEdition: false },
      lines: [{ sku: moduleSku, termMonths, quantity }],
    },
    timeoutMs,
    ctx,
  );
}

type Applied = { state: Client; events: EventDraft[]; contracts: Contract[] };

/** C3: the renewed contracts' new end dates; the used-up licenses leave the pool's `assigned`. */
function applyRenewal(client: Client, assignment: Assignment, ctx: ChangeContext): Applied | Refusal {
  const target = assignment.target as SagaTarget;
  const service = findService(client, target.serviceSku);
  const today = todayOf(ctx);
  const ids = new Set(target.contractIds);
  const renewing = service ? contractsOf(service).filter((c) => ids.has(c.contractId)) : [];
  const lost = renewing.length < ids.size ? undefined : renewing.find((c) => !inForce(c, today));
  if (!service || renewing.length < ids.size || lost) {
    return refuse('conflict', ContractsCodes.contractExpired, `the contracts to renew are no longer in force`);
  }
  const events: EventDraft[] = [];
  const renewed: Contract[] = [];
  const next = mapContracts(service, (c) => {
    if (!ids.has(c.contractId)) return c;
    const endsOn = addMonths(c.endsOn, target.termMonths);
    const updated: Contract = { ...c, endsOn, lines: [{ termMonths: target.termMonths, quantity: c.licenses }] };
    delete updated.graceFor;
    delete updated.renewingBy;
    delete updated.lapsed;
    renewed.push(updated);
    const data: ContractRenewedV1 = {
      partnerId: client.partnerId,
      clientId: client.clientId,
      sku: c.sku,
      contractId: c.contractId,
      termMonths: target.termMonths,
      source: assignment.kind === 'auto-renewal' ? 'auto-renewal' : 'renewal',
      renewalId: assignment.assignmentId,
      previousEndsOn: c.endsOn,
      endsOn,
      lines: [{ sku: c.sku, termMonths: target.termMonths, quantity: c.licenses }],
      unassigned: stillAssigned(c),
      renewedAt: ctx.now.toISOString(),
    };
    events.push(draft(client, ContractsEvents.contractRenewed, data, ctx));
    return updated;
  });
  const state = withService(client, { ...next, autoRenewFailure: null }, ctx);
  return { state, events: [activation(state, assignment, renewed, target.termMonths, ctx), ...events], contracts: renewed };
}

/** The events of contracts that end: what each gives back (C5) and what leaves the pool's `assigned`. */
export function endingEvents(
  client: Client,
  ending: readonly Contract[],
  reason: 'cancelled' | 'changed',
  recoveryPrefix: string,
  ctx: ChangeContext,
  extra: { changedTo?: string; cause?: LicensesRecoveredV1['cause'] } = {},
): EventDraft[] {
  const today = todayOf(ctx);
  const events: EventDraft[] = [];
  for (const c of ending) {
    const recovered = recovery(c, today);
    if (recovered.length > 0) {
      const data: LicensesRecoveredV1 = {
        recoveryId: `${recoveryPrefix}:${c.contractId}`,
        partnerId: client.partnerId,
        clientId: client.clientId,
        contractId: c.contractId,
        ...(extra.cause ? { cause: extra.cause } : {}),
        lines: recovered,
        recoveredAt: ctx.now.toISOString(),
      };
      events.push(draft(client, ContractsEvents.licensesRecovered, data, ctx));
    }
    const ended: ContractEndedV1 = {
      partnerId: client.partnerId,
      clientId: client.clientId,
      sku: c.sku,
      contractId: c.contractId,
      reason,
      lines: linesOf(c),
      unassigned: c.trial === null ? stillAssigned(c) : [],
      ...(extra.changedTo ? { changedTo: extra.changedTo } : {}),
      endedOn: today,
      endedAt: ctx.now.toISOString(),
    };
    events.push(draft(client, ContractsEvents.contractEnded, ended, ctx));
  }
  return events;
}

/** C4: in one write the old product's contracts end today (recovered by C5) and the new one starts today. */
function applyChange(client: Client, assignment: Assignment, ctx: ChangeContext): Applied | Refusal {
  const target = assignment.target as SagaTarget;
  const toSku = target.toSku as string;
  const service = findService(client, target.serviceSku);
  const today = todayOf(ctx);
  if (!service) return refuse('conflict', ContractsCodes.noContractInForce, `the client no longer holds ${target.serviceSku}`);
  const ending = contractsOf(service).filter((c) => inForce(c, today));
  if (!service.contracts.some((c) => inForce(c, today))) {
    return refuse('conflict', ContractsCodes.noContractInForce, `no contract of ${target.serviceSku} is in force any more`);
  }
  const product = target.toProduct ?? assignment.product;
  const family = familyRefusal(heldProducts({ ...client, assignments: [] }, ctx.now, target.serviceSku), product);
  if (family) return family;
  const line = assignment.lines[0] as LicenseLine;
  const contract: Contract = {
    contractId: `${assignment.assignmentId}-1`,
    sku: toSku,
    licenses: line.quantity,
    lines: [{ termMonths: line.termMonths, quantity: line.quantity }],
    startsOn: today,
    endsOn: endOfTerm(today, line.termMonths),
    trial: null,
    cancelled: false,
  };
  const old = endContracts({ ...service, devices: [] }, new Set(ending.map((c) => c.contractId)), 'changed', today);
  const existing = findService(client, toSku);
  const base = existing ?? emptyService(toSku, product, assignment.request.managementModel, service.autoRenew);
  const moved = [...service.devices].slice(0, contract.licenses);
  const fresh: Service = {
    ...base,
    managementModel: assignment.request.managementModel,
    autoRenew: service.autoRenew,
    contracts: [...base.contracts, contract],
    devices: [...base.devices, ...moved],
  };
  const state = withService(withService(client, old, ctx), fresh, ctx);
  return {
    state,
    events: [
      ...endingEvents(client, ending, 'changed', assignment.assignmentId, ctx, { changedTo: toSku, cause: changeCause(assignment) }),
      activation(state, assignment, [contract], line.termMonths, ctx),
    ],
    contracts: [contract],
  };
}

const changeCause = (assignment: Assignment): 'upgrade' | 'downgrade' => (assignment.target?.changeKind === 'downgrade' ? 'downgrade' : 'upgrade');

/** C7: the module's contract starts today and ends with the product's. */
function applyModule(client: Client, assignment: Assignment, ctx: ChangeContext): Applied | Refusal {
  const target = assignment.target as SagaTarget;
  const service = findService(client, target.serviceSku);
  const today = todayOf(ctx);
  const product = service?.contracts.find((c) => c.contractId === target.contractIds[0] && inForce(c, today));
  if (!service || !product) return refuse('conflict', ContractsCodes.noContractInForce, `the product contract is no longer in force`);
  const line = assignment.lines[0] as LicenseLine;
  const held = service.modules.find((m) => m.sku === line.sku)?.contracts ?? [];
  const limit = moduleRefusal({ sku: service.sku, moduleSkus: [line.sku] }, product.licenses, line.sku, licensesInForce(held, today) + line.quantity);
  if (limit) return limit;
  const contract: Contract = {
    contractId: `${assignment.assignmentId}-1`,
    sku: line.sku,
    licenses: line.quantity,
    lines: [{ termMonths: line.termMonths, quantity: line.quantity }],
    startsOn: today,
    endsOn: product.endsOn,
    trial: null,
    cancelled: false,
    withContract: product.contractId,
  };
  const modules = service.modules.some((m) => m.sku === line.sku)
    ? service.modules.map((m) => (m.sku === line.sku ? { ...m, contracts: [...m.contracts, contract] } : m))
    : [...service.modules, { sku: line.sku, contracts: [contract] }];
  const state = withService(client, { ...service, modules }, ctx);
  return { state, events: [activation(state, assignment, [contract], line.termMonths, ctx)], contracts: [contract] };
}

/** C3: an auto-renewal the pool could not back: the contracts enter grace and the service says why. */
function autoRenewalFailed(client: Client, assignment: Assignment, code: string, reason: string, ctx: ChangeContext): Decision<Client, unknown> {
  if (assignment.kind !== 'auto-renewal' || !assignment.target) return { result: undefined };
  const service = findService(client, assignment.target.serviceSku);
  if (!service) return { result: undefined };
  const ids = new Set(assignment.target.contractIds);
  const products = service.contracts.filter((c) => ids.has(c.contractId) && c.renewingBy === assignment.assignmentId);
  const next = mapContracts(service, (c) => {
    if (c.renewingBy !== assignment.assignmentId) return c;
    const updated = { ...c, graceFor: c.endsOn };
    delete updated.renewingBy;
    return updated;
  });
  const at = ctx.now.toISOString();
  const state = withService(client, { ...next, autoRenewFailure: { code, reason, at } }, ctx);
  const failed: AutoRenewFailedV1 = {
    partnerId: client.partnerId,
    clientId: client.clientId,
    sku: service.sku,
    contractIds: [...ids],
    code,
    reason,
    failedAt: at,
  };
  const events: EventDraft[] = [draft(state, ContractsEvents.autoRenewFailed, failed, ctx)];
  for (const endsOn of new Set(products.map((c) => c.endsOn))) {
    const grace: ContractEnteredGraceV1 = {
      partnerId: client.partnerId,
      clientId: client.clientId,
      sku: service.sku,
      contractIds: products.filter((c) => c.endsOn === endsOn).map((c) => c.contractId),
      endsOn,
      graceEndsOn: graceEnd(endsOn, GRACE_DAYS),
      reason: 'auto-renew-failed',
      enteredAt: at,
    };
    events.push(draft(state, ContractsEvents.contractEnteredGrace, grace, ctx));
  }
  return { state, events, result: undefined };
}

/** The hooks the assignment saga runs for the other kinds. */
export const SAGAS: SagaHooks = {
  apply: (client, assignment, ctx) => {
    switch (assignment.kind) {
      case 'renewal':
      case 'auto-renewal':
        return applyRenewal(client, assignment, ctx);
      case 'change':
        return applyChange(client, assignment, ctx);
      case 'modules':
        return applyModule(client, assignment, ctx);
      default:
        return refuse('conflict', ContractsCodes.unknownAssignment, `unknown saga kind ${String(assignment.kind)}`);
    }
  },
  failed: autoRenewalFailed,
};
