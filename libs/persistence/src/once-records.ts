import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

/**
 * One business id (an order id, an assignment id, a credit key) and what it was used for.
 * `digest` is the digest of the body that first used it (null when only an outcome was written
 * for it); `outcome` is what the id came to, as the service that owns it says.
 */
export interface OnceRecord<O = unknown> {
  _id: string;
  digest: string | null;
  outcome: O | null;
  at: Date;
}

/** What the records know of a business id: nothing, or whether this body is the one that used it, and its outcome. */
export type OnceCheck<O> = { seen: false } | { seen: true; sameBody: boolean; outcome: O | null };

const onceRecordSchema = (collection: string) =>
  new Schema<OnceRecord>(
    {
      _id: { type: String, required: true },
      digest: { type: String, default: null },
      outcome: { type: Schema.Types.Mixed, default: null },
      at: { type: Date, required: true },
    },
    { collection, versionKey: false, minimize: false },
  );

/**
 * Business ids honoured once, ever (DESIGN §4). An aggregate document remembers only its recent
 * ids (a bounded window, so the document stays small); this collection, keyed by the id (its
 * `_id`, so unique), remembers every one.
 *
 * How a service uses it, around the aggregate's version-checked write:
 * 1. `check(key, digest)` before deciding: an id the window has forgotten is still found here,
 *    with whether this body is the one that used it (else: refuse, 409 over HTTP).
 * 2. `remember(key, digest, outcome?)` right after the write that used the id, and again when
 *    the id is met as a duplicate: a crash between the write and the record is repaired by the
 *    redelivery (or the client's retry) that follows, while the window still holds the id.
 *
 * The first digest stays; the outcome is the latest one written.
 */
export class OnceRecords<O = unknown> {
  readonly model: Model<OnceRecord<O>>;

  /** The collection on the service's own connection (registered once per connection). */
  constructor(connection: Connection, collection: string) {
    this.model = (connection.models[collection] ?? connection.model(collection, onceRecordSchema(collection))) as unknown as Model<OnceRecord<O>>;
  }

  find(key: string): Promise<OnceRecord<O> | null> {
    return this.model.findById(key).lean<OnceRecord<O>>().exec();
  }

  /** A record without a digest (only an outcome was written) accepts any body. */
  async check(key: string, digest: string): Promise<OnceCheck<O>> {
    const found = await this.find(key);
    if (!found) return { seen: false };
    return { seen: true, sameBody: found.digest === null || found.digest === digest, outcome: found.outcome ?? null };
  }

  /** Records the id with its body's digest (kept if one is there) and, when given, its latest outcome. */
  async remember(key: string, digest: string | null, outcome?: O): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.model
          .updateOne(
            { _id: key },
            {
              $setOnInsert: { digest, at: new Date(), ...(outcome === undefined ? { outcome: null } : {}) },
              ...(outcome === undefined ? {} : { $set: { outcome } }),
            },
            { upsert: true },
          )
          .exec();
        // Written first with an outcome only: the body's digest comes with its first use.
        if (digest !== null && result.upsertedCount === 0) await this.model.updateOne({ _id: key, digest: null }, { $set: { digest } }).exec();
        return;
      } catch (error) {
        // Two first writes of one id at once: one inserts, the other updates on its retry.
        if (attempt >= 3 || !isDuplicateKey(error)) throw error;
      }
    }
  }
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/** The digest of a body: the same value gives the same digest whatever its keys' order (sha256, hex). */
export const digestOf = (value: unknown): string => createHash('sha256').update(canonical(value)).digest('hex');
