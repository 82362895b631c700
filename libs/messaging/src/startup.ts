import type { Logger } from '@licensing/platform';

/** kafkajs marks these non-retriable, yet at start-up they mean a broker still loading. */
const LOADING = new Set(['KafkaJSGroupCoordinatorNotFound', 'KafkaJSTimeout', 'KafkaJSLockTimeout']);

/**
 * Whether a Kafka error says "not yet" rather than "no": the broker is not reachable yet, a
 * topic another instance just created has no leader yet ("This server does not host this
 * topic-partition"), a coordinator is loading. kafkajs wraps the error it retried (its
 * `retriable` flag is on the original, down the `cause` chain, as kafkajs itself reads it); an
 * aggregate is retriable when each of its errors is. Refusals (authentication, authorisation, a
 * bad setting) are not.
 */
export function isRetriableKafkaError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 8) return false;
  const e = error as { name?: string; retriable?: boolean; cause?: unknown; errors?: unknown[] };
  if (e.name === 'KafkaJSSASLAuthenticationError') return false;
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every((inner) => isRetriableKafkaError(inner, depth + 1));
  if (e.retriable === true || (e.name !== undefined && LOADING.has(e.name))) return true;
  return isRetriableKafkaError(e.cause, depth + 1);
}

/**
 * A start-up step against Kafka, tried again with backoff while it fails for a retriable reason
 * (each failure logged), for at most `timeoutMs`; any other failure stops the start at once.
 */
export async function retryWhileRetriable<T>(step: string, run: () => Promise<T>, log: Logger, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const delayMs = Math.min(500 * 2 ** (attempt - 1), 5000);
      if (!isRetriableKafkaError(error) || Date.now() + delayMs > deadline) throw error;
      log.warn({ err: error, step, attempt, retryInMs: delayMs }, `start-up: ${step} met a retriable Kafka error; trying again`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
