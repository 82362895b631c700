import { ContractsEvents, type AssignmentRejectedV1, type AssignmentRequestedV1, type ContractActivatedV1 } from '@licensing/events';
import {
  activateAssignment,
  cancelUnbackedContracts,
  createClient,
  rejectAssignment,
  requestAssignment,
  SETTLED_ASSIGNMENTS_KEPT,
  timeOutAssignments,
  type AssignmentRequest,
  type Client,
  type SkuFacts,
} from '../src/domain/client.aggregate';
import { contractStatus } from '../src/domain/contract.rules';
import { at, codeOf, moduleSku, newClient as clientCreated, ok, product, request, TIMEOUT_MS, withCatalog } from './client.fixtures';

const NOW = at('2025-01-31T10:00:00.000Z');

const CATALOG: SkuFacts[] = [
  product('EP-PRO'),
  product('EP-BASIC'),
  product('EP-TRIAL', { trialEdition: true, terms: [] }),
  product('EP-OLD', { retired: true }),
  product('EP-SELF', { managementModels: ['self'] }),
  product('EDR-CORE', { familyCode: 'edr' }),
  moduleSku('MOD-ENC'),
  moduleSku('MOD-FW', { terms: [12] }),
  moduleSku('MOD-OTHER'),
];
const { lookup } = withCatalog(CATALOG);

const newClient = (): Client => clientCreated(NOW);

/** A client with the assignment requested and, unless told otherwise, activated. */
function holding(req: AssignmentRequest, id = 'a-1', client = newClient(), ctx = NOW): Client {
  const requested = ok(requestAssignment(client, id, req, lookup, TIMEOUT_MS, ctx)).state as Client;
  return activateAssignment(requested, id, ctx).state as Client;
}

describe('clients', () => {
  it('a client is created once per partner and client id', () => {
    const created = ok(createClient(null, 'p-1', 'c-1', 'Client One', NOW));
    expect(created.state).toMatchObject({ partnerId: 'p-1', clientId: 'c-1', name: 'Client One', services: [], assignments: [] });
    expect(created.events ?? []).toEqual([]);
    expect(codeOf(createClient(created.state as Client, 'p-1', 'c-1', 'Again', NOW))).toBe('CONTRACTS.CLIENT_EXISTS');
  });
});

describe('C2 assignment requests', () => {
  it('C2 a request waits for the pool until its deadline and asks for the product and its modules in one request', () => {
    const decision = ok(requestAssignment(newClient(), 'a-1', request({ modules: [{ sku: 'MOD-ENC', quantity: 4 }] }), lookup, TIMEOUT_MS, NOW));
    const assignment = decision.state?.assignments[0];
    expect(assignment).toMatchObject({
      assignmentId: 'a-1',
      status: 'pending',
      requestedAt: '2025-01-31T10:00:00.000Z',
      deadline: '2025-01-31T10:00:30.000Z',
      correlationId: 'corr-1',
      product: { sku: 'EP-PRO', familyCode: 'endpoint', trialEdition: false },
    });
    expect(decision.events).toHaveLength(1);
    expect(decision.events?.[0]).toMatchObject({ type: ContractsEvents.assignmentRequested, partnerId: 'p-1', subject: 'p-1/c-1' });
    expect(decision.events?.[0]?.data as AssignmentRequestedV1).toEqual({
      assignmentId: 'a-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      lines: [
        { sku: 'EP-PRO', termMonths: 12, quantity: 10 },
        { sku: 'MOD-ENC', termMonths: 12, quantity: 4 },
      ],
      requestedAt: '2025-01-31T10:00:00.000Z',
    });
  });

  it('C2 the same assignment id with the same request is a replay; with another request it is refused', () => {
    const modules = [
      { sku: 'MOD-ENC', quantity: 2 },
      { sku: 'MOD-FW', quantity: 1 },
    ];
    const client = ok(requestAssignment(newClient(), 'a-1', request({ modules }), lookup, TIMEOUT_MS, NOW)).state as Client;
    const again = ok(requestAssignment(client, 'a-1', request({ modules: [...modules].reverse() }), lookup, TIMEOUT_MS, NOW));
    expect(again.state).toBeUndefined();
    expect(again.result).toMatchObject({ replayed: true, assignment: { assignmentId: 'a-1' } });
    expect(codeOf(requestAssignment(client, 'a-1', request({ quantity: 11, modules }), lookup, TIMEOUT_MS, NOW))).toBe(
      'CONTRACTS.IDEMPOTENCY_KEY_REUSED',
    );
  });

  it.each([
    ['an unknown client', null, request(), 'CONTRACTS.CLIENT_NOT_FOUND'],
    ['a sku the catalog does not know', undefined, request({ sku: 'NOPE' }), 'CONTRACTS.UNKNOWN_SKU'],
    ['a module as the product', undefined, request({ sku: 'MOD-ENC' }), 'CONTRACTS.NOT_A_PRODUCT'],
    ['a retired product', undefined, request({ sku: 'EP-OLD' }), 'CONTRACTS.SKU_RETIRED'],
    ['C10 a trial edition (trials take nothing from the pool)', undefined, request({ sku: 'EP-TRIAL' }), 'CONTRACTS.TRIAL_NOT_POOLED'],
    [
      'a management model the product does not allow',
      undefined,
      request({ sku: 'EP-SELF', managementModel: 'delegated' }),
      'CONTRACTS.MANAGEMENT_MODEL_NOT_ALLOWED',
    ],
  ])('refuses %s', (_, client, req, code) => {
    expect(codeOf(requestAssignment(client === null ? null : newClient(), 'a-1', req, lookup, TIMEOUT_MS, NOW))).toBe(code);
  });

  it('refuses a term the product is not sold for', () => {
    const catalog = (sku: string) => (sku === 'EP-PRO' ? product('EP-PRO', { terms: [12] }) : lookup(sku));
    expect(codeOf(requestAssignment(newClient(), 'a-1', request({ termMonths: 24 }), catalog, TIMEOUT_MS, NOW))).toBe('CONTRACTS.TERM_NOT_ALLOWED');
  });

  it('new licenses of a product the client holds join its service with its management model', () => {
    const client = holding(request({ managementModel: 'delegated' }));
    expect(codeOf(requestAssignment(client, 'a-2', request({ managementModel: 'self' }), lookup, TIMEOUT_MS, NOW))).toBe(
      'CONTRACTS.MANAGEMENT_MODEL_MISMATCH',
    );
    ok(requestAssignment(client, 'a-2', request({ managementModel: 'delegated' }), lookup, TIMEOUT_MS, NOW));
  });
});

describe('C7 modules in an assignment', () => {
  const refusalOf = (modules: AssignmentRequest['modules'], client = newClient(), req: Partial<AssignmentRequest> = {}) =>
    codeOf(requestAssignment(client, 'a-9', request({ modules, ...req }), lookup, TIMEOUT_MS, NOW));

  it('C7 a module the product does not accept is refused', () => {
    expect(refusalOf([{ sku: 'MOD-OTHER', quantity: 1 }])).toBe('CONTRACTS.MODULE_NOT_COMPATIBLE');
  });

  it('C7 a module has at most as many licenses as the product', () => {
    expect(refusalOf([{ sku: 'MOD-ENC', quantity: 10 }])).toBeUndefined();
    expect(refusalOf([{ sku: 'MOD-ENC', quantity: 11 }])).toBe('CONTRACTS.MODULE_EXCEEDS_PRODUCT');
  });

  it('C7 the limit counts the licenses in force of the service the module joins', () => {
    const client = holding(request({ quantity: 10, modules: [{ sku: 'MOD-ENC', quantity: 8 }] }));
    expect(refusalOf([{ sku: 'MOD-ENC', quantity: 7 }], client, { quantity: 5 })).toBeUndefined();
    expect(refusalOf([{ sku: 'MOD-ENC', quantity: 8 }], client, { quantity: 5 })).toBe('CONTRACTS.MODULE_EXCEEDS_PRODUCT');
  });

  it('C7 a module named twice, or not sold for the term, is refused', () => {
    expect(
      refusalOf([
        { sku: 'MOD-ENC', quantity: 1 },
        { sku: 'MOD-ENC', quantity: 1 },
      ]),
    ).toBe('CONTRACTS.DUPLICATE_MODULE');
    expect(refusalOf([{ sku: 'MOD-FW', quantity: 1 }], newClient(), { termMonths: 24 })).toBe('CONTRACTS.TERM_NOT_ALLOWED');
  });
});

describe('C1 family rule in the client document', () => {
  const ask = (client: Client, sku: string, id = 'a-2', ctx = NOW) => requestAssignment(client, id, request({ sku }), lookup, TIMEOUT_MS, ctx);

  it('C1 a pending assignment holds its family: another product of it is refused, the same product is not', () => {
    const pending = ok(ask(newClient(), 'EP-PRO', 'a-1')).state as Client;
    expect(codeOf(ask(pending, 'EP-BASIC'))).toBe('CONTRACTS.FAMILY_RULE');
    ok(ask(pending, 'EP-PRO'));
    ok(ask(pending, 'EDR-CORE'));
  });

  it('C1 a product in force holds its family; once it has expired after grace another product of the family may come', () => {
    const client = holding(request({ termMonths: 12 }));
    expect(codeOf(ask(client, 'EP-BASIC'))).toBe('CONTRACTS.FAMILY_RULE');
    expect(codeOf(ask(client, 'EP-BASIC', 'a-2', at('2026-02-06T10:00:00.000Z')))).toBe('CONTRACTS.FAMILY_RULE');
    ok(ask(client, 'EP-BASIC', 'a-2', at('2026-02-07T10:00:00.000Z')));
  });

  it('C1 an assignment past its deadline holds nothing, even before the sweep rejects it', () => {
    const pending = ok(ask(newClient(), 'EP-PRO', 'a-1')).state as Client;
    expect(codeOf(ask(pending, 'EP-BASIC', 'a-2', at('2025-01-31T10:00:29.999Z')))).toBe('CONTRACTS.FAMILY_RULE');
    ok(ask(pending, 'EP-BASIC', 'a-2', at('2025-01-31T10:00:30.000Z')));
  });

  it('C1 a rejected assignment holds nothing', () => {
    const pending = ok(ask(newClient(), 'EP-PRO', 'a-1')).state as Client;
    const rejected = rejectAssignment(pending, 'a-1', { code: 'POOL.INSUFFICIENT_STOCK', reason: 'none left' }, NOW).state as Client;
    ok(ask(rejected, 'EP-BASIC'));
  });

  it('C1 is checked again when the pool answers: a reservation that would break it is rejected and released', () => {
    // Two pending requests of family products can only coexist when the rule was not checked: force it.
    const first = ok(ask(newClient(), 'EP-PRO', 'a-1')).state as Client;
    const second = ok(ask({ ...first, assignments: [] }, 'EP-BASIC', 'a-2')).state as Client;
    const both = { ...second, assignments: [...first.assignments, ...second.assignments] };
    const active = activateAssignment(both, 'a-1', NOW).state as Client;
    const decision = activateAssignment(active, 'a-2', NOW);
    expect(decision.result).toEqual({ outcome: 'rejected', code: 'CONTRACTS.FAMILY_RULE' });
    expect(decision.events?.map((e) => e.type)).toEqual([ContractsEvents.assignmentRejected]);
    expect(decision.state?.services.map((s) => s.sku)).toEqual(['EP-PRO']);
  });
});

describe('C2 activation when the pool reserved the licenses', () => {
  it('C2 contracts start today and end after the term, modules share the dates, and the pool is told which contracts', () => {
    const requested = ok(
      requestAssignment(
        newClient(),
        'a-1',
        request({ quantity: 10, autoRenew: true, managementModel: 'delegated', modules: [{ sku: 'MOD-ENC', quantity: 4 }] }),
        lookup,
        TIMEOUT_MS,
        NOW,
      ),
    ).state as Client;
    const decision = activateAssignment(requested, 'a-1', at('2025-01-31T10:00:05.000Z'));
    expect(decision.result).toMatchObject({ outcome: 'activated' });
    const [service] = decision.state?.services ?? [];
    expect(service).toMatchObject({ sku: 'EP-PRO', familyCode: 'endpoint', trialEdition: false, managementModel: 'delegated', autoRenew: true });
    expect(service?.contracts).toEqual([
      {
        contractId: 'a-1-1',
        sku: 'EP-PRO',
        licenses: 10,
        lines: [{ termMonths: 12, quantity: 10 }],
        startsOn: '2025-01-31',
        endsOn: '2026-01-31',
        trial: null,
        cancelled: false,
      },
    ]);
    expect(service?.modules).toEqual([
      { sku: 'MOD-ENC', contracts: [expect.objectContaining({ contractId: 'a-1-2', licenses: 4, endsOn: '2026-01-31' })] },
    ]);
    expect(decision.state?.assignments[0]).toMatchObject({
      status: 'activated',
      contractIds: ['a-1-1', 'a-1-2'],
      settledAt: '2025-01-31T10:00:05.000Z',
    });
    expect(decision.events?.map((e) => e.type)).toEqual([ContractsEvents.contractActivated]);
    expect(decision.events?.[0]?.data as ContractActivatedV1).toEqual({
      assignmentId: 'a-1',
      partnerId: 'p-1',
      clientId: 'c-1',
      contracts: [
        {
          contractId: 'a-1-1',
          sku: 'EP-PRO',
          termMonths: 12,
          quantity: 10,
          startsAt: '2025-01-31T00:00:00.000Z',
          endsAt: '2026-01-31T00:00:00.000Z',
        },
        {
          contractId: 'a-1-2',
          sku: 'MOD-ENC',
          termMonths: 12,
          quantity: 4,
          startsAt: '2025-01-31T00:00:00.000Z',
          endsAt: '2026-01-31T00:00:00.000Z',
        },
      ],
      activatedAt: '2025-01-31T10:00:05.000Z',
    });
  });

  it('C2 a monthly contract ends on the 1st of the next month; month ends clamp (Jan 31 + 1 month ends Feb 1, + 24 months Jan 31)', () => {
    const monthly = holding(request({ termMonths: 1 }));
    expect(monthly.services[0]?.contracts[0]).toMatchObject({ startsOn: '2025-01-31', endsOn: '2025-02-01' });
    const leap = holding(request({ termMonths: 12 }), 'a-1', newClient(), at('2028-02-29T12:00:00.000Z'));
    expect(leap.services[0]?.contracts[0]).toMatchObject({ startsOn: '2028-02-29', endsOn: '2029-02-28' });
  });

  it('C2 a second assignment of a product held joins its service', () => {
    const first = holding(request({ quantity: 3 }));
    const second = holding(request({ quantity: 2, autoRenew: true }), 'a-2', first);
    expect(second.services).toHaveLength(1);
    expect(second.services[0]?.contracts.map((c) => [c.contractId, c.licenses])).toEqual([
      ['a-1-1', 3],
      ['a-2-1', 2],
    ]);
    expect(second.services[0]?.autoRenew).toBe(true);
  });

  it('a second answer for an activated assignment changes nothing', () => {
    const client = holding(request());
    expect(activateAssignment(client, 'a-1', NOW)).toEqual({ result: { outcome: 'ignored' } });
  });

  it('a reservation that comes after the deadline times the saga out there and then, and the pool releases it', () => {
    const requested = ok(requestAssignment(newClient(), 'a-1', request(), lookup, TIMEOUT_MS, NOW)).state as Client;
    const decision = activateAssignment(requested, 'a-1', at('2025-01-31T10:00:30.000Z'));
    expect(decision.result).toEqual({ outcome: 'rejected', code: 'CONTRACTS.TIMEOUT' });
    expect(decision.state?.services).toEqual([]);
    expect(decision.events?.[0]).toMatchObject({
      type: ContractsEvents.assignmentRejected,
      data: { assignmentId: 'a-1', code: 'CONTRACTS.TIMEOUT' },
    });
  });

  it('a reservation for an assignment that has ended, or that the client never asked for, is refused again so the pool releases it', () => {
    const requested = ok(requestAssignment(newClient(), 'a-1', request(), lookup, TIMEOUT_MS, NOW)).state as Client;
    const timedOut = timeOutAssignments(requested, at('2025-01-31T10:01:00.000Z')).state as Client;
    const late = activateAssignment(timedOut, 'a-1', at('2025-01-31T10:02:00.000Z'));
    expect(late.result).toEqual({ outcome: 'rejected-again', code: 'CONTRACTS.TIMEOUT' });
    expect(late.state?.assignments).toEqual(timedOut.assignments);
    expect(late.events?.[0]).toMatchObject({ type: ContractsEvents.assignmentRejected, data: { assignmentId: 'a-1', code: 'CONTRACTS.TIMEOUT' } });
    const unknown = activateAssignment(newClient(), 'a-x', NOW);
    expect(unknown.result).toEqual({ outcome: 'rejected-again', code: 'CONTRACTS.UNKNOWN_ASSIGNMENT' });
  });
});

describe('the pool refuses, the saga times out', () => {
  it("a reservation the pool refused ends the saga with the pool's code, without telling the pool again", () => {
    const requested = ok(requestAssignment(newClient(), 'a-1', request(), lookup, TIMEOUT_MS, NOW)).state as Client;
    const answer = { code: 'POOL.INSUFFICIENT_STOCK', reason: 'EP-PRO/12: 10 requested, 3 available' };
    const decision = rejectAssignment(requested, 'a-1', answer, NOW);
    expect(decision.result).toBe('rejected');
    expect(decision.events ?? []).toEqual([]);
    expect(decision.state?.assignments[0]).toMatchObject({ status: 'rejected', code: 'POOL.INSUFFICIENT_STOCK', reason: answer.reason });
    expect(rejectAssignment(decision.state as Client, 'a-1', answer, NOW)).toEqual({ result: 'ignored' });
    expect(rejectAssignment(requested, 'a-x', answer, NOW)).toEqual({ result: 'unknown' });
  });

  it('the deadline rejects only pending assignments past it, with CONTRACTS.TIMEOUT, and tells the pool in the saga correlation', () => {
    let client = ok(requestAssignment(newClient(), 'a-1', request(), lookup, TIMEOUT_MS, NOW)).state as Client;
    client = ok(requestAssignment(client, 'a-2', request(), lookup, TIMEOUT_MS, at('2025-01-31T10:00:20.000Z'))).state as Client;
    expect(timeOutAssignments(client, at('2025-01-31T10:00:29.999Z'))).toEqual({ result: [] });
    const later = { now: new Date('2025-01-31T10:00:30.000Z'), correlationId: 'sweep' };
    const decision = timeOutAssignments(client, later);
    expect(decision.result).toEqual(['a-1']);
    expect(decision.state?.assignments.map((a) => [a.assignmentId, a.status, a.code])).toEqual([
      ['a-1', 'rejected', 'CONTRACTS.TIMEOUT'],
      ['a-2', 'pending', null],
    ]);
    expect(decision.events).toHaveLength(1);
    expect(decision.events?.[0]).toMatchObject({ type: ContractsEvents.assignmentRejected, correlationId: 'corr-1' });
    expect((decision.events?.[0]?.data as AssignmentRejectedV1).code).toBe('CONTRACTS.TIMEOUT');
  });

  it('the document keeps every pending assignment and the newest settled ones', () => {
    let client = newClient();
    for (let i = 0; i < SETTLED_ASSIGNMENTS_KEPT + 5; i++) {
      client = ok(requestAssignment(client, `a-${i}`, request({ sku: 'EDR-CORE' }), lookup, TIMEOUT_MS, NOW)).state as Client;
      if (i > 0) client = rejectAssignment(client, `a-${i}`, { code: 'POOL.INSUFFICIENT_STOCK', reason: '' }, NOW).state as Client;
    }
    expect(client.assignments).toHaveLength(SETTLED_ASSIGNMENTS_KEPT + 1);
    expect(client.assignments[0]).toMatchObject({ assignmentId: 'a-0', status: 'pending' });
    expect(client.assignments.some((a) => a.assignmentId === 'a-1')).toBe(false);
  });
});

describe('an activation the pool cannot back', () => {
  it('cancels the contracts it names without recovery and with nothing leaving assigned, once, and the family is free again', () => {
    const client = holding(request({ modules: [{ sku: 'MOD-ENC', quantity: 2 }] }));
    const answer = { code: 'POOL.RESERVATION_EXPIRED', reason: 'released and gone' };
    const decision = cancelUnbackedContracts(client, 'a-1', ['a-1-1', 'a-1-2'], answer, NOW);
    expect(decision.result).toEqual(['a-1-1', 'a-1-2']);
    expect(decision.events?.map((e) => [e.type, e.data])).toEqual(
      ['a-1-1', 'a-1-2'].map((contractId, i) => [
        ContractsEvents.contractEnded,
        expect.objectContaining({
          contractId,
          sku: i === 0 ? 'EP-PRO' : 'MOD-ENC',
          reason: 'cancelled',
          cause: 'POOL.RESERVATION_EXPIRED',
          unassigned: [],
          lines: [{ sku: i === 0 ? 'EP-PRO' : 'MOD-ENC', termMonths: 12, quantity: i === 0 ? 10 : 2 }],
        }),
      ]),
    );
    const cancelled = decision.state as Client;
    expect(cancelled.services[0]!.contracts).toEqual([]);
    expect(cancelled.services[0]!.ended.map((c) => [c.contractId, c.endedReason, contractStatus(c, '2025-01-31')])).toEqual([
      ['a-1-1', 'cancelled', 'cancelled'],
      ['a-1-2', 'cancelled', 'cancelled'],
    ]);
    expect(cancelled.assignments[0]).toMatchObject({
      status: 'activated',
      cancellation: { code: 'POOL.RESERVATION_EXPIRED', at: NOW.now.toISOString() },
    });
    expect(cancelUnbackedContracts(cancelled, 'a-1', ['a-1-1'], answer, NOW)).toEqual({ result: [] });
    ok(requestAssignment(cancelled, 'a-2', request({ sku: 'EP-BASIC' }), lookup, TIMEOUT_MS, NOW));
  });
});
