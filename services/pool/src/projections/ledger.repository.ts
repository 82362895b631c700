import { insertOnce } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';
import type { LedgerMovement, StockBalance } from '../domain/ledger';
import { byLine } from '../domain/stock-rules';

export const MOVEMENTS = 'pool_movements';

/** One document per (pool event, line), keyed `<event id>:<line index>`: a replayed event never counts twice. */
export const movementSchema = new Schema<LedgerMovement>(
  {
    _id: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    partnerId: { type: String, required: true },
    sku: { type: String, required: true },
    termMonths: { type: Number, required: true },
    available: { type: Number, required: true },
    reserved: { type: Number, required: true },
    assigned: { type: Number, required: true },
    reason: { type: String, required: true },
    detail: { type: String },
    reference: { type: String, required: true },
    correlationId: { type: String, required: true },
    at: { type: Date, required: true },
    poolVersion: { type: Number, required: true },
    index: { type: Number, required: true },
  },
  { collection: MOVEMENTS, versionKey: false },
);
// The ledger's page order (GetMovementsHandler) and the versions stockAsOf sums.
movementSchema.index({ partnerId: 1, poolVersion: 1, eventId: 1, index: 1 });
movementSchema.index({ partnerId: 1, at: 1 });
movementSchema.index({ partnerId: 1, reference: 1 });

/**
 * The movement ledger (P4): a projection of the pool's own stock events. Each partner's
 * movements are ordered by the pool version that made them.
 */
@Injectable()
export class LedgerRepository {
  constructor(@InjectModel(MOVEMENTS) readonly model: Model<LedgerMovement>) {}

  /** A redelivered event's movements are already there; a consumer's batch inserts its movements at once. */
  record(movements: LedgerMovement[]): Promise<void> {
    return insertOnce(this.model, movements);
  }

  /**
   * P4: the stock as of a time is the sum of the movements of every pool version up to then. The
   * ledger's order is the pool version, not the time stamped on it (instances' clocks may differ
   * a little): a version happened at its time or at the time of a version before it, whichever
   * is later. So the stock as of T is the sum of every version before the first one stamped
   * after T, always a state the pool was in, never a mix of versions that never coexisted.
   */
  async stockAsOf(partnerId: string, asOf: Date): Promise<StockBalance[]> {
    const [after] = (await this.model
      .find({ partnerId, at: { $gt: asOf } })
      .sort({ poolVersion: 1 })
      .limit(1)
      .select({ poolVersion: 1 })
      .lean()
      .exec()) as Pick<LedgerMovement, 'poolVersion'>[];
    const groups = await this.model
      .aggregate<{ _id: { sku: string; termMonths: StockBalance['termMonths'] }; available: number; reserved: number; assigned: number }>([
        { $match: { partnerId, ...(after ? { poolVersion: { $lt: after.poolVersion } } : {}) } },
        {
          $group: {
            _id: { sku: '$sku', termMonths: '$termMonths' },
            available: { $sum: '$available' },
            reserved: { $sum: '$reserved' },
            assigned: { $sum: '$assigned' },
          },
        },
      ])
      .exec();
    return groups
      .map((g) => ({ sku: g._id.sku, termMonths: g._id.termMonths, available: g.available, reserved: g.reserved, assigned: g.assigned }))
      .sort(byLine);
  }

  /** The lines of a past purchase as the ledger recorded them, for an order the pool no longer remembers. */
  async purchaseLines(
    partnerId: string,
    orderId: string,
  ): Promise<{ sku: string; termMonths: StockBalance['termMonths']; quantity: number }[] | undefined> {
    const found = (await this.model
      .find({ partnerId, reference: orderId, reason: 'purchase' })
      .sort({ poolVersion: 1, index: 1 })
      .lean()
      .exec()) as LedgerMovement[];
    if (found.length === 0) return undefined;
    // One purchase event per order: its lines are the movements of its first event.
    const eventId = found[0]?.eventId;
    return found.filter((m) => m.eventId === eventId).map((m) => ({ sku: m.sku, termMonths: m.termMonths, quantity: m.available }));
  }
}
