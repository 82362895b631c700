import { badRequest, InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { StockBalance } from '../../domain/ledger';
import { PoolCodes } from '../../domain/pool.errors';
import { poolView, requireOpened, type PoolView } from '../../http/pool.view';
import { PoolRepository } from '../../infrastructure/pool.repository';
import { LedgerRepository } from '../../projections/ledger.repository';

@Injectable()
export class GetPoolHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly ledger: LedgerRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async get(partnerId: string): Promise<PoolView> {
    const doc = await this.pools.load(partnerId);
    return poolView(partnerId, doc?.state ?? null, doc?.version ?? 0);
  }

  /** P4: the stock at a past time, from the movement ledger. */
  async asOf(partnerId: string, asOf: Date): Promise<{ partnerId: string; asOf: string; lines: StockBalance[] }> {
    if (asOf.getTime() > this.clock().getTime()) throw badRequest(PoolCodes.asOfInFuture, 'asOf must not be in the future');
    requireOpened(partnerId, (await this.pools.load(partnerId))?.state);
    return { partnerId, asOf: asOf.toISOString(), lines: await this.ledger.stockAsOf(partnerId, asOf) };
  }
}
