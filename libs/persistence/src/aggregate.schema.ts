import type { CloudEvent } from '@licensing/events';
import { Schema, type IndexDefinition, type IndexOptions } from 'mongoose';

/**
 * One aggregate per document (DESIGN.md §4): the state, the events its last writes caused and
 * not yet published (the outbox), and the ids of handled messages. The document keeps its own
 * `version`; mongoose's `__v` is off.
 */
export interface AggregateDocument<S> {
  _id: string;
  version: number;
  state: S;
  outbox: CloudEvent[];
  /** Ids of handled events and idempotency keys, newest last, bounded. */
  handled: string[];
}

/** The index of the version-checked save's filter. */
export const VERSION_INDEX = '_id_version';

/**
 * The mongoose schema of an aggregate collection. The state is Mixed (domain code owns its
 * shape); the outbox holds Mixed items, since sub-documents would get an `_id` each and the
 * relay's `$pullAll` would no longer match what it published.
 */
export function aggregateSchema(collection: string, indexes: [IndexDefinition, IndexOptions?][] = []): Schema {
  const schema = new Schema(
    {
      _id: { type: String, required: true },
      version: { type: Number, required: true },
      state: { type: Schema.Types.Mixed, required: true },
      outbox: { type: [Schema.Types.Mixed], default: [] },
      handled: { type: [String], default: [] },
    },
    { collection, versionKey: false, minimize: false, strict: true, autoIndex: true },
  );
  // The version-checked save's filter, {_id, version}, as an index of its own: MongoDB would use
  // the _id index anyway, but the local Mongo-compatible server uses an index only for a query on
  // exactly its fields, and otherwise scans the whole collection on every save.
  schema.index({ _id: 1, version: 1 }, { unique: true, name: VERSION_INDEX });
  for (const [fields, options] of indexes) schema.index(fields, options);
  return schema;
}
