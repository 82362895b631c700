/**
 * Configuration comes only from environment variables, read once at start. Every problem is
 * collected and reported together, each naming its variable, and the service does not start.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly source: Source = process.env) {}

  private raw(name: string): string | undefined {
    const value = this.source[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, options: { default?: string; pattern?: RegExp } = {}): string {
    const value = this.raw(name) ?? options.default;
    if (value === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    if (options.pattern && !options.pattern.test(value)) this.problems.push(`${name} must match ${options.pattern}`);
    return value;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, options: { default?: number; min?: number; max?: number } = {}): number {
    const text = this.raw(name);
    if (text === undefined) {
      if (options.default === undefined) this.problems.push(`${name} is required`);
      return options.default ?? 0;
    }
    const value = Number(text);
    if (!Number.isInteger(value)) {
      this.problems.push(`${name} must be an integer, got "${text}"`);
      return 0;
    }
    if (options.min !== undefined && value < options.min) this.problems.push(`${name} must be >= ${options.min}, got ${value}`);
    if (options.max !== undefined && value > options.max) this.problems.push(`${name} must be <= ${options.max}, got ${value}`);
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name) ?? fallback;
    if (!values.includes(value as T)) this.problems.push(`${name} must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  }

  list(name: string, options: { default?: string } = {}): string[] {
    return this.string(name, options)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
}

export function loadConfig<T>(build: (env: EnvReader) => T, source: Source = process.env): T {
  const reader = new EnvReader(source);
  const config = build(reader);
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return config;
}

export type Role = 'api' | 'worker' | 'all';

export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;

/** How a client proves who it is to the brokers (SASL). */
export interface KafkaSasl {
  mechanism: (typeof KAFKA_SASL_MECHANISMS)[number];
  username: string;
  password: string;
}

/** Where the brokers are and how a client gets in. */
export interface KafkaConnection {
  kafkaBrokers: string[];
  /** Absent only for a broker that authenticates nobody (refused when NODE_ENV=production). */
  kafkaSasl?: KafkaSasl;
  /** TLS to the brokers. */
  kafkaSsl: boolean;
  /** Prefixes every topic name: lets tests and tenants share one cluster without collisions. */
  topicPrefix: string;
}

/**
 * The Kafka connection of one principal. Each service has its own principal, named after the
 * service unless KAFKA_SASL_USERNAME says otherwise; the brokers' ACLs let it write only its own
 * topic (docs/runbook.md, Security).
 */
export function readKafkaConnection(env: EnvReader, defaultUsername: string): KafkaConnection {
  const username = env.optional('KAFKA_SASL_USERNAME');
  const password = env.optional('KAFKA_SASL_PASSWORD');
  const mechanism = (env.optional('KAFKA_SASL_MECHANISM') ?? KAFKA_SASL_MECHANISMS[0]).toLowerCase() as KafkaSasl['mechanism'];
  if (!KAFKA_SASL_MECHANISMS.includes(mechanism))
    env.problems.push(`KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}, got "${mechanism}"`);
  if (username && !password) env.problems.push('KAFKA_SASL_PASSWORD is required when KAFKA_SASL_USERNAME is set');
  if (!password && env.optional('NODE_ENV') === 'production') env.problems.push('KAFKA_SASL_PASSWORD is required when NODE_ENV=production');
  return {
    kafkaBrokers: env.list('KAFKA_BROKERS'),
    ...(password ? { kafkaSasl: { mechanism, username: username ?? defaultUsername, password } } : {}),
    kafkaSsl: env.oneOf('KAFKA_SSL', ['true', 'false'] as const, 'false') === 'true',
    topicPrefix: env.string('KAFKA_TOPIC_PREFIX', { default: '', pattern: /^[a-zA-Z0-9._-]*$/ }),
  };
}

export interface PlatformConfig extends KafkaConnection {
  service: string;
  role: Role;
  host: string;
  port: number;
  logLevel: string;
  topicPartitions: number;
  /** Retention of the `<context>.events` topics other than the compacted catalog's (-1: forever). */
  eventsRetentionMs: number;
  /**
   * Where readers fetch the JSON Schemas of the events this service publishes (`GET /schemas/<type>`
   * of its API): every event it publishes names `<eventSchemasUrl>/<type>` as its `dataschema`.
   */
  eventSchemasUrl: string;
  mongoUrl: string;
  mongoDatabase: string;
  redisUrl: string;
  /** Prefixes BullMQ keys in Redis. */
  queuePrefix: string;
  outboxSweepMs: number;
  /** How often a process checks that the BullMQ job schedulers it declared still exist in Redis. */
  schedulersCheckMs: number;
  consumerMaxAttempts: number;
  consumerConcurrency: number;
  /** Messages of a partition's batch handled together, their writes grouped per aggregate (1: one by one). */
  consumerBatchSize: number;
  /** How long the group waits for a silent (killed) member before it gives its partitions to others. */
  consumerSessionTimeoutMs: number;
  /** How often a consumer tells its group it is alive (at least; between batches). */
  consumerHeartbeatIntervalMs: number;
  /** How long a rebalance waits for the live members to rejoin. */
  consumerRebalanceTimeoutMs: number;
  /**
   * `system`: the system clock (production). `shared`: the system clock plus an offset that the
   * services of one deployment share through Redis and that moves forward on request (DESIGN §8).
   */
  clockMode: 'system' | 'shared';
  /** The Redis key of the shared offset; one per deployment, so tests travel in time apart. */
  clockKey: string;
  auth: { secret?: string; jwksUrl?: string; issuer: string; audience: string; maxLifetimeSeconds: number };
}

function eventsRetention(env: EnvReader): number {
  const value = env.int('KAFKA_EVENTS_RETENTION_MS', { default: -1, min: -1 });
  if (value !== -1 && value < 24 * 3600 * 1000)
    env.problems.push(`KAFKA_EVENTS_RETENTION_MS must be -1 (forever) or at least 86400000 (a day), got ${value}`);
  return value;
}

export function readPlatformConfig(env: EnvReader, service: string, defaultPort: number): PlatformConfig {
  const secret = env.optional('AUTH_JWT_SECRET');
  const jwksUrl = env.optional('AUTH_JWKS_URL');
  if (!secret && !jwksUrl) env.problems.push('AUTH_JWT_SECRET or AUTH_JWKS_URL is required');
  if (secret && secret.length < 32) env.problems.push('AUTH_JWT_SECRET must be at least 32 characters');
  const kafka = readKafkaConnection(env, service);
  const role = env.oneOf('SERVICE_ROLE', ['api', 'worker', 'all'] as const, 'all');
  const host = env.string('HOST', { default: '127.0.0.1' });
  const port = env.int('PORT', { default: defaultPort, min: 0, max: 65535 });
  const clockMode = env.oneOf('CLOCK_MODE', ['system', 'shared'] as const, 'system');
  if (clockMode === 'shared' && env.optional('NODE_ENV') === 'production') env.problems.push('CLOCK_MODE=shared is refused when NODE_ENV=production');
  const heartbeat = env.optional('CONSUMER_HEARTBEAT_INTERVAL_MS');
  const session = env.optional('CONSUMER_SESSION_TIMEOUT_MS');
  if (heartbeat && Number(heartbeat) * 3 > Number(session ?? 10_000))
    env.problems.push('CONSUMER_HEARTBEAT_INTERVAL_MS must be at most a third of CONSUMER_SESSION_TIMEOUT_MS');
  return {
    service,
    role,
    host,
    port,
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    ...kafka,
    topicPartitions: env.int('KAFKA_TOPIC_PARTITIONS', { default: 6, min: 1, max: 1000 }),
    // -1 keeps the history forever; otherwise at least a day (a shorter one would lose saga answers).
    eventsRetentionMs: eventsRetention(env),
    eventSchemasUrl: env.string('EVENT_SCHEMAS_URL', {
      default: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/schemas`,
      pattern: /^https?:\/\/[^\s]+[^/\s]$/,
    }),
    mongoUrl: env.string('MONGO_URL', { pattern: /^mongodb(\+srv)?:\/\// }),
    mongoDatabase: env.string('MONGO_DATABASE', { default: service, pattern: /^[a-zA-Z0-9_-]{1,60}$/ }),
    redisUrl: env.string('REDIS_URL', { pattern: /^rediss?:\/\// }),
    queuePrefix: env.string('QUEUE_PREFIX', { default: 'licensing', pattern: /^[a-zA-Z0-9:_-]+$/ }),
    outboxSweepMs: env.int('OUTBOX_SWEEP_MS', { default: 2000, min: 50 }),
    schedulersCheckMs: env.int('SCHEDULERS_CHECK_MS', { default: 60_000, min: 100, max: 3600 * 1000 }),
    consumerMaxAttempts: env.int('CONSUMER_MAX_ATTEMPTS', { default: 5, min: 1, max: 100 }),
    consumerConcurrency: env.int('CONSUMER_PARTITIONS_CONCURRENCY', { default: 3, min: 1, max: 100 }),
    consumerBatchSize: env.int('CONSUMER_BATCH_SIZE', { default: 1, min: 1, max: 5000 }),
    // 6 s is the broker's minimum (group.min.session.timeout.ms); 10 s keeps a slow batch safe.
    consumerSessionTimeoutMs: env.int('CONSUMER_SESSION_TIMEOUT_MS', { default: 10_000, min: 6_000, max: 300_000 }),
    consumerHeartbeatIntervalMs: env.int('CONSUMER_HEARTBEAT_INTERVAL_MS', { default: 1000, min: 100, max: 100_000 }),
    consumerRebalanceTimeoutMs: env.int('CONSUMER_REBALANCE_TIMEOUT_MS', { default: 30_000, min: 1000, max: 600_000 }),
    clockMode,
    clockKey: env.string('CLOCK_KEY', { default: `licensing:clock:${kafka.topicPrefix || 'default'}`, pattern: /^[a-zA-Z0-9:._-]{1,200}$/ }),
    auth: {
      secret,
      jwksUrl,
      issuer: env.string('AUTH_ISSUER', { default: 'licensing' }),
      audience: env.string('AUTH_AUDIENCE', { default: 'licensing-api' }),
      maxLifetimeSeconds: env.int('AUTH_MAX_TOKEN_LIFETIME_S', { default: 24 * 3600, min: 60, max: 7 * 24 * 3600 }),
    },
  };
}
