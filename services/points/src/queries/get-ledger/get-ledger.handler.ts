import { Injectable } from '@nestjs/common';
import { LedgerRepository } from '../../projections/ledger.repository';

/** A page of the ledger projection, as the API shows it. */
@Injectable()
export class GetLedgerHandler {
  constructor(private readonly ledger: LedgerRepository) {}

  async execute(partnerId: string, limit: number, before?: number) {
    const page = await this.ledger.page(partnerId, limit, before);
    return { items: page.items.map(({ _id, ...entry }) => ({ entryId: _id, ...entry })), nextCursor: page.nextCursor };
  }
}
