/**
 * A bad moment, not a bad message: the dependency a handler needs (Mongo, Redis, Kafka) is not
 * answering, or an aggregate kept changing under it. The message is fine; it is tried again
 * once the moment has passed, never dead-lettered. Handlers may throw it themselves.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

const TRANSIENT_NAMES = new Set([
  'TransientError',
  // a version conflict that outlasted its retries (libs/persistence)
  'ConcurrencyError',
  // a write held back behind an earlier message of its key that failed in the same batch (libs/persistence)
  'BatchOrderError',
  // mongodb driver and mongoose
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
  // ioredis
  'MaxRetriesPerRequestError',
  // kafkajs
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNonRetriableError',
  'KafkaJSLockTimeout',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** True for an error that says a dependency is away, looking through `cause` chains. */
export function isTransient(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  const e = error as {
    name?: string;
    code?: unknown;
    message?: string;
    cause?: unknown;
    retriable?: boolean;
    errorLabels?: unknown;
    writeErrors?: unknown;
  };
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  // A bulk write that failed as a whole, with no write of it refused and no server error code: the
  // driver wraps the network or server-selection error in it, and that error's name is lost.
  if (
    e.name === 'MongoBulkWriteError' &&
    (e.writeErrors === undefined || (Array.isArray(e.writeErrors) && e.writeErrors.length === 0)) &&
    typeof e.code !== 'number'
  )
    return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (e.name?.startsWith('KafkaJS') && e.retriable === true) return true;
  // ioredis rejects commands on a closed connection with a plain Error.
  if (e.message === 'Connection is closed.' || e.message?.startsWith("Stream isn't writeable")) return true;
  // mongoose refuses a command outright while it has no connection (bufferCommands false).
  if (e.name === 'MongooseError' && /initial connection|not connected|buffering/i.test(e.message ?? '')) return true;
  return isTransient(e.cause, depth + 1);
}
