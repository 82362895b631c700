import { CatalogCopy } from '@licensing/catalog-copy';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { purchase, type PurchaseOrder } from '../../domain/pool.aggregate';
import { poolView, type PurchaseView } from '../../http/pool.view';
import { orderDigest } from '../../infrastructure/order-digest';
import { poolKey } from '../../infrastructure/pool-keys';
import { PoolRepository } from '../../infrastructure/pool.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';
import { LedgerRepository } from '../../projections/ledger.repository';

/** P2: annual licenses bought into the pool, taken once per orderId, ever (DESIGN §4). */
@Injectable()
export class PurchaseStockHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly catalog: CatalogCopy,
    private readonly ledger: LedgerRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(partnerId: string, order: PurchaseOrder, correlationId: string): Promise<PurchaseView> {
    const lookup = await skuLookup(
      this.catalog,
      order.lines.map((l) => l.sku),
    );
    // An order older than the pool's memory of recent orders is found in the durable records of
    // order ids, or (taken before those existed) in the ledger.
    const key = poolKey.order(partnerId, order.orderId);
    const digest = orderDigest(order.lines);
    const recorded = (await this.pools.keys.find(key))?.digest ?? undefined;
    const ledger = recorded === undefined ? await this.ledger.purchaseLines(partnerId, order.orderId) : undefined;
    const digests = { digest, past: recorded ?? (ledger && orderDigest(ledger)) };
    const outcome = await this.pools.decide(partnerId, this.clock, { correlationId }, (pool, ctx) =>
      purchase(pool, partnerId, order, lookup, ctx, digests),
    );
    const done = orThrow(outcome.result);
    // Also for a duplicate: the first request may have saved and died before recording.
    await this.pools.keys.remember(key, digest);
    return { duplicate: done.duplicate, orderId: order.orderId, lines: done.lines, pool: poolView(partnerId, outcome.state, outcome.version) };
  }
}
