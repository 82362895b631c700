import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import type { EventDraft } from '@licensing/events';
import {
  activateAssignment,
  createClient,
  requestAssignment,
  type AssignmentRequest,
  type ChangeContext,
  type Client,
  type LifecyclePolicy,
  type SkuFacts,
  type SkuLookup,
} from '../src/domain/client.aggregate';
import type { Contract } from '../src/domain/contract.rules';
import { DEFAULT_REMINDER_DAYS } from '../src/domain/reminders';

/** The helpers the unit tests of the client aggregate share; each file keeps its own catalog. */

export const TIMEOUT_MS = 30_000;
export const POLICY: LifecyclePolicy = { reminderDays: DEFAULT_REMINDER_DAYS };

export const at = (iso: string): ChangeContext => ({ now: new Date(iso), correlationId: 'corr-1' });
/** 10:00 UTC on a day, or another instant of it. */
export const on = (day: string, time = '10:00:00.000'): ChangeContext => at(`${day}T${time}Z`);

/** A product of the endpoint family, sold for 1, 12, 24 and 36 months, accepting MOD-ENC and MOD-FW. */
export const product = (sku: string, overrides: Partial<SkuFacts> = {}): SkuFacts => ({
  sku,
  kind: 'product',
  familyCode: 'endpoint',
  trialEdition: false,
  terms: [1, 12, 24, 36],
  retired: false,
  moduleSkus: ['MOD-ENC', 'MOD-FW'],
  managementModels: ['self', 'delegated'],
  ...overrides,
});
export const moduleSku = (sku: string, overrides: Partial<SkuFacts> = {}): SkuFacts => ({
  ...product(sku),
  kind: 'module',
  familyCode: null,
  moduleSkus: [],
  managementModels: undefined,
  ...overrides,
});

/** 10 licenses of EP-PRO for 12 months, self-managed, no auto-renewal, no modules. */
export const request = (overrides: Partial<AssignmentRequest> = {}): AssignmentRequest => ({
  sku: 'EP-PRO',
  termMonths: 12,
  quantity: 10,
  managementModel: 'self',
  autoRenew: false,
  modules: [],
  ...overrides,
});

/** Asserts the decision is not a refusal, so a test reads it and fails with the refusal otherwise. */
export function ok<S, R>(decision: Decision<S, R> | Refusal): Decision<S, R> {
  expect(isRefusal(decision) ? decision : undefined).toBeUndefined();
  return decision as Decision<S, R>;
}
export const codeOf = (decision: unknown): string | undefined => (isRefusal(decision) ? decision.code : undefined);
export const stateOf = (decision: Decision<Client, unknown> | Refusal): Client => ok(decision).state as Client;
export const typesOf = (events: EventDraft[] | undefined): string[] => (events ?? []).map((e) => e.type);
export const dataOf = <T>(events: EventDraft[] | undefined, type: string): T[] =>
  (events ?? []).filter((e) => e.type === type).map((e) => e.data as T);

/** Client c-1 ("Client One") of partner p-1, created at 10:00 on 2025-01-01 unless told otherwise. */
export const newClient = (ctx = on('2025-01-01'), clientId = 'c-1', name = 'Client One'): Client =>
  stateOf(createClient(null, 'p-1', clientId, name, ctx));

/** A contract of the client's services, product or module, by id. */
export const contract = (client: Client, contractId: string): Contract | undefined =>
  client.services.flatMap((s) => [...s.contracts, ...s.modules.flatMap((m) => m.contracts)]).find((c) => c.contractId === contractId);

/** The helpers that read the test file's catalog. */
export function withCatalog(catalog: SkuFacts[]) {
  const lookup: SkuLookup = (sku) => catalog.find((s) => s.sku === sku);

  /** The assignment requested and activated at the same instant. */
  function assign(client: Client, id: string, req: AssignmentRequest, ctx: ChangeContext): Client {
    const requested = stateOf(requestAssignment(client, id, req, lookup, TIMEOUT_MS, ctx));
    const activated = activateAssignment(requested, id, ctx);
    expect(activated.result).toMatchObject({ outcome: 'activated' });
    return activated.state as Client;
  }

  /** EP-PRO: 10 licenses for 12 months from 2025-03-01 (ends 2026-03-01), with 4 of MOD-ENC (a-1-1, a-1-2). */
  const holding = (overrides: Partial<AssignmentRequest> = {}): Client =>
    assign(newClient(), 'a-1', request({ modules: [{ sku: 'MOD-ENC', quantity: 4 }], ...overrides }), on('2025-03-01'));

  return { lookup, assign, holding };
}
