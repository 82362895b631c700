import { createEvent, PointsEvents, PoolEvents, validateEvent, type EventDraft } from '@licensing/events';
import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { PointsCodes } from '../src/domain/points.rules';
import { priceExchange, type PricedSku } from '../src/domain/pricing';
import { nextDueMonth, renewMonthly, type RenewalResult, type SkuKind } from '../src/domain/renewal';
import { releaseMonthly, releasesOf, settleRelease } from '../src/domain/release';
import { chaseExchange, completeExchange, requestExchange, type Wallet } from '../src/domain/wallet.aggregate';
import { emptyPool, releaseAvailable, type Pool } from '../../pool/src/domain/pool.aggregate';

/** Unit tests of the points rules fixed for issue 9 (items 12 and 13); the service-level ones are in points.issue9.int-spec.ts. */

const now = new Date('2031-04-01T00:00:05Z');
const ctx = (version = 2) => ({ now, version, correlationId: 'corr-9' });

const wallet = (overrides: Partial<Wallet> = {}): Wallet => ({
  partnerId: 'p-9',
  enrolled: true,
  balance: 100,
  exchanges: [],
  holdings: [],
  renewedMonths: [],
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  ...overrides,
});

function applied<R>(change: Decision<Wallet, R> | Refusal): Decision<Wallet, R> & { state: Wallet; events: EventDraft[] } {
  if (isRefusal(change)) throw new Error(`refused: ${change.code}`);
  if (!change.state) throw new Error('nothing changed');
  return { ...change, state: change.state, events: change.events ?? [] };
}

const expectValid = (events: EventDraft[]) => {
  for (const draft of events) expect(validateEvent(createEvent(draft))).toEqual({ ok: true });
};

/** Renews as the handler does: one decision per month due, until nothing is due up to `upTo`. */
function catchUp(start: Wallet, upTo: string, priceOf: (sku: string) => number | null, kindOf?: (sku: string) => SkuKind) {
  let state = start;
  const steps: { result: RenewalResult; events: EventDraft[] }[] = [];
  for (let version = 10; ; version++) {
    const decision = renewMonthly(state, upTo, priceOf, ctx(version), kindOf);
    if (!decision.state) return { state, steps };
    state = decision.state;
    steps.push({ result: decision.result, events: decision.events ?? [] });
  }
}

describe('issue 9.13 a missed month is charged when catching up (M4)', () => {
  const priceOf = (sku: string) => ({ 'EP-MONTHLY': 5, 'EDR-MONTHLY': 8 })[sku] ?? null;

  it('charges every month the platform missed, one write and one renewal per month', () => {
    // Paid through January; the platform comes back in April: February, March and April are due.
    const start = wallet({ balance: 100, holdings: [{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-01' }] });
    expect(nextDueMonth(start, '2031-04')).toBe('2031-02');
    const { state, steps } = catchUp(start, '2031-04', priceOf);
    expect(steps).toHaveLength(3);
    expect(steps.map((s) => s.events.map((e) => [e.type, (e.data as { month: string }).month]))).toEqual([
      [[PointsEvents.monthlyRenewed, '2031-02']],
      [[PointsEvents.monthlyRenewed, '2031-03']],
      [[PointsEvents.monthlyRenewed, '2031-04']],
    ]);
    expect(steps.map((s) => (s.events[0]?.data as { renewalId: string }).renewalId)).toEqual([
      'renewal:2031-02',
      'renewal:2031-03',
      'renewal:2031-04',
    ]);
    expect(state.balance).toBe(100 - 3 * 2 * 5);
    expect(state.holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-04' }]);
    expect(state.renewedMonths).toEqual(['2031-02', '2031-03', '2031-04']);
    for (const step of steps) expectValid(step.events);
    // Nothing is due any more: running again charges nothing.
    expect(nextDueMonth(state, '2031-04')).toBeNull();
    expect(renewMonthly(state, '2031-04', priceOf, ctx()).state).toBeUndefined();
  });

  it('lapses in the month the balance runs short, and charges nothing after', () => {
    // 25 points pay two months of 2 × 5; the third month lapses both licenses.
    const start = wallet({ balance: 25, holdings: [{ sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-01' }] });
    const { state, steps } = catchUp(start, '2031-04', priceOf);
    expect(steps.map((s) => s.events.map((e) => `${e.type} ${(e.data as { month: string }).month}`))).toEqual([
      [`${PointsEvents.monthlyRenewed} 2031-02`],
      [`${PointsEvents.monthlyRenewed} 2031-03`],
      [`${PointsEvents.monthlyRenewed} 2031-04`, `${PointsEvents.monthlyLapsed} 2031-04`],
    ]);
    expect(steps[2]?.result).toEqual({
      renewed: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 1, pointsPerLicense: 5 }],
      lapsed: [{ sku: 'EP-MONTHLY', quantity: 1, reason: 'insufficient-balance' }],
      pointsDebited: 5,
    });
    expect(state).toMatchObject({ balance: 0, holdings: [{ sku: 'EP-MONTHLY', quantity: 1, paidThrough: '2031-04' }] });
  });

  it('a lot paid further ahead waits for the older lots to catch up', () => {
    const start = wallet({
      holdings: [
        { sku: 'EP-MONTHLY', quantity: 1, paidThrough: '2031-02' },
        { sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-03' },
      ],
    });
    const { state, steps } = catchUp(start, '2031-04', priceOf);
    expect(steps.map((s) => s.result.pointsDebited)).toEqual([5, 20]);
    expect(state.holdings).toEqual([{ sku: 'EP-MONTHLY', quantity: 4, paidThrough: '2031-04' }]);
  });
});

describe('issue 9.13 when points fall short, products renew before their modules (M4)', () => {
  // The module is cheaper than its product: cheapest-first alone would keep the module and lapse the product.
  const prices: Record<string, number> = { 'EP-PRO': 10, 'EP-ENC': 2, 'EDR-CORE': 12 };
  const kinds: Record<string, SkuKind> = { 'EP-PRO': 'product', 'EP-ENC': 'module', 'EDR-CORE': 'product' };
  const priceOf = (sku: string) => prices[sku] ?? null;
  const kindOf = (sku: string) => kinds[sku] ?? 'product';
  const holder = (balance: number) =>
    wallet({
      balance,
      holdings: [
        { sku: 'EP-ENC', quantity: 3, paidThrough: '2031-03' },
        { sku: 'EP-PRO', quantity: 3, paidThrough: '2031-03' },
      ],
    });

  it('pays the products first, then modules with what is left', () => {
    // 30 points: 3 × EP-PRO (10) take all of it; the modules lapse.
    const change = applied(renewMonthly(holder(30), '2031-04', priceOf, ctx(), kindOf));
    expect(change.result).toEqual({
      renewed: [{ sku: 'EP-PRO', termMonths: 1, quantity: 3, pointsPerLicense: 10 }],
      lapsed: [{ sku: 'EP-ENC', quantity: 3, reason: 'insufficient-balance' }],
      pointsDebited: 30,
    });
    expectValid(change.events);
  });

  it('modules renew with what the products leave', () => {
    // 35 points: 30 for the products, 2 modules at 2 = 4; one module lapses.
    const change = applied(renewMonthly(holder(35), '2031-04', priceOf, ctx(), kindOf));
    expect(change.result.renewed.map((l) => [l.sku, l.quantity])).toEqual([
      ['EP-ENC', 2],
      ['EP-PRO', 3],
    ]);
    expect(change.result.lapsed).toEqual([{ sku: 'EP-ENC', quantity: 1, reason: 'insufficient-balance' }]);
    expect(change.state.balance).toBe(1);
  });

  it('among products, the cheapest first, as before', () => {
    const w = wallet({
      balance: 25,
      holdings: [
        { sku: 'EDR-CORE', quantity: 1, paidThrough: '2031-03' },
        { sku: 'EP-ENC', quantity: 1, paidThrough: '2031-03' },
        { sku: 'EP-PRO', quantity: 1, paidThrough: '2031-03' },
      ],
    });
    // EP-PRO (10), then EDR-CORE (12): 22; EP-ENC (2) is left 3 and renews too.
    const change = applied(renewMonthly(w, '2031-04', priceOf, ctx(), kindOf));
    expect(change.result.lapsed).toEqual([]);
    expect(change.state.balance).toBe(1);
    const short = applied(renewMonthly({ ...w, balance: 13 }, '2031-04', priceOf, ctx(), kindOf));
    expect(short.result.renewed.map((l) => l.sku)).toEqual(['EP-ENC', 'EP-PRO']);
    expect(short.result.lapsed.map((l) => l.sku)).toEqual(['EDR-CORE']);
  });
});

describe('issue 9.13 an exchange of a retired sku is refused at the request (M4: a retired product cannot be bought anew)', () => {
  const catalog: Record<string, PricedSku> = {
    'EP-MONTHLY': { terms: [1], trialEdition: false, status: 'active', pointsPricePerMonth: 5 },
    'EP-OLD': { terms: [1], trialEdition: false, status: 'retired', pointsPricePerMonth: 4 },
  };

  it('refuses it with POINTS.SKU_RETIRED and the skus, whatever the other lines', () => {
    const refusal = priceExchange(
      [
        { sku: 'EP-MONTHLY', quantity: 1 },
        { sku: 'EP-OLD', quantity: 2 },
      ],
      (sku) => catalog[sku],
    );
    expect(refusal).toMatchObject({ refused: true, kind: 'invalid', code: PointsCodes.skuRetired, details: { skus: ['EP-OLD'] } });
  });

  it('an active sku is priced with no warning', () => {
    expect(priceExchange([{ sku: 'EP-MONTHLY', quantity: 2 }], (sku) => catalog[sku])).toEqual({
      lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2, pointsPerLicense: 5 }],
      totalPoints: 10,
      warnings: [],
    });
  });
});

describe('issue 9.13 an exchange the pool has not answered is asked again past its deadline (DESIGN §5)', () => {
  const requested = new Date('2031-04-10T12:00:00Z');
  const at = (ms: number) => new Date(requested.getTime() + ms);
  const pending = () =>
    applied(
      requestExchange(
        wallet({ balance: 50 }),
        'p-9',
        {
          exchangeId: 'x-9',
          quote: { lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2, pointsPerLicense: 5 }], totalPoints: 10, warnings: [] },
          idempotencyKey: null,
        },
        { now: requested, version: 4, correlationId: 'corr-x' },
      ),
    );

  it('the debit event has the exchange id as its id, so it can be sent again as the same message', () => {
    const debit = pending();
    expect(debit.events).toEqual([expect.objectContaining({ id: 'x-9', type: PointsEvents.exchangeDebited })]);
    expectValid(debit.events);
  });

  it('asks again with the very same event once the timeout has passed, flags it stalled once, and again after each further timeout', () => {
    const debit = pending();
    expect(chaseExchange(debit.state, 'x-9', 60_000, { now: at(59_999), version: 5 })).toEqual({ result: { askedAgain: false, flagged: false } });
    const first = applied(chaseExchange(debit.state, 'x-9', 60_000, { now: at(60_000), version: 5 }));
    expect(first.result).toEqual({ askedAgain: true, flagged: true });
    expect(first.events).toEqual([{ ...debit.events[0], time: requested }]);
    expect(first.state.exchanges[0]).toMatchObject({
      status: 'pending',
      stalledAt: at(60_000).toISOString(),
      askedAt: at(60_000).toISOString(),
      asks: 1,
    });
    expect(first.state.balance).toBe(40);
    expect(chaseExchange(first.state, 'x-9', 60_000, { now: at(119_999), version: 6 }).state).toBeUndefined();
    const second = applied(chaseExchange(first.state, 'x-9', 60_000, { now: at(120_000), version: 6 }));
    expect(second.result).toEqual({ askedAgain: true, flagged: false });
    expect(second.events.map((e) => e.id)).toEqual(['x-9']);
    expect(second.state.exchanges[0]).toMatchObject({ stalledAt: at(60_000).toISOString(), asks: 2 });
  });

  it('a settled exchange is never asked again; one debited before this rule is only flagged', () => {
    const completed = applied(completeExchange(pending().state, 'x-9', { now: at(1000), version: 5 })).state;
    expect(chaseExchange(completed, 'x-9', 60_000, { now: at(600_000), version: 6 }).state).toBeUndefined();
    const old = pending().state;
    const legacy = { ...old, exchanges: old.exchanges.map(({ debit: _debit, askedAt: _askedAt, asks: _asks, ...e }) => e) };
    const flagged = applied(chaseExchange(legacy, 'x-9', 60_000, { now: at(60_000), version: 5 }));
    expect(flagged.result).toEqual({ askedAgain: false, flagged: true });
    expect(flagged.events).toEqual([]);
    expect(chaseExchange(flagged.state, 'x-9', 60_000, { now: at(600_000), version: 6 }).state).toBeUndefined();
  });
});

describe('issue 9.13 a partner releases monthly licenses it no longer wants (M4)', () => {
  const holder = () =>
    wallet({
      holdings: [
        { sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-04' },
        { sku: 'EP-MONTHLY', quantity: 3, paidThrough: '2031-05' },
        { sku: 'EDR-MONTHLY', quantity: 1, paidThrough: '2031-04' },
      ],
    });
  const release = (w: Wallet | null, quantity: number, sku = 'EP-MONTHLY') =>
    releaseMonthly(w, 'p-9', { releaseId: 'r-1', idempotencyKey: 'key-1', sku, quantity }, { ...ctx(7), correlationId: 'corr-r' });

  it('takes the licenses out of the holdings at once, the lots paid least far ahead first, and asks the pool', () => {
    const change = applied(release(holder(), 3));
    expect(change.state.holdings).toEqual([
      { sku: 'EDR-MONTHLY', quantity: 1, paidThrough: '2031-04' },
      { sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-05' },
    ]);
    expect(change.result).toMatchObject({
      status: 'pending',
      month: '2031-05',
      lots: [
        { sku: 'EP-MONTHLY', quantity: 2, paidThrough: '2031-04' },
        { sku: 'EP-MONTHLY', quantity: 1, paidThrough: '2031-05' },
      ],
    });
    expect(change.state.balance).toBe(100);
    expect(change.events).toEqual([
      expect.objectContaining({
        type: PointsEvents.monthlyReleased,
        data: expect.objectContaining({
          releaseId: 'r-1',
          month: '2031-05',
          lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 3 }],
          walletVersion: 7,
        }),
      }),
    ]);
    expectValid(change.events);
  });

  it('refuses more than the wallet holds, and a sku it does not hold', () => {
    expect(release(holder(), 6)).toMatchObject({ refused: true, kind: 'conflict', code: PointsCodes.notHeld, details: { held: 5, quantity: 6 } });
    expect(release(holder(), 1, 'EP-OTHER')).toMatchObject({ code: PointsCodes.notHeld, details: { held: 0 } });
    expect(release(null, 1)).toMatchObject({ code: PointsCodes.notHeld });
  });

  it('released: stays out of the holdings; refused: held again as they were; a second answer changes nothing', () => {
    const requested = applied(release(holder(), 3)).state;
    const released = applied(settleRelease(requested, 'r-1', { removed: true }, ctx(8)));
    expect(released.state.holdings).toEqual(requested.holdings);
    expect(releasesOf(released.state)[0]).toMatchObject({ status: 'released', refusal: null });
    expect(released.events).toEqual([]);

    const refused = applied(settleRelease(requested, 'r-1', { removed: false, code: 'POOL.INSUFFICIENT_STOCK', reason: 'reserved' }, ctx(8)));
    expect(refused.state.holdings).toEqual(
      holder().holdings.sort((a, b) => a.sku.localeCompare(b.sku) || a.paidThrough.localeCompare(b.paidThrough)),
    );
    expect(releasesOf(refused.state)[0]).toMatchObject({ status: 'refused', refusal: { code: 'POOL.INSUFFICIENT_STOCK' } });

    expect(settleRelease(refused.state, 'r-1', { removed: true }, ctx(9))).toEqual({ result: 'already-settled' });
    expect(settleRelease(refused.state, 'r-404', { removed: true }, ctx(9))).toEqual({ result: 'unknown-release' });
  });
});

describe('issue 9.13 the pool takes released monthly licenses out of its available stock, all or none', () => {
  const poolCtx = { now, version: 3, correlationId: 'corr-p', causationId: 'evt-1' };
  const poolWith = (available: number, reserved: number): Pool => ({
    ...emptyPool('p-9', now),
    openedAt: now.toISOString(),
    lines: [{ sku: 'EP-MONTHLY', termMonths: 1, available, reserved, assigned: 1 }],
  });
  const released = { releaseId: 'r-1', month: '2031-05', lines: [{ sku: 'EP-MONTHLY', quantity: 2 }] };

  it('removes them from available only and answers stock-expired under release:<id>', () => {
    const change = releaseAvailable(poolWith(3, 2), 'p-9', released, poolCtx);
    expect(change.result).toEqual({ outcome: 'released', removed: 2 });
    expect(change.state?.lines).toEqual([{ sku: 'EP-MONTHLY', termMonths: 1, available: 1, reserved: 2, assigned: 1 }]);
    expect(change.events?.[0]).toMatchObject({
      type: PoolEvents.stockExpired,
      data: {
        reference: 'release:r-1',
        month: '2031-05',
        lines: [{ sku: 'EP-MONTHLY', termMonths: 1, quantity: 2, removed: 2, shortfall: 0 }],
        movements: [{ sku: 'EP-MONTHLY', termMonths: 1, available: -2, reserved: 0, assigned: 0 }],
        poolVersion: 4,
      },
    });
    expectValid(change.events ?? []);
  });

  it('refuses when fewer are available: nothing moves, every line is a shortfall, reserved and assigned stay', () => {
    const change = releaseAvailable(poolWith(1, 2), 'p-9', released, poolCtx);
    expect(change.result).toEqual({ outcome: 'refused', removed: 0 });
    expect(change.state?.lines).toEqual(poolWith(1, 2).lines);
    expect(change.events?.[0]?.data).toMatchObject({
      reference: 'release:r-1',
      lines: [{ quantity: 2, removed: 0, shortfall: 2 }],
      movements: [{ available: 0, reserved: 0, assigned: 0 }],
    });
    expectValid(change.events ?? []);
    expect(releaseAvailable(null, 'p-9', released, poolCtx).result).toEqual({ outcome: 'refused', removed: 0 });
  });
});
