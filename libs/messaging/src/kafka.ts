import { dlqTopicOf, topicOf, type Context } from '@licensing/events';
import { createLogger, loadConfig, LogThrottle, readKafkaConnection, type KafkaConnection, type KafkaSasl, type Logger } from '@licensing/platform';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
  type ITopicConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import {
  allAclRules,
  DEFAULT_TOPIC_SETTINGS,
  KAFKA_READERS,
  KAFKA_SERVICES,
  kafkaPrincipalOf,
  serviceAclRules,
  topicPolicyOf,
  type AclRule,
  type TopicPolicy,
  type TopicSettings,
} from './topology';

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

/** What start-up did to the topics it checked. */
export interface TopicsReport {
  created: string[];
  corrected: { topic: string; before: Record<string, string | undefined>; after: Record<string, string> }[];
}

/** A topic that start-up cannot bring to its declared policy: the service must not start on it. */
export class TopicPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicPolicyError';
  }
}

export interface EnsureTopicsOptions {
  /**
   * The context whose topics this caller owns (the service's own): their settings are corrected
   * when they drifted and their partition count checked. Other topics are only created when
   * missing (with their full declared policy): the owner judges them when it starts.
   */
  owner?: Context;
  attempts?: number;
}

/**
 * Brings topics to their declared policy (topology.ts): creates each topic and its `.dlq` twin
 * when missing, with its partitions and settings; for the owner's topics, corrects a setting that
 * drifted (another value than declared, e.g. the broker's 7-day default retention) and refuses
 * (TopicPolicyError) a topic with fewer partitions than declared, which it cannot correct without
 * moving keys to other partitions. A second call changes nothing. Instances starting together race
 * to create the same topics, and the loser's create can fail while the winner's leaders are being
 * elected: it looks again, a few times, before giving up.
 */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  settings: number | Partial<TopicSettings>,
  options: EnsureTopicsOptions = {},
): Promise<TopicsReport> {
  const declared: TopicSettings = { ...DEFAULT_TOPIC_SETTINGS, ...(typeof settings === 'number' ? { topicPartitions: settings } : settings) };
  const names = [...new Set(topics.flatMap((topic) => [topic, dlqTopicOf(topic)]))];
  const policyOf = (topic: string): TopicPolicy => {
    const policy = topicPolicyOf(topic, declared);
    if (!policy) throw new TopicPolicyError(`topic ${topic} is not declared in libs/messaging topology.ts`);
    return policy;
  };
  const report: TopicsReport = { created: [], corrected: [] };
  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const wanted: ITopicConfig[] = names
      .filter((topic) => !existing.has(topic))
      .map((topic) => {
        const policy = policyOf(topic);
        return {
          topic,
          numPartitions: policy.partitions,
          replicationFactor: -1,
          configEntries: Object.entries(policy.config).map(([name, value]) => ({ name, value })),
        };
      });
    if (wanted.length === 0) break;
    try {
      await admin.createTopics({ topics: wanted, waitForLeaders: true });
      report.created.push(...wanted.map((t) => t.topic));
      break;
    } catch (error) {
      if ((error as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') break;
      if (attempt >= (options.attempts ?? 5)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  const owned = names.filter((topic) => options.owner !== undefined && policyOf(topic).context === options.owner && !report.created.includes(topic));
  if (owned.length > 0)
    report.corrected = await correctTopics(
      admin,
      owned.map((topic) => ({ topic, policy: policyOf(topic) })),
    );
  return report;
}

/**
 * Checks existing topics against their policies: partitions first (fewer than declared is
 * refused), then settings, corrected in one AlterConfigs per topic. AlterConfigs replaces every
 * dynamic setting of a topic, so the topic's other overrides (a segment size, Strimzi's
 * min.insync.replicas) are sent back with the corrected ones.
 */
async function correctTopics(admin: Admin, topics: { topic: string; policy: TopicPolicy }[]): Promise<TopicsReport['corrected']> {
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
  for (const { topic, policy } of topics) {
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (partitions < policy.partitions) {
      throw new TopicPolicyError(
        `topic ${topic} has ${partitions} partitions, fewer than the ${policy.partitions} declared (KAFKA_TOPIC_PARTITIONS): ` +
          `start-up will not add partitions, because keys would move to other partitions and lose their order. ` +
          `Add them with kafka-topics.sh --alter --partitions ${policy.partitions} while producers are quiet, or declare ${partitions} (docs/runbook.md, Topics)`,
      );
    }
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map(({ topic }) => ({ type: ConfigResourceTypes.TOPIC, name: topic })),
  });
  const corrected: TopicsReport['corrected'] = [];
  for (const { topic, policy } of topics) {
    const entries = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const current = new Map(entries.map((e) => [e.configName, e.configValue]));
    const drifted = Object.entries(policy.config).filter(([name, value]) => current.get(name) !== value);
    if (drifted.length === 0) continue;
    // configSource 1: set on the topic itself (DYNAMIC_TOPIC_CONFIG); the rest are broker defaults.
    const overrides = Object.fromEntries(entries.filter((e) => e.configSource === 1).map((e) => [e.configName, e.configValue]));
    const after = { ...overrides, ...policy.config };
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(after).map(([name, value]) => ({ name, value })) }],
      });
    } catch (error) {
      throw new TopicPolicyError(
        `topic ${topic} has ${drifted.map(([name]) => `${name}=${current.get(name)}`).join(', ')} where ${drifted.map(([n, v]) => `${n}=${v}`).join(', ')} is declared, and correcting it failed: ${(error as Error).message}`,
      );
    }
    corrected.push({ topic, before: Object.fromEntries(drifted.map(([name]) => [name, current.get(name)])), after: Object.fromEntries(drifted) });
  }
  return corrected;
}

const ACL_RESOURCES: Record<AclRule['resource'], AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
};
const ACL_OPERATIONS: Record<AclRule['operation'], AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  Describe: AclOperationTypes.DESCRIBE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
};

/** A principal's rules (topology.ts) as the brokers' ACL entries. */
const aclEntries = (user: string, rules: AclRule[]): AclEntry[] =>
  rules.map((rule) => ({
    resourceType: ACL_RESOURCES[rule.resource],
    resourceName: rule.name,
    resourcePatternType: rule.pattern === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: kafkaPrincipalOf(user),
    host: '*',
    operation: ACL_OPERATIONS[rule.operation],
    permissionType: AclPermissionTypes.ALLOW,
  }));

/** A service's ACL entries under a topic prefix (topology.ts, serviceAclRules). */
export const serviceAcls = (service: Context, prefix: string): AclEntry[] => aclEntries(service, serviceAclRules(service, prefix));

/** Grants every service's and reader's ACLs under a topic prefix (`admin` signs in as the operator). Idempotent. */
export async function grantServiceAcls(admin: Admin, prefix: string): Promise<void> {
  await admin.createAcls({ acl: allAclRules(prefix).flatMap(({ user, rules }) => aclEntries(user, rules)) });
}

/**
 * Provisioning step of a deployment (`npm start`, the compose and Kubernetes init jobs): grants the
 * services' and readers' ACLs, and brings every topic to its declared policy (created, drift
 * corrected, too few partitions refused), under KAFKA_TOPIC_PREFIX, signed in with KAFKA_SASL_USERNAME/PASSWORD (the operator).
 */
export async function provisionKafkaAcls(env: Record<string, string | undefined> = process.env): Promise<void> {
  const { connection, topics } = loadConfig((reader) => {
    const read = readKafkaConnection(reader, 'operator');
    if (!read.kafkaSasl) reader.problems.push('KAFKA_SASL_PASSWORD is required: the ACLs are granted by the operator principal');
    return {
      connection: read,
      topics: {
        topicPartitions: reader.int('KAFKA_TOPIC_PARTITIONS', { default: DEFAULT_TOPIC_SETTINGS.topicPartitions, min: 1, max: 1000 }),
        eventsRetentionMs: reader.int('KAFKA_EVENTS_RETENTION_MS', { default: DEFAULT_TOPIC_SETTINGS.eventsRetentionMs, min: -1 }),
      },
    };
  }, env);
  const logger = createLogger('kafka-acls', env.LOG_LEVEL ?? 'info');
  const admin = createKafka({ ...connection, service: 'kafka-acls' }, logger).admin();
  await admin.connect();
  try {
    await grantServiceAcls(admin, connection.topicPrefix);
    logger.info(
      { prefix: connection.topicPrefix, services: KAFKA_SERVICES, readers: Object.keys(KAFKA_READERS) },
      'Kafka ACLs of the services and readers granted',
    );
    // The deployment applies the topic policy too (each owner's topics as that owner would at start-up).
    for (const context of KAFKA_SERVICES) {
      const report = await ensureTopics(admin, [connection.topicPrefix + topicOf(context)], topics, { owner: context });
      if (report.created.length > 0 || report.corrected.length > 0) logger.info({ ...report }, 'topics brought to their declared policy');
    }
  } finally {
    await admin.disconnect();
  }
}
