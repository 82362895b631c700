import { Injectable } from '@nestjs/common';
import { requireOpened } from '../../http/pool.view';
import { PoolRepository } from '../../infrastructure/pool.repository';
import { LedgerRepository, type MovementPage, type MovementQuery } from '../../projections/ledger.repository';

/** P4: the movement ledger of a partner's pool. */
@Injectable()
export class GetMovementsHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly ledger: LedgerRepository,
  ) {}

  async execute(partnerId: string, query: MovementQuery): Promise<MovementPage> {
    requireOpened(partnerId, (await this.pools.load(partnerId))?.state);
    return this.ledger.movements(partnerId, query);
  }
}
