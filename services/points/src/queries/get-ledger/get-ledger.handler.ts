import { pageByKeyset, type KeysetSort } from '@licensing/service-kit';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { ledgerModel, type LedgerEntry } from '../../projections/ledger.repository';

/** The refusal of a cursor the API did not give. */
export const INVALID_LEDGER_CURSOR = 'POINTS.INVALID_CURSOR';

/**
 * Newest first: by wallet version, then by entry id, so entries that one wallet write recorded
 * together (a catch-up renewing several months at once) each come back once.
 */
const NEWEST_FIRST: KeysetSort = [
  ['walletVersion', -1],
  ['_id', -1],
];

/** A page of the ledger projection, as the API shows it. */
@Injectable()
export class GetLedgerHandler {
  constructor(@InjectModel(ledgerModel.name) private readonly ledger: Model<LedgerEntry>) {}

  async execute(partnerId: string, limit: number, cursor?: string) {
    const page = await pageByKeyset(this.ledger, { filter: { partnerId }, sort: NEWEST_FIRST, limit, cursor, invalidCode: INVALID_LEDGER_CURSOR });
    return { items: page.items.map(({ _id, ...entry }) => ({ entryId: _id, ...entry })), nextCursor: page.nextCursor };
  }
}
