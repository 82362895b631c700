import { badRequest } from '@licensing/platform';
import type { Model } from 'mongoose';

/** Sort fields, most significant first; the last ones together must be unique per document. */
export type KeysetSort = readonly (readonly [field: string, direction: 1 | -1])[];

export interface Page<T> {
  items: T[];
  /** Names the last item returned; null on the last page. */
  nextCursor: string | null;
}

type Key = (string | number)[];

const encode = (key: Key): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function decode(cursor: string, sort: KeysetSort, invalidCode: string): Key {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid =
    Array.isArray(key) &&
    key.length === sort.length &&
    key.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) &&
    encode(key as Key) === cursor;
  if (!valid) throw badRequest(invalidCode, 'the cursor is not a nextCursor this API returned');
  return key as Key;
}

/** Documents strictly after `key` in the sort order: (a > a0) or (a = a0 and b > b0) or … */
function after(sort: KeysetSort, key: Key): Record<string, unknown> {
  return {
    $or: sort.map(([field, direction], i) => ({
      ...Object.fromEntries(sort.slice(0, i).map(([f], j) => [f, key[j]])),
      [field]: { [direction === 1 ? '$gt' : '$lt']: key[i] },
    })),
  };
}

/**
 * The one way a list is paged: by keyset, on a sort that ends on a unique key, so the cursor
 * names exactly one document and every document comes back once whatever the page size (a
 * cursor on a key that several documents share skips the rest of them). The cursor is opaque:
 * the sort key of the page's last document; a cursor this function did not make is a 400
 * with `invalidCode`. Sort fields hold strings or numbers.
 */
export async function pageByKeyset<T>(
  model: Model<T>,
  query: { filter: Record<string, unknown>; sort: KeysetSort; limit: number; cursor?: string; invalidCode: string },
): Promise<Page<T>> {
  const { filter, sort, limit, cursor, invalidCode } = query;
  const where = cursor === undefined ? filter : { $and: [filter, after(sort, decode(cursor, sort, invalidCode))] };
  const found = (await model
    .find(where as never)
    .sort(Object.fromEntries(sort) as Record<string, 1 | -1>)
    .limit(limit + 1)
    .lean()
    .exec()) as T[];
  const items = found.slice(0, limit);
  const last = items[items.length - 1] as Record<string, unknown> | undefined;
  return { items, nextCursor: found.length > limit && last ? encode(sort.map(([field]) => last[field] as string | number)) : null };
}
