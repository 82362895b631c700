import { createHash } from 'node:crypto';
import { isDuplicateKey } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';

const BUSINESS_IDS = 'business_ids';

/**
 * A business id (a credit's Idempotency-Key, a release's) seen once, ever (DESIGN §4): the
 * wallet remembers only its last 1000 handled keys, this collection every one. `_id` is the
 * scoped id (`credit:<partnerId>/<key>`), so the unique index decides which request claims it,
 * with its body's digest, before the aggregate changes. A claim says the id was asked for, not
 * that the change was saved (the process may stop in between): within the aggregate's window its
 * handled keys tell, past it the aggregate's durable trace (the ledger, a recorded outcome).
 * Written in points' infrastructure so that it can move to libs/persistence as is.
 */
export interface BusinessIdRecord {
  _id: string;
  /** Digest of the request that claimed the id: the same id with another body is refused. */
  digest: string;
  claimedAt: string;
  /** What became of it, where the aggregate keeps only recent ones (a settled release). */
  outcome?: unknown;
}

const businessIdSchema = new Schema<BusinessIdRecord>(
  {
    _id: { type: String, required: true },
    digest: { type: String, required: true },
    claimedAt: { type: String, required: true },
    outcome: { type: Schema.Types.Mixed },
  },
  { collection: BUSINESS_IDS, versionKey: false },
);

export const businessIdModel = { name: BUSINESS_IDS, schema: businessIdSchema };

/** A stable digest of a request body (keys sorted, so the order of fields does not matter). */
export function digestOf(body: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => a.localeCompare(b))));
  return createHash('sha256').update(canonical).digest('hex');
}

export type Claim = { claimed: true } | { claimed: false; record: BusinessIdRecord };

@Injectable()
export class BusinessIdsRepository {
  constructor(@InjectModel(BUSINESS_IDS) private readonly model: Model<BusinessIdRecord>) {}

  /** Records the id with the request's digest, unless it is recorded already: then answers the record. */
  async claim(id: string, digest: string, now: Date): Promise<Claim> {
    try {
      await this.model.create({ _id: id, digest, claimedAt: now.toISOString() });
      return { claimed: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const record = await this.find(id);
    // Released between the insert and the read (the first request was refused): claim it again.
    return record ? { claimed: false, record } : this.claim(id, digest, now);
  }

  /** Keeps what became of the id, for answers after the aggregate has let it go. */
  async recordOutcome(id: string, outcome: unknown): Promise<void> {
    await this.model.updateOne({ _id: id }, { $set: { outcome } }).exec();
  }

  async find(id: string): Promise<BusinessIdRecord | null> {
    return (await this.model.findById(id).lean().exec()) as BusinessIdRecord | null;
  }

  /**
   * Gives back a claim whose request was refused: a refused request records nothing, so the key
   * may be used again. Only the claimant calls it, before anything was applied under the id.
   */
  async release(id: string): Promise<void> {
    await this.model.deleteOne({ _id: id }).exec();
  }
}
