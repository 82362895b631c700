import { pageByKeyset, type KeysetSort, type Page } from '@licensing/service-kit';
import { Injectable } from '@nestjs/common';
import type { LedgerMovement } from '../../domain/ledger';
import { PoolCodes } from '../../domain/pool.errors';
import { requireOpened } from '../../http/pool.view';
import { PoolRepository } from '../../infrastructure/pool.repository';
import { LedgerRepository } from '../../projections/ledger.repository';

/** A page of movements: of one sku, stamped between two times (inclusive). */
export interface MovementQuery {
  sku?: string;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

/**
 * The ledger's order: the pool version that made a movement, then its event and line. One pool
 * write can emit several events (a timeout releasing several reservations), each numbering its
 * lines from 0, so only (eventId, index) names one movement within a version.
 */
const LEDGER_ORDER: KeysetSort = [
  ['poolVersion', 1],
  ['eventId', 1],
  ['index', 1],
];

/** P4: the movement ledger of a partner's pool, every movement once whatever the page size. */
@Injectable()
export class GetMovementsHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly ledger: LedgerRepository,
  ) {}

  async execute(partnerId: string, query: MovementQuery): Promise<Page<LedgerMovement>> {
    requireOpened(partnerId, (await this.pools.load(partnerId))?.state);
    const filter: Record<string, unknown> = { partnerId };
    if (query.sku) filter.sku = query.sku;
    if (query.from || query.to) filter.at = { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lte: query.to } : {}) };
    return pageByKeyset(this.ledger.model, {
      filter,
      sort: LEDGER_ORDER,
      limit: query.limit,
      cursor: query.cursor,
      invalidCode: PoolCodes.invalidCursor,
    });
  }
}
