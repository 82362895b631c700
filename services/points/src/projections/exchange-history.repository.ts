import type { PointsLine } from '@licensing/events';
import { isDuplicateKey } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';
import type { ExchangeStatus } from '../domain/wallet.aggregate';

const EXCHANGES = 'exchanges';

/** An exchange as read by GET after the wallet document has let it go (the wallet keeps the recent ones). */
export interface ExchangeRecord {
  _id: string;
  partnerId: string;
  status: ExchangeStatus;
  /** pending 0, final 1: an update never moves an exchange back. */
  rank: number;
  lines: PointsLine[];
  totalPoints: number;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refund: { code: string; reason: string } | null;
}

const lineSchema = new Schema<PointsLine>(
  { sku: String, termMonths: Number, quantity: Number, pointsPerLicense: Number },
  // Lines are values: no `_id` of their own.
  { _id: false },
);

// No required fields: a final answer may arrive before the pending record it completes.
const exchangeSchema = new Schema<ExchangeRecord>(
  {
    _id: { type: String, required: true },
    partnerId: String,
    status: { type: String, enum: ['pending', 'completed', 'refunded'] },
    rank: Number,
    lines: { type: [lineSchema], default: undefined },
    totalPoints: Number,
    correlationId: String,
    requestedAt: String,
    settledAt: String,
    refund: Schema.Types.Mixed,
  },
  { collection: EXCHANGES, versionKey: false, minimize: false },
);
exchangeSchema.index({ partnerId: 1, requestedAt: -1 });

export const exchangeHistoryModel = { name: EXCHANGES, schema: exchangeSchema };

/** The exchange history, a projection of the wallet events (DESIGN.md §4). */
@Injectable()
export class ExchangeHistoryRepository {
  constructor(@InjectModel(EXCHANGES) private readonly model: Model<ExchangeRecord>) {}

  /** Moves an exchange forward only (pending → final); a replay or a late pending finds the filter unmatched. */
  async advance(exchangeId: string, rank: number, fields: Partial<Omit<ExchangeRecord, '_id' | 'rank'>>): Promise<void> {
    try {
      await this.model.updateOne({ _id: exchangeId, rank: { $lt: rank } }, { $set: { ...fields, rank } }, { upsert: true }).exec();
    } catch (error) {
      // The upsert met the record already further on.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async find(partnerId: string, exchangeId: string): Promise<ExchangeRecord | null> {
    return (await this.model.findOne({ _id: exchangeId, partnerId }).lean().exec()) as ExchangeRecord | null;
  }
}
