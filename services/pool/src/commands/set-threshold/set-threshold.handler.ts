import { CatalogCopy } from '@licensing/catalog-copy';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { setThreshold } from '../../domain/pool.aggregate';
import { poolView, type PoolView } from '../../http/pool.view';
import { PoolRepository } from '../../infrastructure/pool.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';

/** A partner's low-stock threshold for a sku; null removes it. */
@Injectable()
export class SetThresholdHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(partnerId: string, sku: string, threshold: number | null, correlationId: string): Promise<PoolView> {
    const facts = (await skuLookup(this.catalog, [sku]))(sku);
    const outcome = await this.pools.decide(partnerId, this.clock, { correlationId }, (pool, ctx) => setThreshold(pool, sku, threshold, facts, ctx));
    orThrow(outcome.result);
    return poolView(partnerId, outcome.state, outcome.version);
  }
}
