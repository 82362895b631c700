import { createEvent, validateEvent, type CloudEvent, type EventDraft, type StockLine } from '@licensing/events';
import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { movementsOf } from '../src/domain/ledger';
import {
  commit,
  credit,
  expire,
  purchase,
  release,
  releaseExpired,
  reserve,
  setThreshold,
  unassign,
  type Activation,
  type Pool,
  type PoolContext,
  type Unassignment,
} from '../src/domain/pool.aggregate';
import type { SkuFacts, SkuLookup } from '../src/domain/stock-rules';
import { orderDigest } from '../src/infrastructure/order-digest';

const catalog: Record<string, SkuFacts> = {
  'EP-PRO': { status: 'active', terms: [1, 12, 24, 36], trialEdition: false },
  'EP-ENC': { status: 'active', terms: [12, 24, 36], trialEdition: false },
  'EP-OLD': { status: 'retired', terms: [12], trialEdition: false },
  'EP-TRIAL': { status: 'active', terms: [], trialEdition: true },
  PATCH: { status: 'active', terms: [12], trialEdition: false },
};
const lookup: SkuLookup = (sku) => catalog[sku];
/** Contracts activated on exactly the lines the pool reserved for the assignment (issue 9.11: a commit checks them). */
const activated = (pool: Pool | null, assignmentId: string): Activation => {
  const lines =
    pool?.reservations.find((r) => r.assignmentId === assignmentId)?.lines ?? pool?.closed.find((c) => c.assignmentId === assignmentId)?.lines ?? [];
  return { assignmentId, contracts: lines.map((l, i) => ({ contractId: `${assignmentId}-k${i}`, ...l })) };
};
const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const TIMEOUT = 60_000;

/**
 * A pool in memory driven the way the repository drives it: each decision sees the state and
 * version, its events are built into CloudEvents and must validate against their schemas.
 */
class Harness {
  pool: Pool | null = null;
  version = 0;
  events: CloudEvent[] = [];
  clock = T0;
  /** Ids of the events handled, recorded with each change as the repository does. */
  handled: string[] = [];

  ctx(): PoolContext {
    return { now: new Date(this.clock), version: this.version, correlationId: 'corr-1', causationId: 'cause-1' };
  }

  run<R>(decide: (pool: Pool | null, ctx: PoolContext) => Decision<Pool, R>): R;
  run<R>(decide: (pool: Pool | null, ctx: PoolContext) => Decision<Pool, R>, eventId: string): R | 'duplicate';
  run<R>(decide: (pool: Pool | null, ctx: PoolContext) => Decision<Pool, R>, eventId?: string): R | 'duplicate' {
    if (eventId !== undefined && this.handled.includes(eventId)) return 'duplicate';
    const change = decide(this.pool, this.ctx());
    if (change.state) {
      this.pool = change.state;
      this.version += 1;
      for (const draft of change.events ?? []) this.events.push(built(draft));
      if (eventId !== undefined) this.handled.push(eventId);
    }
    return change.result;
  }

  buy(lines: StockLine[], orderId = `o-${this.version}`) {
    return this.run((p, c) => purchase(p, 'p-1', { orderId, lines }, lookup, c, { digest: orderDigest(lines) }));
  }

  reserve(assignmentId: string, lines: StockLine[]) {
    return this.run((p, c) => reserve(p, 'p-1', { assignmentId, clientId: 'c-1', lines }, lookup, c, TIMEOUT));
  }

  line(sku: string, termMonths: number) {
    return this.pool?.lines.find((l) => l.sku === sku && l.termMonths === termMonths);
  }

  ofType(type: string) {
    return this.events.filter((e) => e.type === type);
  }
}

function built(draft: EventDraft): CloudEvent {
  const event = createEvent(draft);
  expect(validateEvent(event)).toEqual({ ok: true });
  return event;
}

const line = (sku: string, termMonths: 1 | 12 | 24 | 36, quantity: number): StockLine => ({ sku, termMonths, quantity });
const refusalCode = (result: unknown) => (isRefusal(result) ? (result as Refusal).code : undefined);

describe('P2 purchases', () => {
  it('P2 a purchase puts annual licenses in available and announces stock-credited (source purchase)', () => {
    const h = new Harness();
    const result = h.buy([line('EP-PRO', 12, 5), line('EP-PRO', 24, 2), line('EP-PRO', 12, 3)], 'order-1');
    expect(result).toEqual({ duplicate: false, lines: [line('EP-PRO', 12, 8), line('EP-PRO', 24, 2)] });
    expect(h.line('EP-PRO', 12)).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 8, reserved: 0, assigned: 0 });
    expect(h.pool?.openedAt).toBe(new Date(T0).toISOString());
    const [event] = h.ofType('pool.stock-credited.v1');
    expect(event?.data).toMatchObject({ creditId: 'order-1', source: 'purchase', poolVersion: 1 });
    expect(event).toMatchObject({ partnerid: 'p-1', subject: 'p-1', correlationid: 'corr-1', causationid: 'cause-1' });
  });

  it('P2 the same order twice adds stock once; the same orderId with other lines is a conflict', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5)], 'order-1');
    expect(h.buy([line('EP-PRO', 12, 5)], 'order-1')).toEqual({ duplicate: true, lines: [line('EP-PRO', 12, 5)] });
    expect(refusalCode(h.buy([line('EP-PRO', 12, 6)], 'order-1'))).toBe('POOL.ORDER_CONFLICT');
    expect(h.line('EP-PRO', 12)?.available).toBe(5);
    expect(h.version).toBe(1);
  });

  it('issue 9, item 8: the quantity cap holds after the lines of one sku and term are merged', () => {
    const h = new Harness();
    expect(refusalCode(h.buy([line('EP-PRO', 12, 1_000_000), line('EP-PRO', 12, 1_000_000)]))).toBe('POOL.QUANTITY_TOO_LARGE');
    expect(h.pool).toBeNull();
    expect(h.buy([line('EP-PRO', 12, 600_000), line('EP-PRO', 24, 600_000)])).toMatchObject({ duplicate: false });
    expect(h.line('EP-PRO', 12)?.available).toBe(600_000);
  });

  it('P2 an order older than the pool remembers is recognised by the digest the ledger recorded', () => {
    const h = new Harness();
    const past = orderDigest([line('EP-PRO', 12, 5)]);
    const same = [line('EP-PRO', 12, 5)];
    const other = [line('EP-PRO', 12, 1)];
    expect(h.run((p, c) => purchase(p, 'p-1', { orderId: 'old', lines: same }, lookup, c, { digest: orderDigest(same), past }))).toEqual({
      duplicate: true,
      lines: [line('EP-PRO', 12, 5)],
    });
    expect(refusalCode(h.run((p, c) => purchase(p, 'p-1', { orderId: 'old', lines: other }, lookup, c, { digest: orderDigest(other), past })))).toBe(
      'POOL.ORDER_CONFLICT',
    );
    expect(h.pool).toBeNull();
  });

  it.each([
    ['an unknown sku', line('NOPE', 12, 1), 'POOL.UNKNOWN_SKU'],
    ['a retired sku', line('EP-OLD', 12, 1), 'POOL.SKU_RETIRED'],
    ['a term the product does not allow', line('EP-ENC', 1, 1), 'POOL.TERM_NOT_ALLOWED'],
    ['a term the product does not sell', line('PATCH', 36, 1), 'POOL.TERM_NOT_ALLOWED'],
    ['monthly licenses (points only)', line('EP-PRO', 1, 1), 'POOL.TERM_NOT_ALLOWED'],
    ['a trial edition', line('EP-TRIAL', 12, 1), 'POOL.TRIAL_NOT_POOLED'],
  ])('P2 refuses %s and changes nothing', (_label, bad, code) => {
    const h = new Harness();
    const result = h.buy([line('EP-PRO', 12, 1), bad]);
    expect(refusalCode(result)).toBe(code);
    expect((result as Refusal).details).toEqual({ lines: [expect.objectContaining({ sku: bad.sku, code })] });
    expect(h.pool).toBeNull();
    expect(h.events).toEqual([]);
  });
});

describe('P3 reservations', () => {
  it('P3 reserves every line of a request: available moves to reserved, with a deadline', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 10), line('EP-ENC', 12, 10)]);
    const result = h.reserve('a-1', [line('EP-PRO', 12, 4), line('EP-ENC', 12, 4)]);
    expect(result).toMatchObject({ outcome: 'reserved', reservation: { assignmentId: 'a-1', expiresAt: new Date(T0 + TIMEOUT).toISOString() } });
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 6, reserved: 4 });
    expect(h.ofType('pool.licenses-reserved.v1')[0]?.data).toMatchObject({
      assignmentId: 'a-1',
      movements: [
        { sku: 'EP-ENC', termMonths: 12, available: -4, reserved: 4, assigned: 0 },
        { sku: 'EP-PRO', termMonths: 12, available: -4, reserved: 4, assigned: 0 },
      ],
    });
  });

  it('P3 a multi-line request that cannot be met in full reserves nothing and names each line', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 10), line('EP-ENC', 12, 2)]);
    const before = h.pool;
    const result = h.reserve('a-1', [line('EP-PRO', 12, 5), line('EP-ENC', 12, 3), line('EP-OLD', 12, 1)]);
    expect(result).toEqual({ outcome: 'rejected', code: 'POOL.INSUFFICIENT_STOCK' });
    expect(h.pool?.lines).toEqual(before?.lines);
    expect(h.pool?.reservations).toEqual([]);
    expect(h.ofType('pool.reservation-rejected.v1')[0]?.data).toMatchObject({
      code: 'POOL.INSUFFICIENT_STOCK',
      lines: [
        { sku: 'EP-ENC', termMonths: 12, quantity: 3, available: 2, code: 'POOL.INSUFFICIENT_STOCK' },
        { sku: 'EP-OLD', termMonths: 12, quantity: 1, available: 0, code: 'POOL.SKU_RETIRED' },
        { sku: 'EP-PRO', termMonths: 12, quantity: 5, available: 10 },
      ],
    });
  });

  it('P3 stock never goes below zero: of 50 requests for 1 license against 20, exactly 20 are reserved', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 20)]);
    const outcomes = Array.from({ length: 50 }, (_, i) => h.reserve(`a-${i}`, [line('EP-PRO', 12, 1)]).outcome);
    expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(20);
    expect(outcomes.filter((o) => o === 'rejected')).toHaveLength(30);
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 0, reserved: 20 });
  });

  it('P3 an assignmentId is used once: a second request with it changes nothing', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5)]);
    h.reserve('a-1', [line('EP-PRO', 12, 1)]);
    const version = h.version;
    expect(h.reserve('a-1', [line('EP-PRO', 12, 1)])).toEqual({ outcome: 'ignored' });
    expect(h.version).toBe(version);
  });

  it('P3 a request for a partner without a pool is rejected with POOL.PARTNER_NOT_FOUND; the pool stays unopened', () => {
    const h = new Harness();
    expect(h.reserve('a-1', [line('EP-PRO', 12, 1)])).toEqual({ outcome: 'rejected', code: 'POOL.PARTNER_NOT_FOUND' });
    expect(h.pool?.openedAt).toBeNull();
  });

  it('commits a reservation on activation: reserved becomes assigned; a second activation changes nothing', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5)]);
    h.reserve('a-1', [line('EP-PRO', 12, 2)]);
    expect(h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c))).toEqual({ outcome: 'committed', late: false });
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 3, reserved: 0, assigned: 2 });
    expect(h.pool?.reservations).toEqual([]);
    expect(h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c))).toEqual({ outcome: 'ignored' });
  });

  it('releases on rejection, and only an open reservation', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5)]);
    h.reserve('a-1', [line('EP-PRO', 12, 2)]);
    expect(h.run((p, c) => release(p, 'a-1', 'CONTRACTS.FAMILY_RULE: x', c))).toEqual({ outcome: 'released', assignmentIds: ['a-1'] });
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 5, reserved: 0 });
    expect(h.ofType('pool.reservation-released.v1')[0]?.data).toMatchObject({ reason: 'rejected', detail: 'CONTRACTS.FAMILY_RULE: x' });
    expect(h.run((p, c) => release(p, 'a-1', 'again', c))).toEqual({ outcome: 'ignored' });
  });

  it('a reservation never stays open forever: it is released at its deadline, not before', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5)]);
    h.reserve('a-1', [line('EP-PRO', 12, 2)]);
    h.clock = T0 + 1000;
    h.reserve('a-2', [line('EP-PRO', 12, 1)]);
    h.clock = T0 + TIMEOUT - 1;
    expect(h.run((p, c) => releaseExpired(p, c))).toEqual({ outcome: 'ignored' });
    h.clock = T0 + TIMEOUT;
    expect(h.run((p, c) => releaseExpired(p, c))).toEqual({ outcome: 'released', assignmentIds: ['a-1'] });
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 4, reserved: 1 });
    const [released] = h.ofType('pool.reservation-released.v1');
    expect(released).toMatchObject({ correlationid: 'corr-1', data: { reason: 'timeout', assignmentId: 'a-1' } });
  });

  it('an activation after a timeout takes the licenses again while available (late), else says commit-rejected', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 2)]);
    h.reserve('a-1', [line('EP-PRO', 12, 1)]);
    h.reserve('a-2', [line('EP-PRO', 12, 1)]);
    h.clock = T0 + TIMEOUT;
    h.run((p, c) => releaseExpired(p, c));
    expect(h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c))).toEqual({ outcome: 'committed', late: true });
    h.reserve('a-3', [line('EP-PRO', 12, 1)]);
    const before = h.pool?.lines;
    expect(h.run((p, c) => commit(p, 'p-1', activated(p, 'a-2'), c))).toEqual({ outcome: 'commit-rejected', code: 'POOL.RESERVATION_EXPIRED' });
    expect(h.pool?.lines).toEqual(before);
    expect(h.run((p, c) => commit(p, 'p-1', activated(p, 'never'), c))).toEqual({ outcome: 'commit-rejected', code: 'POOL.RESERVATION_NOT_FOUND' });
    expect(h.line('EP-PRO', 12)).toMatchObject({ available: 0, reserved: 1, assigned: 1 });
  });
});

describe('P2 credits', () => {
  it('P2 a points exchange credits monthly licenses (term 1); the same exchange twice once', () => {
    const h = new Harness();
    const exchange = { creditId: 'x-1', source: 'points' as const, lines: [line('EP-PRO', 1, 3)] };
    expect(h.run((p, c) => credit(p, 'p-1', exchange, lookup, c))).toEqual({ outcome: 'credited' });
    expect(h.run((p, c) => credit(p, 'p-1', exchange, lookup, c))).toEqual({ outcome: 'ignored' });
    expect(h.line('EP-PRO', 1)).toMatchObject({ available: 3 });
    expect(h.ofType('pool.stock-credited.v1')[0]?.data).toMatchObject({ source: 'points', creditId: 'x-1' });
  });

  it.each([
    ['an unknown sku', line('NOPE', 1, 1), 'POOL.UNKNOWN_SKU'],
    ['a retired sku', line('EP-OLD', 1, 1), 'POOL.SKU_RETIRED'],
    ['a sku without term 1', line('EP-ENC', 1, 1), 'POOL.TERM_NOT_ALLOWED'],
  ])('P2 a points exchange for %s is rejected whole (credit-rejected) and adds nothing', (_label, bad, code) => {
    const h = new Harness();
    const result = h.run((p, c) => credit(p, 'p-1', { creditId: 'x-1', source: 'points', lines: [line('EP-PRO', 1, 1), bad] }, lookup, c));
    expect(result).toEqual({ outcome: 'rejected', code });
    expect(h.pool?.lines).toEqual([]);
    expect(h.ofType('pool.credit-rejected.v1')[0]?.data).toMatchObject({ creditId: 'x-1', source: 'points', code });
  });

  it('C5 recovered licenses keep their original term, also for a retired product; trial licenses are refused', () => {
    const h = new Harness();
    expect(
      h.run((p, c) => credit(p, 'p-1', { creditId: 'r-1', source: 'recovery', lines: [line('EP-OLD', 12, 2), line('EP-PRO', 36, 1)] }, lookup, c)),
    ).toEqual({
      outcome: 'credited',
    });
    expect(h.pool?.lines.map((l) => [l.sku, l.termMonths, l.available])).toEqual([
      ['EP-OLD', 12, 2],
      ['EP-PRO', 36, 1],
    ]);
    expect(h.run((p, c) => credit(p, 'p-1', { creditId: 'r-2', source: 'recovery', lines: [line('EP-TRIAL', 12, 1)] }, lookup, c))).toEqual({
      outcome: 'rejected',
      code: 'POOL.TRIAL_NOT_POOLED',
    });
  });
});

describe('M4 expiry of lapsed monthly licenses', () => {
  it('M4 removes available licenses first, then reserved ones (issue 9.11), then assigned ones; the rest is a shortfall', () => {
    const h = new Harness();
    h.run((p, c) => credit(p, 'p-1', { creditId: 'x-1', source: 'points', lines: [line('EP-PRO', 1, 10)] }, lookup, c));
    h.reserve('a-1', [line('EP-PRO', 1, 4)]);
    h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c));
    h.reserve('a-2', [line('EP-PRO', 1, 2)]);
    // available 4, reserved 2, assigned 4
    const result = h.run((p, c) => expire(p, { month: '2025-03', reference: 'renewal:2025-03', lines: [{ sku: 'EP-PRO', quantity: 11 }] }, c));
    expect(result).toEqual({ outcome: 'expired', removed: 10, shortfall: 1, released: ['a-2'] });
    expect(h.line('EP-PRO', 1)).toMatchObject({ available: 0, reserved: 0, assigned: 0 });
    expect(h.ofType('pool.stock-expired.v1')[0]?.data).toMatchObject({
      reference: 'renewal:2025-03',
      lines: [{ sku: 'EP-PRO', termMonths: 1, quantity: 11, removed: 10, shortfall: 1 }],
      movements: [{ sku: 'EP-PRO', termMonths: 1, available: -6, reserved: 0, assigned: -4 }],
    });
  });

  it('M4 a lapse of licenses the pool does not hold changes nothing', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 1)]);
    expect(h.run((p, c) => expire(p, { month: '2025-03', reference: 'lapse:2025-03', lines: [{ sku: 'EP-PRO', quantity: 3 }] }, c))).toEqual({
      outcome: 'ignored',
    });
  });
});

describe('C9, C3 licenses leave assigned when a contract ends or is renewed', () => {
  const ending = (lines: StockLine[], reason: Unassignment['reason'] = 'cancelled'): Unassignment => ({
    clientId: 'c-1',
    contractId: 'k-1',
    reason,
    reference: 'evt-1',
    lines,
  });
  /** 10 EP-PRO/12 and 3 EP-ENC/12 bought, 6 and 3 assigned, 1 EP-PRO/12 reserved. */
  const assignedPool = () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 10), line('EP-ENC', 12, 3)]);
    h.reserve('a-1', [line('EP-PRO', 12, 6), line('EP-ENC', 12, 3)]);
    h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c));
    h.reserve('a-2', [line('EP-PRO', 12, 1)]);
    return h;
  };

  it('C9 an ended contract takes exactly its lines out of assigned; available and reserved stay', () => {
    const h = assignedPool();
    const result = h.run((p, c) => unassign(p, ending([line('EP-PRO', 12, 4), line('EP-ENC', 12, 2), line('EP-PRO', 12, 1)]), c));
    const lines = [
      { sku: 'EP-ENC', termMonths: 12, quantity: 2, removed: 2, shortfall: 0 },
      { sku: 'EP-PRO', termMonths: 12, quantity: 5, removed: 5, shortfall: 0 },
    ];
    expect(result).toEqual({ outcome: 'unassigned', lines, removed: 7, shortfall: 0 });
    expect(h.line('EP-PRO', 12)).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 3, reserved: 1, assigned: 1 });
    expect(h.line('EP-ENC', 12)).toEqual({ sku: 'EP-ENC', termMonths: 12, available: 0, reserved: 0, assigned: 1 });
    const [event] = h.ofType('pool.licenses-unassigned.v1');
    expect(event?.data).toEqual({
      partnerId: 'p-1',
      clientId: 'c-1',
      contractId: 'k-1',
      reason: 'cancelled',
      reference: 'evt-1',
      lines,
      movements: [
        { sku: 'EP-ENC', termMonths: 12, available: 0, reserved: 0, assigned: -2 },
        { sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 0, assigned: -5 },
      ],
      poolVersion: h.version,
      unassignedAt: new Date(T0).toISOString(),
    });
    expect(movementsOf(event as CloudEvent).map((m) => [m.reason, m.detail, m.reference, m.assigned])).toEqual([
      ['unassigned', 'cancelled', 'k-1', -2],
      ['unassigned', 'cancelled', 'k-1', -5],
    ]);
  });

  it('C3 a renewal takes out the term it used up (reason renewed)', () => {
    const h = assignedPool();
    expect(h.run((p, c) => unassign(p, ending([line('EP-ENC', 12, 3)], 'renewed'), c))).toMatchObject({ outcome: 'unassigned', removed: 3 });
    expect(h.line('EP-ENC', 12)).toMatchObject({ available: 0, reserved: 0, assigned: 0 });
    expect(h.ofType('pool.licenses-unassigned.v1')[0]?.data).toMatchObject({ reason: 'renewed' });
  });

  it('P3 removes only what is assigned and reports the shortfall per line; never below zero', () => {
    const h = assignedPool();
    const result = h.run((p, c) => unassign(p, ending([line('EP-PRO', 12, 8), line('EP-ENC', 12, 1)], 'expired'), c));
    expect(result).toMatchObject({ outcome: 'unassigned', removed: 7, shortfall: 2 });
    expect(h.line('EP-PRO', 12)).toEqual({ sku: 'EP-PRO', termMonths: 12, available: 3, reserved: 1, assigned: 0 });
    expect(h.ofType('pool.licenses-unassigned.v1')[0]?.data).toMatchObject({
      lines: [
        { sku: 'EP-ENC', termMonths: 12, quantity: 1, removed: 1, shortfall: 0 },
        { sku: 'EP-PRO', termMonths: 12, quantity: 8, removed: 6, shortfall: 2 },
      ],
      movements: [
        { sku: 'EP-ENC', termMonths: 12, available: 0, reserved: 0, assigned: -1 },
        { sku: 'EP-PRO', termMonths: 12, available: 0, reserved: 0, assigned: -6 },
      ],
    });
  });

  it('P3 a line of which nothing is assigned is all shortfall: no event, but the change is recorded (its id is handled once)', () => {
    const h = assignedPool();
    const version = h.version;
    const result = h.run((p, c) => unassign(p, ending([line('PATCH', 12, 2), line('EP-PRO', 24, 1)]), c));
    expect(result).toEqual({
      outcome: 'not-held',
      lines: [
        { sku: 'EP-PRO', termMonths: 24, quantity: 1, removed: 0, shortfall: 1 },
        { sku: 'PATCH', termMonths: 12, quantity: 2, removed: 0, shortfall: 2 },
      ],
      shortfall: 3,
    });
    expect(h.version).toBe(version + 1);
    expect(h.ofType('pool.licenses-unassigned.v1')).toHaveLength(0);
    expect(unassign(null, ending([line('EP-PRO', 12, 1)]), h.ctx())).toEqual({
      result: { outcome: 'not-held', lines: [{ sku: 'EP-PRO', termMonths: 12, quantity: 1, removed: 0, shortfall: 1 }], shortfall: 1 },
    });
  });

  it('empty lines (a grouped contract, a trial, a contract the pool never backed) change nothing', () => {
    const h = assignedPool();
    const before = { pool: h.pool, version: h.version, events: h.events.length };
    expect(h.run((p, c) => unassign(p, ending([]), c))).toEqual({ outcome: 'ignored' });
    expect({ pool: h.pool, version: h.version, events: h.events.length }).toEqual(before);
  });

  it('a redelivery (same event id) changes nothing, also one that finds licenses assigned since a first delivery that found none', () => {
    const h = assignedPool();
    const end = ending([line('EP-PRO', 12, 2)]);
    expect(h.run((p, c) => unassign(p, end, c), 'evt-1')).toMatchObject({ outcome: 'unassigned', removed: 2 });
    const after = { pool: h.pool, version: h.version, events: h.events.length };
    expect(h.run((p, c) => unassign(p, end, c), 'evt-1')).toBe('duplicate');
    expect({ pool: h.pool, version: h.version, events: h.events.length }).toEqual(after);

    const unbacked = ending([line('EP-PRO', 24, 1)]);
    expect(h.run((p, c) => unassign(p, unbacked, c), 'evt-2')).toMatchObject({ outcome: 'not-held', shortfall: 1 });
    h.run((p, c) => credit(p, 'p-1', { creditId: 'r-1', source: 'recovery', lines: [line('EP-PRO', 24, 1)] }, lookup, c));
    h.reserve('a-3', [line('EP-PRO', 24, 1)]);
    h.run((p, c) => commit(p, 'p-1', activated(p, 'a-3'), c));
    expect(h.run((p, c) => unassign(p, unbacked, c), 'evt-2')).toBe('duplicate');
    expect(h.line('EP-PRO', 24)).toMatchObject({ available: 0, reserved: 0, assigned: 1 });
  });
});

describe('low-stock thresholds', () => {
  it('announces stock-low once when available crosses below the threshold, again only after recovering', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 5), line('EP-PRO', 24, 1)]);
    h.run((p, c) => setThreshold(p, 'EP-PRO', 5, catalog['EP-PRO'], c));
    expect(h.ofType('pool.stock-low.v1')).toHaveLength(0);
    h.reserve('a-1', [line('EP-PRO', 12, 1)]); // 6 -> 5: not below
    h.reserve('a-2', [line('EP-PRO', 24, 1)]); // 5 -> 4: crossed
    h.reserve('a-3', [line('EP-PRO', 12, 1)]); // 4 -> 3: still low
    expect(h.ofType('pool.stock-low.v1').map((e) => e.data)).toEqual([
      { partnerId: 'p-1', sku: 'EP-PRO', threshold: 5, available: 4, detectedAt: new Date(T0).toISOString() },
    ]);
    h.buy([line('EP-PRO', 12, 5)]); // 8
    h.reserve('a-4', [line('EP-PRO', 12, 4)]); // 4: crossed again
    expect(h.ofType('pool.stock-low.v1')).toHaveLength(2);
  });

  it('says stock-low at once when a threshold is set above the available stock; removes a threshold', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 2)]);
    h.run((p, c) => setThreshold(p, 'EP-PRO', 3, catalog['EP-PRO'], c));
    expect(h.ofType('pool.threshold-set.v1').map((e) => e.data)).toEqual([expect.objectContaining({ sku: 'EP-PRO', threshold: 3, available: 2 })]);
    expect(h.ofType('pool.stock-low.v1')).toHaveLength(1);
    h.run((p, c) => setThreshold(p, 'EP-PRO', null, undefined, c));
    expect(h.pool?.thresholds).toEqual([]);
    expect(refusalCode(h.run((p, c) => setThreshold(p, 'EP-PRO', null, undefined, c)))).toBe('POOL.THRESHOLD_NOT_FOUND');
    expect(refusalCode(h.run((p, c) => setThreshold(p, 'NOPE', 1, undefined, c)))).toBe('POOL.UNKNOWN_SKU');
    expect(refusalCode(setThreshold(null, 'EP-PRO', 1, catalog['EP-PRO'], h.ctx()).result)).toBe('POOL.PARTNER_NOT_FOUND');
  });
});

describe('P4 the movement ledger', () => {
  it('P4 the movements of the events alone add up to the pool, and the expiries and unassignments account for what left', () => {
    const h = new Harness();
    h.buy([line('EP-PRO', 12, 7), line('EP-ENC', 24, 3)]);
    h.run((p, c) => credit(p, 'p-1', { creditId: 'x-1', source: 'points', lines: [line('EP-PRO', 1, 6)] }, lookup, c));
    h.run((p, c) => credit(p, 'p-1', { creditId: 'r-1', source: 'recovery', lines: [line('EP-PRO', 36, 2)] }, lookup, c));
    h.reserve('a-1', [line('EP-PRO', 12, 2), line('EP-ENC', 24, 1)]);
    h.reserve('a-2', [line('EP-PRO', 1, 4)]);
    h.reserve('a-3', [line('EP-PRO', 12, 1)]);
    h.reserve('a-4', [line('EP-PRO', 12, 99)]);
    h.run((p, c) => commit(p, 'p-1', activated(p, 'a-1'), c));
    h.run((p, c) => commit(p, 'p-1', activated(p, 'a-2'), c));
    h.run((p, c) => release(p, 'a-3', 'x', c));
    h.run((p, c) => expire(p, { month: '2025-03', reference: 'lapse:2025-03', lines: [{ sku: 'EP-PRO', quantity: 5 }] }, c));
    const ended: Unassignment = { clientId: 'c-1', contractId: 'k-1', reason: 'expired', reference: 'e-1', lines: [line('EP-PRO', 12, 2)] };
    h.run((p, c) => unassign(p, ended, c));

    const movements = h.events.flatMap(movementsOf);
    const sums = new Map<string, { available: number; reserved: number; assigned: number }>();
    for (const m of movements) {
      const key = `${m.sku}/${m.termMonths}`;
      const s = sums.get(key) ?? { available: 0, reserved: 0, assigned: 0 };
      sums.set(key, { available: s.available + m.available, reserved: s.reserved + m.reserved, assigned: s.assigned + m.assigned });
    }
    for (const l of h.pool?.lines ?? []) {
      expect(sums.get(`${l.sku}/${l.termMonths}`)).toEqual({ available: l.available, reserved: l.reserved, assigned: l.assigned });
    }
    const credited = movements.filter((m) => ['purchase', 'points', 'recovery'].includes(m.reason)).reduce((n, m) => n + m.available, 0);
    const expired = -movements.filter((m) => m.reason === 'expired').reduce((n, m) => n + m.available + m.assigned + m.reserved, 0);
    const unassigned = -movements.filter((m) => m.reason === 'unassigned').reduce((n, m) => n + m.available + m.assigned + m.reserved, 0);
    const held = (h.pool?.lines ?? []).reduce((n, l) => n + l.available + l.reserved + l.assigned, 0);
    expect({ credited, expired, unassigned, held }).toEqual({ credited: 18, expired: 5, unassigned: 2, held: 11 });
    expect(movements.map((m) => m.reason)).toEqual(
      expect.arrayContaining(['purchase', 'points', 'recovery', 'reserved', 'committed', 'released', 'expired', 'unassigned']),
    );
    expect(movements.every((m) => m.poolVersion >= 1 && m.correlationId === 'corr-1')).toBe(true);
  });
});
