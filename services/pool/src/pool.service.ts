import { randomUUID } from 'node:crypto';
import type {
  AssignmentRejectedV1,
  AssignmentRequestedV1,
  CloudEvent,
  ContractActivatedV1,
  ExchangeDebitedV1,
  LicensesRecoveredV1,
  MonthlyLapsedV1,
  StockLine,
} from '@licensing/events';
import type { CatalogReadModel } from '@licensing/messaging';
import type { AggregateRepository, Outcome } from '@licensing/persistence';
import { badRequest, notFound, orThrow } from '@licensing/platform';
import type { StockBalance } from './domain/ledger';
import {
  availableOf,
  commit,
  credit,
  expire,
  orderDigest,
  purchase,
  release,
  releaseExpired,
  reserve,
  setThreshold,
  type CommitResult,
  type CreditResult,
  type ExpireResult,
  type Pool,
  type PoolChange,
  type PoolContext,
  type PurchaseOrder,
  type ReleaseResult,
  type Reservation,
  type ReserveResult,
} from './domain/pool.aggregate';
import { PoolCodes } from './domain/pool.errors';
import type { SkuLookup } from './domain/stock-rules';
import type { Ledger, MovementPage, MovementQuery } from './ledger/ledger.projection';

/** A pool as the API shows it. */
export interface PoolView {
  partnerId: string;
  version: number;
  openedAt: string;
  updatedAt: string;
  lines: Pool['lines'];
  thresholds: { sku: string; threshold: number; available: number; low: boolean }[];
  reservations: Omit<Reservation, 'correlationId'>[];
}

export interface PurchaseAnswer {
  duplicate: boolean;
  orderId: string;
  lines: StockLine[];
  pool: PoolView;
}

interface Cause {
  correlationId: string;
  causationId?: string;
}

const causeOf = (event: CloudEvent): Cause => ({ correlationId: event.correlationid, causationId: event.id });

function toView(pool: Pool, version: number): PoolView {
  return {
    partnerId: pool.partnerId,
    version,
    openedAt: pool.openedAt ?? pool.updatedAt,
    updatedAt: pool.updatedAt,
    lines: pool.lines,
    thresholds: pool.thresholds.map((t) => ({ ...t, available: availableOf(pool, t.sku), low: availableOf(pool, t.sku) < t.threshold })),
    reservations: pool.reservations.map(({ correlationId: _c, ...r }) => r),
  };
}

/**
 * The pool's use cases. Each changes one partner's pool document through the repository
 * (version check, outbox, handled event ids); the rules are in domain/.
 */
export class PoolService {
  constructor(
    readonly pools: AggregateRepository<Pool>,
    private readonly catalog: CatalogReadModel,
    private readonly ledger: Ledger,
    private readonly options: { reservationTimeoutMs: number },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private async lookup(skus: string[]): Promise<SkuLookup> {
    const found = await this.catalog.getMany(skus);
    return (sku) => {
      const s = found.get(sku);
      return s && { status: s.status, terms: s.terms, trialEdition: s.trialEdition };
    };
  }

  /** Runs a decision on the partner's pool; the clock is read on each attempt, so a retry decides anew. */
  private run<R>(
    partnerId: string,
    decide: (pool: Pool | null, ctx: PoolContext) => PoolChange<R>,
    cause: Cause,
    dedupeKey?: string,
  ): Promise<Outcome<Pool, R>> {
    return this.pools.execute<R>(partnerId, (state, version) => decide(state, { now: this.clock(), version, ...cause }), dedupeKey);
  }

  // ---------------------------------------------------------------- HTTP commands and queries

  async purchase(partnerId: string, order: PurchaseOrder, correlationId: string): Promise<PurchaseAnswer> {
    const lookup = await this.lookup(order.lines.map((l) => l.sku));
    const past = await this.ledger.purchaseLines(partnerId, order.orderId);
    const pastDigest = past && orderDigest(past);
    const outcome = await this.run(partnerId, (pool, ctx) => purchase(pool, partnerId, order, lookup, ctx, pastDigest), { correlationId });
    if (outcome.duplicate) throw new Error('purchases are deduplicated by orderId, not by a handled key');
    const done = orThrow(outcome.result);
    return { duplicate: done.duplicate, orderId: order.orderId, lines: done.lines, pool: await this.getPool(partnerId) };
  }

  async setThreshold(partnerId: string, sku: string, threshold: number | null, correlationId: string): Promise<PoolView> {
    const facts = (await this.lookup([sku]))(sku);
    const outcome = await this.run(partnerId, (pool, ctx) => setThreshold(pool, sku, threshold, facts, ctx), { correlationId });
    if (!outcome.duplicate) orThrow(outcome.result);
    return this.getPool(partnerId);
  }

  async getPool(partnerId: string): Promise<PoolView> {
    const doc = await this.pools.load(partnerId);
    if (!doc || doc.state.openedAt === null) throw notFound(PoolCodes.partnerNotFound, `partner ${partnerId} has no pool`);
    return toView(doc.state, doc.version);
  }

  async stockAsOf(partnerId: string, asOf: Date): Promise<{ partnerId: string; asOf: string; lines: StockBalance[] }> {
    if (asOf.getTime() > this.clock().getTime()) throw badRequest(PoolCodes.asOfInFuture, 'asOf must not be in the future');
    await this.getPool(partnerId);
    return { partnerId, asOf: asOf.toISOString(), lines: await this.ledger.stockAsOf(partnerId, asOf) };
  }

  async movements(partnerId: string, query: MovementQuery): Promise<MovementPage> {
    await this.getPool(partnerId);
    return this.ledger.movements(partnerId, query);
  }

  // ---------------------------------------------------------------- events (deduplicated by event id)

  /** Returns the reservation when it is open after this event (a redelivery finds it too). */
  async reserve(event: CloudEvent<AssignmentRequestedV1>): Promise<{ result: ReserveResult | 'duplicate'; open?: Reservation }> {
    const { partnerId, assignmentId, clientId, lines } = event.data;
    const lookup = await this.lookup(lines.map((l) => l.sku));
    const outcome = await this.run(
      partnerId,
      (pool, ctx) => reserve(pool, partnerId, { assignmentId, clientId, lines }, lookup, ctx, this.options.reservationTimeoutMs),
      causeOf(event),
      event.id,
    );
    const open = outcome.state?.reservations.find((r) => r.assignmentId === assignmentId);
    return { result: outcome.duplicate ? 'duplicate' : outcome.result, open };
  }

  async commit(event: CloudEvent<ContractActivatedV1>): Promise<CommitResult | 'duplicate'> {
    const { partnerId, assignmentId, contracts } = event.data;
    const contractIds = contracts.map((c) => c.contractId);
    return resultOf(await this.run(partnerId, (pool, ctx) => commit(pool, partnerId, assignmentId, contractIds, ctx), causeOf(event), event.id));
  }

  async release(event: CloudEvent<AssignmentRejectedV1>): Promise<ReleaseResult | 'duplicate'> {
    const { partnerId, assignmentId, code, reason } = event.data;
    const detail = `${code}: ${reason}`.slice(0, 1000);
    return resultOf(await this.run(partnerId, (pool, ctx) => release(pool, assignmentId, detail, ctx), causeOf(event), event.id));
  }

  async creditRecovery(event: CloudEvent<LicensesRecoveredV1>): Promise<CreditResult | 'duplicate'> {
    const { partnerId, recoveryId, lines } = event.data;
    return this.credit(event, partnerId, { creditId: recoveryId, source: 'recovery', lines });
  }

  async creditExchange(event: CloudEvent<ExchangeDebitedV1>): Promise<CreditResult | 'duplicate'> {
    const { partnerId, exchangeId, lines } = event.data;
    return this.credit(event, partnerId, {
      creditId: exchangeId,
      source: 'points',
      lines: lines.map(({ sku, termMonths, quantity }) => ({ sku, termMonths, quantity })),
    });
  }

  private async credit(event: CloudEvent, partnerId: string, request: Parameters<typeof credit>[2]): Promise<CreditResult | 'duplicate'> {
    const lookup = await this.lookup(request.lines.map((l) => l.sku));
    return resultOf(await this.run(partnerId, (pool, ctx) => credit(pool, partnerId, request, lookup, ctx), causeOf(event), event.id));
  }

  async expireLapsed(event: CloudEvent<MonthlyLapsedV1>): Promise<ExpireResult | 'duplicate'> {
    const { partnerId, month, lines, renewalId } = event.data;
    const lapse = { month, reference: renewalId ?? `lapse:${month}`, lines };
    return resultOf(await this.run(partnerId, (pool, ctx) => expire(pool, lapse, ctx), causeOf(event), event.id));
  }

  // ---------------------------------------------------------------- deadlines

  /** Releases the partner's reservations past their deadline; nothing when there are none. */
  async releaseExpired(partnerId: string): Promise<ReleaseResult> {
    const outcome = await this.run(partnerId, (pool, ctx) => releaseExpired(pool, ctx), { correlationId: randomUUID() });
    return outcome.duplicate ? { outcome: 'ignored' } : outcome.result;
  }

  /** Partners holding a reservation past its deadline (the sweep's work list). */
  async partnersWithExpiredReservations(limit = 500): Promise<string[]> {
    const docs = await this.pools.collection
      .find({ 'state.reservations.expiresAt': { $lte: this.clock().toISOString() } } as never)
      .project<{ _id: string }>({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => d._id);
  }
}

const resultOf = <R>(outcome: Outcome<Pool, R>): R | 'duplicate' => (outcome.duplicate ? 'duplicate' : outcome.result);
