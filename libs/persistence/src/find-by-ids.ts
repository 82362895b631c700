import type { Model } from 'mongoose';
import { WriteBatch } from './write-batch';

/**
 * Documents by `_id`, lean, as a map (the ids not found are absent). In a consumer's batch, the
 * reads of one collection made by the batch's tasks go as one `$in` query (WriteBatch); outside
 * one, at once. By `_id` alone, so the local Mongo-compatible server reads through its index.
 */
export function findByIds<T extends { _id: string }>(model: Model<T>, ids: readonly string[]): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  return (
    WriteBatch.enqueue<string[], Map<string, T>>(`find:${model.collection.collectionName}`, unique, async (queued) => {
      const found = await read(
        model,
        queued.flatMap((q) => q.item),
      );
      for (const q of queued) q.resolve(new Map(q.item.filter((id) => found.has(id)).map((id) => [id, found.get(id) as T])));
    }) ?? read(model, unique)
  );
}

async function read<T extends { _id: string }>(model: Model<T>, ids: string[]): Promise<Map<string, T>> {
  const found = (await model
    .find({ _id: { $in: [...new Set(ids)] } } as never)
    .lean()
    .exec()) as unknown as T[];
  return new Map(found.map((doc) => [doc._id, doc]));
}
