import { CatalogCopy } from '@licensing/catalog-copy';
import type { CloudEvent } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { credit, type CreditRequest, type CreditResult } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';

/** P2: licenses from a recovery (C5) or a points exchange (M3) enter the pool in full or not at all. */
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
    return resultOf(
      await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => credit(pool, partnerId, request, lookup, ctx), event.id),
    );
  }
}
