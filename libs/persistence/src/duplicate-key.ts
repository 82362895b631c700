const DUPLICATE_KEY = 11000;

/**
 * The server's answer to a write that breaks a unique index: the one place that knows its code.
 * For a bulk write (`insertMany` with `ordered: false`), true only when every failed write is a
 * duplicate, so a redelivered batch is recognised and any other failure still surfaces.
 */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: unknown; err?: { code?: unknown }; writeErrors?: unknown } | null | undefined;
  if (e === null || typeof e !== 'object') return false;
  if (e.writeErrors !== undefined) {
    const writeErrors = [e.writeErrors].flat();
    return writeErrors.length > 0 && writeErrors.every(isDuplicateKey);
  }
  return e.code === DUPLICATE_KEY || e.err?.code === DUPLICATE_KEY;
}
