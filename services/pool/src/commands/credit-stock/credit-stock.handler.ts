import { CatalogCopy } from '@licensing/catalog-copy';
import type { CloudEvent } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { credit, type CreditRequest, type CreditResult } from '../../domain/pool.aggregate';
import { creditDigest, pastUse, poolKey } from '../../infrastructure/pool-keys';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';

/**
 * P2: licenses from a recovery (C5) or a points exchange (M3) enter the pool in full or not at
 * all. A credit key (a recoveryId, an exchangeId) is taken once, ever: the durable records
 * answer for one the pool document has forgotten.
 */
@Injectable()
export class CreditStockHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent, partnerId: string, request: CreditRequest): Promise<CreditResult | 'duplicate'> {
    const lookup = await skuLookup(
      this.catalog,
      request.lines.map((l) => l.sku),
    );
    const key = poolKey.credit(partnerId, request.source, request.creditId);
    const digest = creditDigest(request.lines);
    const past = pastUse(await this.pools.keys.check(key, digest));
    const result = resultOf(
      await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => credit(pool, partnerId, request, lookup, ctx, past), event.id),
    );
    // Also for a duplicate: the first attempt may have saved and died before recording.
    if (result === 'duplicate' || result.outcome !== 'conflict') await this.pools.keys.remember(key, digest);
    return result;
  }
}
