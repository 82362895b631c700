import type { Decision } from '@licensing/domain';
import { ContractsEvents, type ContractEnteredGraceV1, type ContractRenewedV1, type EventDraft } from '@licensing/events';
import { contractsOf, draft, graceEnd, mapContracts, type ChangeContext, type Client } from './client.model';
import { GRACE_DAYS, isMonthly, MONTHLY_TERM, type Contract } from './contract.rules';
import { firstOfNextMonth, type CalendarDay } from './dates';

/** The 1st of a month given as YYYY-MM. */
export const firstOf = (month: string): CalendarDay => `${month}-01`;

/**
 * M4: the partner's monthly licenses of `skus` were renewed for `month` with points. Monthly
 * contracts on them that end on that month's 1st (and did not lapse) run to the next 1st; an
 * event per contract says so (nothing leaves the pool: the same licenses carry on).
 */
export function renewMonthly(
  client: Client,
  month: string,
  skus: readonly string[],
  renewalId: string,
  ctx: ChangeContext,
): Decision<Client, string[]> {
  const renewed: string[] = [];
  const events: EventDraft[] = [];
  const from = firstOf(month);
  const services = client.services.map((service) =>
    mapContracts(service, (c) => {
      if (!isMonthly(c) || c.endsOn !== from || c.lapsedBy !== undefined || c.cancelled || !skus.includes(c.sku)) return c;
      const endsOn = firstOfNextMonth(from);
      const data: ContractRenewedV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: c.sku,
        contractId: c.contractId,
        termMonths: MONTHLY_TERM,
        source: 'points',
        renewalId,
        previousEndsOn: c.endsOn,
        endsOn,
        lines: [],
        unassigned: [],
        renewedAt: ctx.now.toISOString(),
      };
      events.push(draft(client, ContractsEvents.contractRenewed, data, ctx));
      renewed.push(c.contractId);
      const next: Contract = { ...c, endsOn };
      delete next.graceFor;
      return next;
    }),
  );
  if (renewed.length === 0) return { result: [] };
  return { state: { ...client, services, updatedAt: ctx.now.toISOString() }, events, result: renewed };
}

/** A monthly contract a lapse may take licenses from, across a partner's clients. */
export interface LapseCandidate {
  clientId: string;
  contractId: string;
  sku: string;
  startsOn: CalendarDay;
  licenses: number;
}

/** The monthly contracts of `sku` the lapse `eventId` may take (again, on a redelivery): in force and not lapsed, or lapsed by it. */
export function lapseCandidates(client: Client, sku: string, eventId: string, today: CalendarDay): LapseCandidate[] {
  return client.services.flatMap((s) =>
    contractsOf(s)
      .filter(
        (c) =>
          c.sku === sku &&
          isMonthly(c) &&
          !c.cancelled &&
          (c.lapsedBy === eventId || (c.lapsedBy === undefined && today < graceEnd(c.endsOn, GRACE_DAYS))),
      )
      .map((c) => ({ clientId: client.clientId, contractId: c.contractId, sku, startsOn: c.startsOn, licenses: c.licenses })),
  );
}

/**
 * M4 with C9: `count` licenses of `sku` lapsed while assigned; the newest contracts lose theirs
 * first. Deterministic for one event whatever the order the clients are handled in.
 */
export function pickLapsed(candidates: readonly LapseCandidate[], count: number): Map<string, number> {
  const newestFirst = [...candidates].sort((a, b) =>
    a.startsOn !== b.startsOn ? (a.startsOn < b.startsOn ? 1 : -1) : a.contractId < b.contractId ? 1 : -1,
  );
  const picks = new Map<string, number>();
  let left = count;
  for (const c of newestFirst) {
    if (left <= 0) break;
    const taken = Math.min(left, c.licenses);
    picks.set(c.contractId, taken);
    left -= taken;
  }
  return picks;
}

/**
 * The monthly contracts picked for a lapse enter grace from the month's 1st (their licenses
 * were not renewed): they end there, remember how many of their licenses left the pool, and an
 * event says so. They expire after the grace period like any other (C9).
 */
export function lapseMonthly(
  client: Client,
  eventId: string,
  month: string,
  picks: ReadonlyMap<string, number>,
  ctx: ChangeContext,
): Decision<Client, string[]> {
  const from = firstOf(month);
  const lapsed: string[] = [];
  const events: EventDraft[] = [];
  const services = client.services.map((service) => {
    const touched: Contract[] = [];
    const next = mapContracts(service, (c) => {
      const taken = picks.get(c.contractId);
      if (taken === undefined || c.lapsedBy === eventId) return c;
      const endsOn = c.endsOn < from ? c.endsOn : from;
      const updated: Contract = { ...c, endsOn, lapsed: taken, lapsedBy: eventId, graceFor: endsOn };
      touched.push(updated);
      lapsed.push(c.contractId);
      return updated;
    });
    for (const endsOn of new Set(touched.map((c) => c.endsOn))) {
      const data: ContractEnteredGraceV1 = {
        partnerId: client.partnerId,
        clientId: client.clientId,
        sku: service.sku,
        contractIds: touched.filter((c) => c.endsOn === endsOn).map((c) => c.contractId),
        endsOn,
        graceEndsOn: graceEnd(endsOn, GRACE_DAYS),
        reason: 'lapsed',
        enteredAt: ctx.now.toISOString(),
      };
      events.push(draft(client, ContractsEvents.contractEnteredGrace, data, ctx));
    }
    return next;
  });
  if (lapsed.length === 0) return { result: [] };
  return { state: { ...client, services, updatedAt: ctx.now.toISOString() }, events, result: lapsed };
}
