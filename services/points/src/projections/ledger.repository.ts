import { insertOnce } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';

const LEDGER = 'ledger';

export type LedgerKind = 'credit' | 'exchange-debit' | 'exchange-refund' | 'monthly-renewal';

/** One movement of points. `_id` is the event id, so a replayed event never doubles an entry. */
export interface LedgerEntry {
  _id: string;
  partnerId: string;
  kind: LedgerKind;
  /** Signed: credits and refunds positive, debits negative. The sum over a wallet is its balance (M2). */
  amount: number;
  balanceAfter: number;
  reason: string;
  /** The credit id, exchange id or renewal id the movement belongs to. */
  reference: string;
  walletVersion: number;
  at: string;
  correlationId: string;
}

const ledgerSchema = new Schema<LedgerEntry>(
  {
    _id: { type: String, required: true },
    partnerId: { type: String, required: true },
    kind: { type: String, enum: ['credit', 'exchange-debit', 'exchange-refund', 'monthly-renewal'], required: true },
    amount: { type: Number, required: true },
    balanceAfter: { type: Number, required: true },
    reason: { type: String, required: true },
    reference: { type: String, required: true },
    walletVersion: { type: Number, required: true },
    at: { type: String, required: true },
    correlationId: { type: String, required: true },
  },
  { collection: LEDGER, versionKey: false },
);
// A partner's page, newest first (GetLedgerHandler): the wallet version, then the entry id.
ledgerSchema.index({ partnerId: 1, walletVersion: -1, _id: -1 });
// A credit looked up by its key, past the wallet's window (CreditPointsHandler).
ledgerSchema.index({ partnerId: 1, reference: 1 });

export const ledgerModel = { name: LEDGER, schema: ledgerSchema };

/** The points ledger, a projection of the wallet events (DESIGN.md §4). */
@Injectable()
export class LedgerRepository {
  constructor(@InjectModel(LEDGER) private readonly model: Model<LedgerEntry>) {}

  /** A redelivered event's entry is already there; a consumer's batch inserts its entries at once. */
  record(entry: LedgerEntry): Promise<void> {
    return insertOnce(this.model, [entry]);
  }
}
