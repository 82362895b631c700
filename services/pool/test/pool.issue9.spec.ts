import { createEvent, validateEvent, type CloudEvent, type StockLine } from '@licensing/events';
import type { Decision } from '@licensing/domain';
import {
  commit,
  credit,
  expire,
  expireDue,
  outcomeOf,
  reserve,
  type Activation,
  type AssignmentOutcome,
  type Pool,
  type PoolContext,
} from '../src/domain/pool.aggregate';
import type { SkuLookup } from '../src/domain/stock-rules';

const lookup: SkuLookup = (sku) => (sku === 'EP-PRO' ? { status: 'active', terms: [1, 12], trialEdition: false } : undefined);
const line = (sku: string, termMonths: StockLine['termMonths'], quantity: number): StockLine => ({ sku, termMonths, quantity });
const NOV = Date.parse('2026-11-20T10:00:00.000Z');

/** A pool in memory, driven as the repository drives it; every event must validate. */
class Pools {
  pool: Pool | null = null;
  version = 0;
  events: CloudEvent[] = [];
  now = NOV;

  run<R>(decide: (pool: Pool | null, ctx: PoolContext) => Decision<Pool, R>): R {
    const ctx: PoolContext = { now: new Date(this.now), version: this.version, correlationId: 'corr-1', causationId: 'cause-1' };
    const decision = decide(this.pool, ctx);
    if (decision.state) {
      this.pool = decision.state;
      this.version += 1;
      for (const draft of decision.events ?? []) {
        const event = createEvent(draft);
        expect(validateEvent(event)).toEqual({ ok: true });
        this.events.push(event);
      }
    }
    return decision.result;
  }

  points(quantity: number, creditId = `x-${this.version}`) {
    return this.run((p, c) => credit(p, 'p-1', { creditId, source: 'points', lines: [line('EP-PRO', 1, quantity)] }, lookup, c));
  }

  reserve(assignmentId: string, lines: StockLine[], now = this.now) {
    this.now = now;
    return this.run((p, c) => reserve(p, 'p-1', { assignmentId, clientId: 'c-1', lines }, lookup, c, 3_600_000));
  }

  monthly() {
    return this.pool?.lines.find((l) => l.sku === 'EP-PRO' && l.termMonths === 1);
  }

  ofType(type: string) {
    return this.events.filter((e) => e.type === type);
  }
}

const activation = (assignmentId: string, lines: StockLine[]): Activation => ({
  assignmentId,
  contracts: lines.map((l, i) => ({ contractId: `${assignmentId}-k${i}`, ...l })),
});
const lapse = (month: string, quantity: number) => ({ month, reference: `renewal:${month}`, lines: [{ sku: 'EP-PRO', quantity }] });

describe('issue 9.11 a lapse takes reserved monthly licenses too', () => {
  it('takes available first, then ends the newest reservations holding them (reason lapsed), then assigned', () => {
    const h = new Pools();
    h.points(10);
    h.reserve('older', [line('EP-PRO', 1, 2)], NOV);
    h.reserve('newer', [line('EP-PRO', 1, 3)], NOV + 1000);
    h.run((p, c) => commit(p, 'p-1', activation('older', [line('EP-PRO', 1, 2)]), c));
    // available 5, reserved 3 (newer), assigned 2 (older): a lapse of 7 takes 5 + the 3 reserved, nothing assigned.
    const result = h.run((p, c) => expire(p, lapse('2026-11', 7), c));
    expect(result).toEqual({ outcome: 'expired', removed: 7, shortfall: 0, released: ['newer'] });
    expect(h.monthly()).toEqual({ sku: 'EP-PRO', termMonths: 1, available: 1, reserved: 0, assigned: 2 });
    expect(h.pool?.reservations).toEqual([]);
    expect(h.ofType('pool.reservation-released.v1').map((e) => e.data)).toEqual([
      expect.objectContaining({ assignmentId: 'newer', reason: 'lapsed', detail: 'lapse renewal:2026-11 of 2026-11' }),
    ]);
    // The release and the expiry are one pool version, in that order.
    const [released, expired] = h.events.slice(-2);
    expect([released?.type, expired?.type]).toEqual(['pool.reservation-released.v1', 'pool.stock-expired.v1']);
    expect((released?.data as { poolVersion: number }).poolVersion).toBe((expired?.data as { poolVersion: number }).poolVersion);
  });

  it('never commits a reservation a lapse ended: the activation is refused POOL.RESERVATION_LAPSED and changes no stock', () => {
    const h = new Pools();
    h.points(3);
    h.reserve('a-1', [line('EP-PRO', 1, 3)]);
    h.run((p, c) => expire(p, lapse('2026-11', 3), c));
    const before = h.pool?.lines;
    expect(h.run((p, c) => commit(p, 'p-1', activation('a-1', [line('EP-PRO', 1, 3)]), c))).toEqual({
      outcome: 'commit-rejected',
      code: 'POOL.RESERVATION_LAPSED',
    });
    expect(h.pool?.lines).toEqual(before);
    expect(outcomeOf(h.pool, 'a-1')).toEqual({ status: 'lapsed' });
  });
});

describe('issue 9.11 a lapse waits for the month it is for', () => {
  it('keeps a lapse for next month until its 1st: this month’s paid licenses stay until then', () => {
    const h = new Pools();
    h.points(5);
    expect(h.run((p, c) => expire(p, lapse('2026-12', 4), c))).toEqual({ outcome: 'deferred', dueAt: '2026-12-01T00:00:00.000Z' });
    expect(h.monthly()?.available).toBe(5);
    expect(h.ofType('pool.stock-expired.v1')).toEqual([]);
    h.now = Date.parse('2026-11-30T23:59:59.999Z');
    expect(h.run((p, c) => expireDue(p, c))).toEqual({ outcome: 'ignored' });
    h.now = Date.parse('2026-12-01T00:00:00.000Z');
    expect(h.run((p, c) => expireDue(p, c))).toEqual({ outcome: 'expired', months: ['2026-12'], released: [] });
    expect(h.monthly()?.available).toBe(1);
    expect(h.pool?.lapses).toEqual([]);
    const [expired] = h.ofType('pool.stock-expired.v1');
    expect(expired).toMatchObject({ correlationid: 'corr-1', causationid: 'cause-1', data: { month: '2026-12', reference: 'renewal:2026-12' } });
    expect(h.run((p, c) => expireDue(p, c))).toEqual({ outcome: 'ignored' });
  });

  it('applies a lapse for the current or a past month at once', () => {
    const h = new Pools();
    h.points(5);
    expect(h.run((p, c) => expire(p, lapse('2026-10', 1), c))).toMatchObject({ outcome: 'expired', removed: 1 });
    expect(h.run((p, c) => expire(p, lapse('2026-11', 1), c))).toMatchObject({ outcome: 'expired', removed: 1 });
    expect(h.monthly()?.available).toBe(3);
  });
});

describe('issue 9.11 a commit checks that the activated contracts are the reserved lines', () => {
  it('refuses other lines with POOL.COMMIT_MISMATCH and keeps the reservation; the right ones commit', () => {
    const h = new Pools();
    h.run((p, c) => credit(p, 'p-1', { creditId: 'r-1', source: 'recovery', lines: [line('EP-PRO', 12, 10)] }, lookup, c));
    h.reserve('a-1', [line('EP-PRO', 12, 2)]);
    for (const wrong of [[line('EP-PRO', 12, 5)], [line('EP-PRO', 1, 2)], [line('EP-PRO', 12, 2), line('EP-PRO', 12, 1)], []]) {
      expect(h.run((p, c) => commit(p, 'p-1', activation('a-1', wrong), c))).toEqual({ outcome: 'commit-rejected', code: 'POOL.COMMIT_MISMATCH' });
    }
    expect(h.pool?.reservations.map((r) => r.assignmentId)).toEqual(['a-1']);
    expect(h.pool?.lines[0]).toMatchObject({ available: 8, reserved: 2, assigned: 0 });
    expect(h.ofType('pool.commit-rejected.v1')[0]?.data).toMatchObject({ code: 'POOL.COMMIT_MISMATCH', lines: [{ sku: 'EP-PRO', quantity: 2 }] });
    // Two contracts of one and one license are the two reserved.
    const split = { assignmentId: 'a-1', contracts: [1, 2].map((i) => ({ contractId: `k-${i}`, sku: 'EP-PRO', termMonths: 12, quantity: 1 })) };
    expect(h.run((p, c) => commit(p, 'p-1', split, c))).toEqual({ outcome: 'committed', late: false });
  });
});

describe('issue 9.12 business ids once, ever: what the durable records know decides', () => {
  const forgotten = (sameBody: boolean, outcome?: AssignmentOutcome) => ({ sameBody, outcome });

  it('an assignmentId the pool has forgotten is not reserved again; another body under it is a conflict', () => {
    const h = new Pools();
    h.points(5);
    const again = (past?: ReturnType<typeof forgotten>) =>
      h.run((p, c) => reserve(p, 'p-1', { assignmentId: 'old', clientId: 'c-1', lines: [line('EP-PRO', 1, 1)] }, lookup, c, 60_000, past));
    expect(again(forgotten(true, { status: 'committed' }))).toEqual({ outcome: 'ignored' });
    expect(again(forgotten(false, { status: 'committed' }))).toEqual({ outcome: 'conflict' });
    expect(h.monthly()).toMatchObject({ available: 5, reserved: 0 });
  });

  it('an activation of a forgotten assignment is answered from its record: committed is ignored, lapsed refused, released taken late', () => {
    const h = new Pools();
    h.points(5);
    const activate = (outcome: AssignmentOutcome) =>
      h.run((p, c) => commit(p, 'p-1', activation('old', [line('EP-PRO', 1, 2)]), c, forgotten(true, outcome)));
    expect(activate({ status: 'committed' })).toEqual({ outcome: 'ignored' });
    expect(activate({ status: 'lapsed' })).toEqual({ outcome: 'commit-rejected', code: 'POOL.RESERVATION_LAPSED' });
    expect(activate({ status: 'released', lines: [line('EP-PRO', 1, 2)] })).toEqual({ outcome: 'committed', late: true });
    expect(h.monthly()).toMatchObject({ available: 3, assigned: 2 });
  });

  it('a credit key the pool has forgotten is not credited again; other lines under it are a conflict', () => {
    const h = new Pools();
    h.points(5);
    const request = { creditId: 'rec-1', source: 'recovery' as const, lines: [line('EP-PRO', 12, 2)] };
    expect(h.run((p, c) => credit(p, 'p-1', request, lookup, c, { sameBody: true }))).toEqual({ outcome: 'ignored' });
    expect(h.run((p, c) => credit(p, 'p-1', request, lookup, c, { sameBody: false }))).toEqual({ outcome: 'conflict' });
    expect(h.pool?.lines.find((l) => l.termMonths === 12)).toBeUndefined();
  });
});
