import type { InfraUrls } from './infrastructure';
import type { uniqueNames } from './names';
import { TEST_JWT_SECRET } from './tokens';

/**
 * The environment a service under test reads, on the run's shared servers (or on `servers`, a
 * private set of its own) and its own names. On Kafka it signs in as itself: its principal is
 * named after the service (the default of KAFKA_SASL_USERNAME), with the password the service
 * principals share on test brokers.
 */
export function serviceEnv(
  names: ReturnType<typeof uniqueNames>,
  overrides: Record<string, string> = {},
  servers: Partial<InfraUrls> = process.env,
): Record<string, string> {
  const { KAFKA_BROKERS, MONGO_URL, REDIS_URL, KAFKA_SERVICES_PASSWORD } = servers;
  if (!KAFKA_BROKERS || !MONGO_URL || !REDIS_URL) throw new Error('the servers are not set up: run tests through jest (global setup)');
  return {
    KAFKA_BROKERS,
    ...(KAFKA_SERVICES_PASSWORD ? { KAFKA_SASL_PASSWORD: KAFKA_SERVICES_PASSWORD } : {}),
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
