import { PointsEvents, validateEvent, createEvent, type EventDraft } from '@licensing/events';
import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { monthOf, nextMonth, PointsCodes, SETTLED_EXCHANGES_KEPT } from '../src/domain/points.rules';
import { priceExchange, type PricedSku, type Quote } from '../src/domain/pricing';
import { renewMonthly } from '../src/domain/renewal';
import {
  changeEnrolment,
  chaseExchange,
  checkExchange,
  completeExchange,
  creditPoints,
  refundExchange,
  requestExchange,
  type Wallet,
} from '../src/domain/wallet.aggregate';

const now = new Date('2031-01-15T10:00:00Z');
const ctx = (version = 2, at = now) => ({ now: at, version, correlationId: 'corr-1' });

const catalog: Record<string, PricedSku> = {
  'EP-MONTHLY': { terms: [1, 12], trialEdition: false, status: 'active', pointsPricePerMonth: 5 },
  'EDR-MONTHLY': { terms: [1], trialEdition: false, status: 'active', pointsPricePerMonth: 8 },
  'EP-ANNUAL': { terms: [12, 24], trialEdition: false, status: 'active', pointsPricePerMonth: null },
  'EP-TRIAL': { terms: [], trialEdition: true, status: 'active', pointsPricePerMonth: null },
  'EP-OLD': { terms: [1], trialEdition: false, status: 'retired', pointsPricePerMonth: 4 },
};
const lookup = (sku: string) => catalog[sku];

const wallet = (overrides: Partial<Wallet> = {}): Wallet => ({
  partnerId: 'p-1',
  enrolled: true,
  balance: 100,
  exchanges: [],
  holdings: [],
  renewedMonths: [],
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  ...overrides,
});

type Applied<R> = Decision<Wallet, R> & { state: Wallet; events: EventDraft[] };

function applied<R>(change: Decision<Wallet, R> | Refusal): Applied<R> {
  if (isRefusal(change)) throw new Error(`refused: ${change.code}`);
  if (!change.state) throw new Error('nothing changed');
  return { ...change, events: change.events ?? [] } as Applied<R>;
}

const quote = (lines: { sku: string; quantity: number }[]): Quote => {
  const q = priceExchange(lines, lookup);
  if (isRefusal(q)) throw new Error(q.code);
  return q;
};

/** Every event a domain function emits must validate against its published schema. */
const expectValid = (events: EventDraft[]) => {
  for (const draft of events) expect(validateEvent(createEvent(draft))).toEqual({ ok: true });
};

describe('pricing (M3: the catalog points price per license-month)', () => {
  it('prices monthly licenses at the points price', () => {
    expect(
      quote([
        { sku: 'EP-MONTHLY', quantity: 3 },
        { sku: 'EDR-MONTHLY', quantity: 2 },
      ]),
    ).toEqual({
      lines: [
        { sku: 'EP-MONTHLY', termMonths: 1, quantity: 3, pointsPerLicense: 5 },
        { sku: 'EDR-MONTHLY', termMonths: 1, quantity: 2, pointsPerLicense: 8 },
      ],
      totalPoints: 31,
      warnings: [],
    });
  });

  it.each([
    ['an unknown sku', [{ sku: 'NOPE', quantity: 1 }], PointsCodes.unknownSku],
    ['a sku without a points price', [{ sku: 'EP-ANNUAL', quantity: 1 }], PointsCodes.noPointsPrice],
    ['a trial edition', [{ sku: 'EP-TRIAL', quantity: 1 }], PointsCodes.noPointsPrice],
    ['a zero quantity', [{ sku: 'EP-MONTHLY', quantity: 0 }], PointsCodes.invalidQuantity],
    ['a negative quantity', [{ sku: 'EP-MONTHLY', quantity: -2 }], PointsCodes.invalidQuantity],
    ['a fractional quantity', [{ sku: 'EP-MONTHLY', quantity: 1.5 }], PointsCodes.invalidQuantity],
    [
      'a sku twice',
      [
        { sku: 'EP-MONTHLY', quantity: 1 },
        { sku: 'EP-MONTHLY', quantity: 2 },
      ],
      PointsCodes.duplicateSku,
    ],
    ['no lines', [], PointsCodes.invalidQuantity],
  ])('refuses %s', (_label, lines, code) => {
    expect(priceExchange(lines, lookup)).toMatchObject({ refused: true, kind: 'invalid', code });
  });

  it('refuses a retired sku up front, as the pool would (issue 9.13)', () => {
    expect(priceExchange([{ sku: 'EP-OLD', quantity: 1 }], lookup)).toMatchObject({ refused: true, kind: 'invalid', code: PointsCodes.skuRetired });
  });
});

describe('M1 enrolment', () => {
  it('enrols a new partner with an empty wallet and says so in an event', () => {
    const change = applied(changeEnrolment(null, 'p-1', true, ctx(1)));
    expect(change.state).toMatchObject({ partnerId: 'p-1', enrolled: true, balance: 0 });
    expect(change.events).toEqual([
      expect.objectContaining({
        type: PointsEvents.enrolmentChanged,
        partnerId: 'p-1',
        data: expect.objectContaining({ enrolled: true, walletVersion: 1 }),
      }),
    ]);
    expectValid(change.events);
  });

  it('changes nothing when the enrolment is already as asked', () => {
    expect(changeEnrolment(wallet(), 'p-1', true, ctx()).state).toBeUndefined();
    expect(changeEnrolment(null, 'p-1', false, ctx()).state).toBeUndefined();
  });

  it('leaving keeps the balance, frozen', () => {
    const left = applied(changeEnrolment(wallet({ balance: 40 }), 'p-1', false, ctx())).state;
    expect(left).toMatchObject({ enrolled: false, balance: 40 });
    expect(creditPoints(left, 'p-1', { creditId: 'c', amount: 5, reason: 'r' }, ctx())).toMatchObject({ code: PointsCodes.notEnrolled });
    expect(
      requestExchange(left, 'p-1', { exchangeId: 'x', quote: quote([{ sku: 'EP-MONTHLY', quantity: 1 }]), idempotencyKey: null }, ctx()),
    ).toMatchObject({
      code: PointsCodes.notEnrolled,
    });
  });

  it('a partner not enrolled cannot receive points', () => {
    expect(creditPoints(null, 'p-1', { creditId: 'c', amount: 5, reason: 'r' }, ctx())).toMatchObject({
      refused: true,
      kind: 'conflict',
      code: PointsCodes.notEnrolled,
    });
  });

  it('credits an enrolled partner, with the signed amount and the balance after for the ledger', () => {
    const change = applied(creditPoints(wallet({ balance: 10 }), 'p-1', { creditId: 'order-7', amount: 25, reason: 'purchase' }, ctx(5)));
    expect(change.state.balance).toBe(35);
    expect(change.events[0]?.data).toEqual({
      partnerId: 'p-1',
      creditId: 'order-7',
      amount: 25,
      reason: 'purchase',
      balanceAfter: 35,
      walletVersion: 5,
      creditedAt: now.toISOString(),
    });
    expectValid(change.events);
  });
});

describe('M2 the balance never goes below zero', () => {
  it('debits the exact cost in the same change as the exchange-debited event', () => {
    const change = applied(
      requestExchange(
        wallet({ balance: 31 }),
        'p-1',
        {
          exchangeId: 'x-1',
          quote: quote([
            { sku: 'EP-MONTHLY', quantity: 3 },
            { sku: 'EDR-MONTHLY', quantity: 2 },
          ]),
          idempotencyKey: null,
        },
        ctx(3),
      ),
    );
    expect(change.state.balance).toBe(0);
    expect(change.result).toMatchObject({ exchangeId: 'x-1', status: 'pending', totalPoints: 31, correlationId: 'corr-1' });
    expect(change.events).toEqual([expect.objectContaining({ type: PointsEvents.exchangeDebited, correlationId: 'corr-1' })]);
    expect(change.events[0]?.data).toMatchObject({ exchangeId: 'x-1', totalPoints: 31, balanceAfter: 0, walletVersion: 3 });
    expectValid(change.events);
  });

  it('refuses an exchange the balance cannot pay, telling the cost', () => {
    const refused = requestExchange(
      wallet({ balance: 30 }),
      'p-1',
      { exchangeId: 'x-1', quote: quote([{ sku: 'EP-MONTHLY', quantity: 7 }]), idempotencyKey: null },
      ctx(),
    );
    expect(refused).toMatchObject({ refused: true, kind: 'conflict', code: PointsCodes.insufficientBalance, details: { cost: 35, balance: 30 } });
  });

  it('quotes with the same check and the balance it would leave', () => {
    expect(checkExchange(wallet({ balance: 30 }), 'p-1', quote([{ sku: 'EP-MONTHLY', quantity: 2 }]))).toEqual({ cost: 10, balanceAfter: 20 });
    expect(checkExchange(wallet({ balance: 5 }), 'p-1', quote([{ sku: 'EP-MONTHLY', quantity: 2 }]))).toMatchObject({
      code: PointsCodes.insufficientBalance,
    });
  });
});

describe('M3 every exchange ends completed or refunded', () => {
  const pending = () =>
    applied(
      requestExchange(
        wallet({ balance: 50 }),
        'p-1',
        { exchangeId: 'x-1', quote: quote([{ sku: 'EP-MONTHLY', quantity: 4 }]), idempotencyKey: null },
        ctx(2),
      ),
    ).state;

  it('completes on the pool credit: the licenses are held, paid through the month of the debit', () => {
    const later = new Date('2031-02-01T00:05:00Z');
    const change = applied(completeExchange(pending(), 'x-1', { now: later, version: 3, causationId: 'pool-evt-1' }));
    expect(change.state.exchanges[0]).toMatchObject({ status: 'completed', settledAt: later.toISOString() });
    expect(change.state.holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 4, paidThrough: '2031-01' }]);
    expect(change.state.balance).toBe(30);
    expect(change.events).toEqual([
      expect.objectContaining({ type: PointsEvents.exchangeCompleted, correlationId: 'corr-1', causationId: 'pool-evt-1' }),
    ]);
    expectValid(change.events);
  });

  it('refunds on the pool refusal: the points come back, with the ledger amount', () => {
    const change = applied(refundExchange(pending(), 'x-1', { code: 'POOL.SKU_RETIRED', reason: 'retired' }, ctx(3)));
    expect(change.state.balance).toBe(50);
    expect(change.state.exchanges[0]).toMatchObject({ status: 'refunded', refund: { code: 'POOL.SKU_RETIRED', reason: 'retired' } });
    expect(change.state.holdings).toEqual([]);
    expect(change.events[0]?.data).toMatchObject({ amount: 20, balanceAfter: 50, code: 'POOL.SKU_RETIRED', walletVersion: 3 });
    expectValid(change.events);
  });

  it('refunds even after the partner left the programme', () => {
    const left = applied(changeEnrolment(pending(), 'p-1', false, ctx(3))).state;
    expect(applied(refundExchange(left, 'x-1', { code: 'POOL.X', reason: 'x' }, ctx(4))).state.balance).toBe(50);
  });

  it('settles once: a second answer, or an answer for an unknown exchange, changes nothing', () => {
    const completed = applied(completeExchange(pending(), 'x-1', ctx(3))).state;
    expect(completeExchange(completed, 'x-1', ctx(4))).toEqual({ result: 'already-completed' });
    expect(refundExchange(completed, 'x-1', { code: 'c', reason: 'r' }, ctx(4))).toEqual({ result: 'already-completed' });
    expect(completeExchange(completed, 'x-404', ctx(4)).result).toBe('unknown-exchange');
  });

  it('a timed-out exchange is flagged stalled and stays pending, so the pool can still answer', () => {
    const later = new Date(now.getTime() + 1000);
    const stalled = applied(chaseExchange(pending(), 'x-1', 1000, ctx(3, later))).state;
    expect(stalled.exchanges[0]).toMatchObject({ status: 'pending', stalledAt: later.toISOString() });
    expect(chaseExchange(stalled, 'x-1', 1000, ctx(4, later)).state).toBeUndefined();
    expect(applied(completeExchange(stalled, 'x-1', ctx(4))).state.exchanges[0]?.status).toBe('completed');
  });

  it('keeps every pending exchange and a bounded number of settled ones in the wallet', () => {
    let w = wallet({ balance: 10_000 });
    for (let i = 0; i < SETTLED_EXCHANGES_KEPT + 10; i++) {
      w = applied(
        requestExchange(w, 'p-1', { exchangeId: `x-${i}`, quote: quote([{ sku: 'EP-MONTHLY', quantity: 1 }]), idempotencyKey: null }, ctx(i + 2)),
      ).state;
      if (i >= 5) w = applied(completeExchange(w, `x-${i}`, ctx(i + 2, new Date(now.getTime() + i * 1000)))).state;
    }
    expect(w.exchanges.filter((e) => e.status === 'pending').map((e) => e.exchangeId)).toEqual(['x-0', 'x-1', 'x-2', 'x-3', 'x-4']);
    expect(w.exchanges.filter((e) => e.status !== 'pending')).toHaveLength(SETTLED_EXCHANGES_KEPT);
    expect(w.exchanges.some((e) => e.exchangeId === 'x-5')).toBe(false);
  });
});

describe('M4 monthly renewal', () => {
  const prices: Record<string, number | null> = { 'EP-MONTHLY': 5, 'EDR-MONTHLY': 8, 'EP-GONE': null };
  const priceOf = (sku: string) => prices[sku] ?? null;
  const holder = (balance: number, overrides: Partial<Wallet> = {}) =>
    wallet({
      balance,
      holdings: [
        { sku: 'EDR-MONTHLY', quantity: 2, paidThrough: '2031-01' },
        { sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-01' },
      ],
      ...overrides,
    });

  it('renews every license due when the balance pays, in one debit', () => {
    const change = applied(renewMonthly(holder(100), '2031-02', priceOf, ctx(9)));
    expect(change.state.balance).toBe(100 - 2 * 8 - 3 * 5);
    expect(change.state.holdings).toEqual([
      { sku: 'EDR-MONTHLY', quantity: 2, paidThrough: '2031-02' },
      { sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-02' },
    ]);
    expect(change.events.map((e) => e.type)).toEqual([PointsEvents.monthlyRenewed]);
    expect(change.events[0]?.data).toMatchObject({ month: '2031-02', amount: -31, balanceAfter: 69, renewalId: 'renewal:2031-02', walletVersion: 9 });
    expectValid(change.events);
  });

  it('stamps its events with the platform clock: the envelope time is ctx.now, not the system clock', () => {
    // The platform clock years ahead of the system clock, as after `clock advance`.
    const first = new Date('2031-02-01T00:00:05Z');
    const change = applied(renewMonthly(holder(20), '2031-02', priceOf, { ...ctx(9, first), causationId: 'job-1' }));
    expect(change.events.map((e) => e.type)).toEqual([PointsEvents.monthlyRenewed, PointsEvents.monthlyLapsed]);
    for (const event of change.events.map(createEvent)) {
      expect(event).toMatchObject({ time: first.toISOString(), subject: 'p-1', partnerid: 'p-1', correlationid: 'corr-1', causationid: 'job-1' });
    }
    expectValid(change.events);
  });

  it('is safe to run twice for the same month: the second run finds nothing due', () => {
    const renewed = applied(renewMonthly(holder(100), '2031-02', priceOf, ctx())).state;
    expect(renewMonthly(renewed, '2031-02', priceOf, ctx())).toEqual({
      result: { renewed: [], lapsed: [], pointsDebited: 0 },
    });
  });

  it('does not renew licenses bought during the month: they are paid for it already', () => {
    const w = holder(100, { holdings: [{ sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-02' }] });
    expect(renewMonthly(w, '2031-02', priceOf, ctx()).state).toBeUndefined();
  });

  it('with a short balance renews the cheapest licenses first and lapses exactly those it cannot pay', () => {
    // 20 points: 3 × EP-MONTHLY (5) = 15, then 0 of EDR-MONTHLY (8) with 5 left.
    const change = applied(renewMonthly(holder(20), '2031-02', priceOf, ctx()));
    expect(change.result).toEqual({
      renewed: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 3, pointsPerLicense: 5 }],
      lapsed: [{ sku: 'EDR-MONTHLY', quantity: 2, reason: 'insufficient-balance' }],
      pointsDebited: 15,
    });
    expect(change.state.balance).toBe(5);
    expect(change.state.holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-02' }]);
    expect(change.events.map((e) => e.type)).toEqual([PointsEvents.monthlyRenewed, PointsEvents.monthlyLapsed]);
    expect(change.events[1]?.data).toEqual({
      partnerId: 'p-1',
      month: '2031-02',
      lines: [{ sku: 'EDR-MONTHLY', quantity: 2, termMonths: 1, reason: 'insufficient-balance' }],
      lapsedAt: now.toISOString(),
      renewalId: 'renewal:2031-02',
    });
    expectValid(change.events);
  });

  it('renews part of a sku when the balance pays only some of its licenses', () => {
    const change = applied(renewMonthly(holder(28), '2031-02', priceOf, ctx()));
    // 3 × 5 = 15, leaves 13: one EDR (8), leaves 5; one EDR lapses.
    expect(change.result.renewed.map((l) => [l.sku, l.quantity])).toEqual([
      ['EDR-MONTHLY', 1],
      ['EP-MONTHLY', 3],
    ]);
    expect(change.result.lapsed).toEqual([{ sku: 'EDR-MONTHLY', quantity: 1, reason: 'insufficient-balance' }]);
    expect(change.state.balance).toBe(5);
  });

  it('with no points lapses everything and debits nothing', () => {
    const change = applied(renewMonthly(holder(0), '2031-02', priceOf, ctx()));
    expect(change.state.holdings).toEqual([]);
    expect(change.events.map((e) => e.type)).toEqual([PointsEvents.monthlyLapsed]);
  });

  it('M1: a partner that left the programme renews nothing', () => {
    const change = applied(renewMonthly(holder(100, { enrolled: false }), '2031-02', priceOf, ctx()));
    expect(change.state.balance).toBe(100);
    expect(change.result.lapsed.map((l) => l.reason)).toEqual(['not-enrolled', 'not-enrolled']);
  });

  it('lapses a sku that lost its points price', () => {
    const w = holder(100, { holdings: [{ sku: 'EP-GONE', quantity: 1, paidThrough: '2031-01' }] });
    expect(applied(renewMonthly(w, '2031-02', priceOf, ctx())).result.lapsed).toEqual([{ sku: 'EP-GONE', quantity: 1, reason: 'no-points-price' }]);
  });

  it('merges lots of one sku bought in different months into one renewed lot, each month charged (issue 9.13)', () => {
    const w = holder(100, {
      holdings: [
        { sku: 'EP-MONTHLY', quantity: 1, paidThrough: '2030-12' },
        { sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-01' },
        { sku: 'EP-MONTHLY', quantity: 4, paidThrough: '2031-02' },
      ],
    });
    const january = applied(renewMonthly(w, '2031-02', priceOf, ctx()));
    const change = applied(renewMonthly(january.state, '2031-02', priceOf, ctx()));
    expect(change.state.holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 7, paidThrough: '2031-02' }]);
    expect(january.result.pointsDebited + change.result.pointsDebited).toBe(5 + 15);
  });

  it('months are UTC', () => {
    expect(monthOf(new Date('2031-01-31T23:59:59Z'))).toBe('2031-01');
    expect(monthOf(new Date('2031-02-01T00:00:00Z'))).toBe('2031-02');
    expect(nextMonth('2031-12')).toBe('2032-01');
    expect(nextMonth('2031-01')).toBe('2031-02');
  });
});
