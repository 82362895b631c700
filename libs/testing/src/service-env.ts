import { TEST_JWT_SECRET } from './tokens';
import type { uniqueNames } from './names';

/** The environment a service under test reads, on the run's shared servers and its own names. */
export function serviceEnv(names: ReturnType<typeof uniqueNames>, overrides: Record<string, string> = {}): Record<string, string> {
  const { KAFKA_BROKERS, MONGO_URL, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !MONGO_URL || !REDIS_URL) throw new Error('the servers are not set up: run tests through jest (global setup)');
  return {
    KAFKA_BROKERS,
    MONGO_URL,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: names.prefix,
    KAFKA_TOPIC_PARTITIONS: '3',
    MONGO_DATABASE: names.database,
    QUEUE_PREFIX: names.queuePrefix,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    // Quiet by default; TEST_LOG_LEVEL=debug shows the services' JSON logs.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OUTBOX_SWEEP_MS: '500',
    // The file's own platform clock (its topic prefix names it), moved by tests instead of waiting.
    CLOCK_MODE: 'shared',
    ...overrides,
  };
}
