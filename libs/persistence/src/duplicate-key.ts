/** The server's answer to a write that breaks a unique index. The one place that knows its code. */
export const isDuplicateKey = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 11000;
