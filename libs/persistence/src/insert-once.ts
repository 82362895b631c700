import type { Model } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';
import { WriteBatch } from './write-batch';

/**
 * The one way a projection records rows keyed by what caused them (an event id, an event id and
 * a line): a row already there was recorded by an earlier delivery and is left as it is. In a
 * consumer's batch, the rows of the batch's tasks go to the collection in one unordered
 * `insertMany` (WriteBatch); outside one, at once.
 */
export function insertOnce<T extends { _id: string }>(model: Model<T>, rows: T[]): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  return (
    WriteBatch.enqueue<T[], void>(`insert:${model.collection.collectionName}`, rows, async (queued) => {
      await insertIgnoringDuplicates(
        model,
        queued.flatMap((q) => q.item),
      );
      for (const q of queued) q.resolve();
    }) ?? insertIgnoringDuplicates(model, rows)
  );
}

async function insertIgnoringDuplicates<T>(model: Model<T>, rows: T[]): Promise<void> {
  try {
    await model.insertMany(rows, { ordered: false });
  } catch (error) {
    // Already recorded (a redelivery): every failure must be a duplicate key, else it is real.
    if (!isDuplicateKey(error)) throw error;
  }
}
