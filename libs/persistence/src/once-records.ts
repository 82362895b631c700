import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';
import { findByIds } from './find-by-ids';
import { WriteBatch } from './write-batch';

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

/** What a claim found: the id was free and is now this request's, or (as `check` says) its earlier use. */
export type OnceClaim<O> = { claimed: true } | { claimed: false; sameBody: boolean; outcome: O | null };

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
 * `_id`, so unique), remembers every one. Two ways to use it, by what the aggregate's window holds:
 *
 * - Check, then remember (the window holds each id's body, as the pool's do): `check(key, digest)`
 *   before deciding, so domain code also judges an id the window has forgotten; `remember(key,
 *   digest, outcome?)` right after the write that used the id, and again when the id is met as a
 *   duplicate: a crash between the write and the record is repaired by the redelivery (or the
 *   client's retry) that follows, while the window still holds the id. A record means "used".
 * - Claim first (the window holds bare keys, as a wallet's does): `claim(key, digest)` before the
 *   write, so of two requests under one id the first claim decides which body is honoured, and a
 *   crash after the claim never leaves a used id unrecorded. A claim means "asked for", not
 *   "applied": for an id claimed before, within the window the aggregate's handled keys tell,
 *   past it the aggregate's durable trace (a ledger, an outcome written here). A claim whose
 *   request was refused is given back with `release`, so the id may be used again.
 *
 * The first digest stays; the outcome is the latest one written.
 */
export class OnceRecords<O = unknown> {
  readonly model: Model<OnceRecord<O>>;

  /** The collection on the service's own connection (registered once per connection). */
  constructor(connection: Connection, collection: string) {
    this.model = (connection.models[collection] ?? connection.model(collection, onceRecordSchema(collection))) as unknown as Model<OnceRecord<O>>;
  }

  /** In a consumer's batch, the reads of the batch's tasks go as one query (findByIds). */
  async find(key: string): Promise<OnceRecord<O> | null> {
    return (await findByIds(this.model as unknown as Model<OnceRecord<O>>, [key])).get(key) ?? null;
  }

  /** A record without a digest (only an outcome was written) accepts any body. */
  async check(key: string, digest: string): Promise<OnceCheck<O>> {
    const found = await this.find(key);
    if (!found) return { seen: false };
    return { seen: true, sameBody: found.digest === null || found.digest === digest, outcome: found.outcome ?? null };
  }

  /**
   * Takes the id for this body, unless it is taken: then answers whether this body is the one that
   * took it, and its outcome (a record written with an outcome only accepts any body, as in `check`).
   */
  async claim(key: string, digest: string): Promise<OnceClaim<O>> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.model.create({ _id: key, digest, outcome: null, at: new Date() });
        return { claimed: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const found = await this.check(key, digest);
      if (found.seen) return { claimed: false, sameBody: found.sameBody, outcome: found.outcome };
      // Given back between the insert and the read (that request was refused): claim it again.
      if (attempt >= 3) throw new Error(`business id ${key} kept being claimed and given back`);
    }
  }

  /**
   * Gives back a claim whose request was refused (nothing was applied under the id), so the id may
   * be used again. Only the claimant calls it; a record with an outcome is never given back.
   */
  async release(key: string, digest: string): Promise<void> {
    await this.model.deleteOne({ _id: key, digest, outcome: null }).exec();
  }

  /**
   * Records the id with its body's digest (kept if one is there) and, when given, its latest
   * outcome. In a consumer's batch, the batch's records go in one ordered bulk write.
   */
  remember(key: string, digest: string | null, outcome?: O): Promise<void> {
    return (
      WriteBatch.enqueue<Remembered<O>, void>(`once:${this.model.collection.collectionName}:remember`, { key, digest, outcome }, async (queued) => {
        try {
          const result = await this.model.bulkWrite(
            queued.map(({ item }) => ({ updateOne: { filter: { _id: item.key }, update: this.upsertOf(item), upsert: true } })) as never,
            { ordered: true },
          );
          const inserted = new Set(Object.keys(result.upsertedIds).map(Number));
          // Written first with an outcome only: the body's digest comes with its first use.
          const digests = queued.filter(({ item }, index) => item.digest !== null && !inserted.has(index));
          if (digests.length > 0) {
            await this.model.bulkWrite(
              digests.map(({ item }) => ({
                updateOne: { filter: { _id: item.key, digest: null }, update: { $set: { digest: item.digest } } },
              })) as never,
              { ordered: true },
            );
          }
          for (const q of queued) q.resolve();
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // Another writer inserted one of the ids meanwhile: each on its own, as outside a batch.
          for (const q of queued) await this.rememberNow(q.item).then(q.resolve, q.reject);
        }
      }) ?? this.rememberNow({ key, digest, outcome })
    );
  }

  private upsertOf({ digest, outcome }: Remembered<O>): Record<string, unknown> {
    return {
      $setOnInsert: { digest, at: new Date(), ...(outcome === undefined ? { outcome: null } : {}) },
      ...(outcome === undefined ? {} : { $set: { outcome } }),
    };
  }

  private async rememberNow(item: Remembered<O>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.model.updateOne({ _id: item.key }, this.upsertOf(item), { upsert: true }).exec();
        if (item.digest !== null && result.upsertedCount === 0)
          await this.model.updateOne({ _id: item.key, digest: null }, { $set: { digest: item.digest } }).exec();
        return;
      } catch (error) {
        // Two first writes of one id at once: one inserts, the other updates on its retry.
        if (attempt >= 3 || !isDuplicateKey(error)) throw error;
      }
    }
  }
}

interface Remembered<O> {
  key: string;
  digest: string | null;
  outcome?: O;
}

/** JSON with every object's keys in order: equal values give equal strings. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

/** The digest of a body: the same value gives the same digest whatever its keys' order (sha256, hex). */
export const digestOf = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex');
