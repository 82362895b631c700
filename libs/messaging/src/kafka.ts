import { dlqTopicOf, topicOf, type Context } from '@licensing/events';
import { createLogger, loadConfig, LogThrottle, readKafkaConnection, type KafkaConnection, type KafkaSasl, type Logger } from '@licensing/platform';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
  type ITopicConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaSettings extends KafkaConnection {
  service: string;
  /** Prefixes every topic name and group id (tests, shared clusters). */
  topicPrefix: string;
  topicPartitions: number;
}

/** The kafkajs form of SASL credentials. */
export const kafkajsSasl = ({ mechanism, username, password }: KafkaSasl): SASLOptions =>
  mechanism === 'plain' ? { mechanism, username, password } : { mechanism, username, password };

/** A kafkajs client that signs in as the settings' principal (SASL, and TLS when asked). */
export function createKafka(
  settings: Pick<KafkaSettings, 'kafkaBrokers' | 'service'> & Partial<Pick<KafkaSettings, 'kafkaSasl' | 'kafkaSsl'>>,
  logger: Logger,
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  const sasl = settings.kafkaSasl;
  return new Kafka({
    clientId: settings.service,
    brokers: settings.kafkaBrokers,
    ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
    ssl: settings.kafkaSsl ?? false,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => {
      // A broker away makes every connection log each retry: one line per condition and window.
      const throttle = new LogThrottle(log);
      return ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs logs retriable conditions (broker restarts, coordinator loading) as errors and
        // retries them itself; failures that matter reach our code as thrown errors.
        if (level <= logLevel.WARN) throttle.log('warn', `${message}/${String(rest.error ?? '')}`, rest, message);
        else log.debug(rest, message);
      };
    },
  });
}

/** The topic a context publishes to, with the deployment's prefix. */
export const topicName = (settings: Pick<KafkaSettings, 'topicPrefix'>, context: Context): string => settings.topicPrefix + topicOf(context);

/**
 * Creates each topic and its `.dlq` twin when missing; a second call changes nothing. Instances
 * starting together race to create the same topics, and the loser's create can fail while the
 * winner's leaders are being elected: it looks again, a few times, before giving up.
 */
export async function ensureTopics(admin: Admin, topics: string[], partitions: number, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const wanted: ITopicConfig[] = [...new Set(topics.flatMap((topic) => [topic, dlqTopicOf(topic)]))]
      .filter((topic) => !existing.has(topic))
      .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 }));
    if (wanted.length === 0) return;
    try {
      await admin.createTopics({ topics: wanted, waitForLeaders: true });
      return;
    } catch (error) {
      if ((error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return;
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * The contexts whose topics each service reads besides its own (DESIGN.md §3). The brokers'
 * ACLs are built from it: a consumer of a topic missing here is refused by the broker.
 */
export const KAFKA_READS: Readonly<Record<Context, readonly Context[]>> = {
  catalog: [],
  pool: ['catalog', 'contracts', 'points'],
  contracts: ['catalog', 'pool', 'points'],
  points: ['catalog', 'pool'],
};

/** Each service's Kafka principal is named after it. */
export const kafkaPrincipalOf = (service: Context): string => `User:${service}`;

/**
 * What a service's principal may do under a topic prefix, and nothing more: write its own topic;
 * read its own topic and those of the contexts it consumes, and write their `.dlq` twins (the
 * consumer dead-letters there); create and describe each of those topics (instances create the
 * topics they use at start, with the deployment's partition count); use the consumer groups named
 * after it (`<prefix><service>` and `<prefix><service>-…`); write idempotently. The operator
 * principal is a super user of the brokers and needs no ACL.
 */
export function serviceAcls(service: Context, prefix: string): AclEntry[] {
  const own = prefix + topicOf(service);
  const read = [own, ...KAFKA_READS[service].map((context) => prefix + topicOf(context))];
  const principal = kafkaPrincipalOf(service);
  const allow = (
    resourceType: AclResourceTypes,
    resourceName: string,
    operation: AclOperationTypes,
    resourcePatternType = ResourcePatternTypes.LITERAL,
  ): AclEntry => ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW });
  const topics = [...read, ...read.map(dlqTopicOf)];
  return [
    allow(AclResourceTypes.TOPIC, own, AclOperationTypes.WRITE),
    ...read.map((topic) => allow(AclResourceTypes.TOPIC, topic, AclOperationTypes.READ)),
    ...read.map((topic) => allow(AclResourceTypes.TOPIC, dlqTopicOf(topic), AclOperationTypes.WRITE)),
    ...topics.flatMap((topic) =>
      [AclOperationTypes.CREATE, AclOperationTypes.DESCRIBE].map((operation) => allow(AclResourceTypes.TOPIC, topic, operation)),
    ),
    allow(AclResourceTypes.GROUP, prefix + service, AclOperationTypes.READ),
    allow(AclResourceTypes.GROUP, `${prefix}${service}-`, AclOperationTypes.READ, ResourcePatternTypes.PREFIXED),
    allow(AclResourceTypes.CLUSTER, 'kafka-cluster', AclOperationTypes.IDEMPOTENT_WRITE),
  ];
}

export const KAFKA_SERVICES: readonly Context[] = ['catalog', 'pool', 'contracts', 'points'];

/** Grants every service's ACLs under a topic prefix (`admin` signs in as the operator). Idempotent. */
export async function grantServiceAcls(admin: Admin, prefix: string): Promise<void> {
  await admin.createAcls({ acl: KAFKA_SERVICES.flatMap((service) => serviceAcls(service, prefix)) });
}

/**
 * Provisioning step of a deployment (`npm start`, the compose and Kubernetes init jobs): grants the
 * services' ACLs under KAFKA_TOPIC_PREFIX, signed in with KAFKA_SASL_USERNAME/PASSWORD (the operator).
 */
export async function provisionKafkaAcls(env: Record<string, string | undefined> = process.env): Promise<void> {
  const connection = loadConfig((reader) => {
    const read = readKafkaConnection(reader, 'operator');
    if (!read.kafkaSasl) reader.problems.push('KAFKA_SASL_PASSWORD is required: the ACLs are granted by the operator principal');
    return read;
  }, env);
  const logger = createLogger('kafka-acls', env.LOG_LEVEL ?? 'info');
  const admin = createKafka({ ...connection, service: 'kafka-acls' }, logger).admin();
  await admin.connect();
  try {
    await grantServiceAcls(admin, connection.topicPrefix);
    logger.info({ prefix: connection.topicPrefix, services: KAFKA_SERVICES }, 'Kafka ACLs of the services granted');
  } finally {
    await admin.disconnect();
  }
}
