import { isRefusal, type Decision } from '@licensing/domain';
import { ContractsEvents, type ContractEndedV1, type ContractEnteredGraceV1, type ContractExpiringV1, type EventDraft } from '@licensing/events';
import { openSaga } from './client.aggregate';
import {
  contractsOf,
  draft,
  endContracts,
  findService,
  graceEnd,
  linesOf,
  mapContracts,
  stillAssigned,
  termOf,
  todayOf,
  withService,
  type ChangeContext,
  type Client,
  type LifecyclePolicy,
  type SentReminder,
  type Service,
} from './client.model';
import { modulesWith, renewalPlan } from './client.sagas';
import { trimDevices } from './client.services';
import { endDueTrials } from './client.trials';
import { GRACE_DAYS, isMonthly, type Contract } from './contract.rules';
import { addDays, daysBetween, type CalendarDay } from './dates';
import { reminderDue } from './reminders';

export interface TickResult {
  trialsEnded: number;
  autoRenewals: string[];
  enteredGrace: string[];
  expired: string[];
  reminders: number;
}

/** The id of the auto-renewal saga of one contract's end date: the same whoever starts it, however often. */
export const autoRenewalId = (contractId: string, endsOn: CalendarDay): string => `auto-${contractId}-${endsOn}`;

const announced = (c: Contract): boolean => c.graceFor === c.endsOn || c.renewingBy !== undefined;

/**
 * C3: a paid annual product contract reaching its end date renews itself when the service's
 * auto-renew is on (a saga with the pool: the contract is in grace until the pool answers);
 * otherwise it enters its 7-day grace period, and an event says so.
 */
function reachEnds(client: Client, timeoutMs: number, ctx: ChangeContext, result: TickResult): { state: Client; events: EventDraft[] } {
  const today = todayOf(ctx);
  let state = client;
  const events: EventDraft[] = [];
  for (const service of client.services) {
    if (service.trialEdition) continue;
    const due = service.contracts.filter((c) => !isMonthly(c) && c.endsOn <= today && today < graceEnd(c.endsOn, GRACE_DAYS) && !announced(c));
    const graced: Contract[] = [];
    // Product contracts sharing an end date share its modules: the first saga renews them, the others do not ask again.
    const claimed = new Set<string>();
    for (const contract of due) {
      const current = findService(state, service.sku) as Service;
      if (current.autoRenew) {
        const id = autoRenewalId(contract.contractId, contract.endsOn);
        const modules = modulesWith(current, contract).filter((m) => !claimed.has(m.contractId));
        const single: Service = {
          ...current,
          contracts: [contract],
          modules: current.modules.map((m) => ({ ...m, contracts: modules.filter((c) => c.sku === m.sku) })).filter((m) => m.contracts.length > 0),
        };
        const plan = renewalPlan(single, termOf(contract), today, 'auto-renewal');
        if (!isRefusal(plan) && !state.assignments.some((a) => a.assignmentId === id)) {
          const opened = openSaga(state, id, plan, timeoutMs, { ...ctx, correlationId: id });
          state = opened.state as Client;
          events.push(...(opened.events ?? []));
          state = withService(
            state,
            mapContracts(findService(state, service.sku) as Service, (c) => (c.contractId === contract.contractId ? { ...c, renewingBy: id } : c)),
            ctx,
          );
          for (const renewing of plan.target?.contractIds ?? []) claimed.add(renewing);
          result.autoRenewals.push(id);
          continue;
        }
      }
      graced.push(contract);
    }
    if (graced.length === 0) continue;
    const ids = new Set(graced.map((c) => c.contractId));
    state = withService(
      state,
      mapContracts(findService(state, service.sku) as Service, (c) => (ids.has(c.contractId) ? { ...c, graceFor: c.endsOn } : c)),
      ctx,
    );
    for (const endsOn of new Set(graced.map((c) => c.endsOn))) {
      const data: ContractEnteredGraceV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: service.sku,
        contractIds: graced.filter((c) => c.endsOn === endsOn).map((c) => c.contractId),
        endsOn,
        graceEndsOn: graceEnd(endsOn, GRACE_DAYS),
        reason: 'not-renewed',
        enteredAt: ctx.now.toISOString(),
      };
      events.push(draft(state, ContractsEvents.contractEnteredGrace, data, ctx));
      result.enteredGrace.push(...data.contractIds);
    }
  }
  return { state, events };
}

/** C9: after grace a contract expires; its licenses leave the pool's `assigned`, and devices beyond the licenses left lose theirs. */
function expire(client: Client, ctx: ChangeContext, result: TickResult): { state: Client; events: EventDraft[] } {
  const today = todayOf(ctx);
  let state = client;
  const events: EventDraft[] = [];
  for (const service of client.services) {
    const due = contractsOf(service).filter((c) => c.trial === null && today >= graceEnd(c.endsOn, GRACE_DAYS) && c.renewingBy === undefined);
    if (due.length === 0) continue;
    const after = endContracts(service, new Set(due.map((c) => c.contractId)), 'expired', today);
    for (const c of due) {
      const data: ContractEndedV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: c.sku,
        contractId: c.contractId,
        reason: 'expired',
        lines: linesOf(c),
        unassigned: stillAssigned(c),
        endedOn: graceEnd(c.endsOn, GRACE_DAYS),
        endedAt: ctx.now.toISOString(),
      };
      events.push(draft(state, ContractsEvents.contractEnded, data, ctx));
      result.expired.push(c.contractId);
    }
    const trimmed = trimDevices(state, after, 'licenses-ended', ctx);
    state = withService(state, trimmed.service, ctx);
    events.push(...trimmed.events);
  }
  return { state, events };
}

/** C11 steps that fall within the contract: a 30-day trial gets no "30 days left" on its first day. */
const stepsFor = (contract: Contract, policy: LifecyclePolicy): number[] =>
  policy.reminderDays.filter((d) => d < daysBetween(contract.startsOn, contract.endsOn));

/** The contracts that get C11 reminders: paid annual products and trials (monthly ones renew with points every month). */
const remindable = (service: Service): Contract[] => service.contracts.filter((c) => !isMonthly(c) || c.trial !== null);

/** C11: one reminder per contract and end date for the latest step due; earlier steps a clock jump passed are skipped. */
function remind(client: Client, policy: LifecyclePolicy, ctx: ChangeContext, result: TickResult): { state: Client; events: EventDraft[] } {
  const today = todayOf(ctx);
  const sent: SentReminder[] = [];
  const events: EventDraft[] = [];
  for (const service of client.services) {
    for (const contract of remindable(service)) {
      const already = client.reminders.filter((r) => r.contractId === contract.contractId);
      const due = reminderDue(contract.endsOn, stepsFor(contract, policy), already, today);
      if (!due) continue;
      sent.push({ contractId: contract.contractId, endsOn: due.endsOn, daysBefore: due.daysBefore });
      const data: ContractExpiringV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: service.sku,
        contractId: contract.contractId,
        endsOn: contract.endsOn,
        daysBefore: due.daysBefore,
        daysLeft: due.daysLeft,
        autoRenew: service.autoRenew,
        remindedAt: ctx.now.toISOString(),
      };
      events.push(draft(client, ContractsEvents.contractExpiring, data, ctx));
    }
  }
  result.reminders += sent.length;
  return { state: sent.length === 0 ? client : { ...client, reminders: [...client.reminders, ...sent] }, events };
}

/**
 * Everything about a client that falls due by today (DESIGN §4: a reminder job or the sweep
 * calls it, and it re-reads the document): trial ends, contract ends (auto-renewal or grace),
 * expiries after grace, and reminders. Idempotent: a second tick on the same day does nothing.
 */
export function tick(client: Client, policy: LifecyclePolicy, timeoutMs: number, ctx: ChangeContext): Decision<Client, TickResult> {
  const result: TickResult = { trialsEnded: 0, autoRenewals: [], enteredGrace: [], expired: [], reminders: 0 };
  const trials = endDueTrials(client, ctx);
  result.trialsEnded = trials.events.filter((e) => e.type === ContractsEvents.trialEnded).length;
  const ends = reachEnds(trials.state, timeoutMs, ctx, result);
  const expiries = expire(ends.state, ctx, result);
  const reminders = remind(expiries.state, policy, ctx, result);
  const events = [...trials.events, ...ends.events, ...expiries.events, ...reminders.events];
  if (events.length === 0 && reminders.state === client) return { result };
  return { state: { ...reminders.state, updatedAt: ctx.now.toISOString() }, events, result };
}

/** The first day something of the client falls due (the sweep's index), null when nothing will. */
export function nextDueOn(client: Client, policy: LifecyclePolicy, today: CalendarDay): CalendarDay | null {
  const days: CalendarDay[] = [];
  for (const service of client.services) {
    for (const c of contractsOf(service)) {
      if (c.trial !== null) {
        days.push(c.endsOn);
        continue;
      }
      if (service.contracts.includes(c) && !isMonthly(c) && !announced(c)) days.push(c.endsOn);
      if (c.renewingBy === undefined) days.push(graceEnd(c.endsOn, GRACE_DAYS));
    }
    for (const c of remindable(service)) {
      if (c.endsOn <= today) continue;
      const sent = client.reminders.filter((r) => r.contractId === c.contractId && r.endsOn === c.endsOn).map((r) => r.daysBefore);
      const floor = sent.length > 0 ? Math.min(...sent) : Infinity;
      const next = stepsFor(c, policy).filter((d) => d < floor);
      if (next.length > 0) days.push(addDays(c.endsOn, -Math.max(...next)));
    }
  }
  return days.sort()[0] ?? null;
}

/** Fields derived on every save: the sweep's index, the monthly skus, and reminders of contracts still held. */
export function withDerived(client: Client, policy: LifecyclePolicy, today: CalendarDay): Client {
  const held = new Set(client.services.flatMap((s) => contractsOf(s).map((c) => `${c.contractId}\n${c.endsOn}`)));
  const reminders = client.reminders.filter((r) => held.has(`${r.contractId}\n${r.endsOn}`));
  const monthlySkus = [
    ...new Set(
      client.services.flatMap((s) =>
        contractsOf(s)
          .filter(isMonthly)
          .map((c) => c.sku),
      ),
    ),
  ].sort();
  const next = { ...client, reminders };
  return { ...next, nextDueOn: nextDueOn(next, policy, today), monthlySkus };
}
