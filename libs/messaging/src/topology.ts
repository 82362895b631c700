import { dlqTopicOf, topicOf, type Context } from '@licensing/events';

/**
 * The event stream's topology in one place: every topic with its policy, every principal with
 * what it may do. The services apply it at start-up (ensureTopics), `npm start` and the compose
 * and Kubernetes jobs grant its ACLs (grantServiceAcls), and the Strimzi component's KafkaTopic
 * and KafkaUser resources are generated from it (strimzi.ts). Change it here, nowhere else.
 */

export const KAFKA_SERVICES: readonly Context[] = ['catalog', 'pool', 'contracts', 'points'];

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

/**
 * Principals that only read the stream (data pipelines, not services): the topics each may read,
 * in consumer groups named after it. They write nothing.
 */
export const KAFKA_READERS: Readonly<Record<string, readonly Context[]>> = {
  'license-usage': ['pool', 'contracts', 'points'],
};

/** Each principal (a service or a reader) is a Kafka user named after it. */
export const kafkaPrincipalOf = (user: string): string => `User:${user}`;

const DAY_MS = 24 * 3600 * 1000;
/** Dead letters are kept 30 days: long enough to notice, fix and replay them (docs/runbook.md). */
export const DLQ_RETENTION_MS = 30 * DAY_MS;

/** What a deployment chooses (KAFKA_TOPIC_PARTITIONS, KAFKA_EVENTS_RETENTION_MS). */
export interface TopicSettings {
  topicPartitions: number;
  /** Retention of the `<context>.events` topics other than the catalog's; -1 keeps them forever. */
  eventsRetentionMs: number;
}

export const DEFAULT_TOPIC_SETTINGS: TopicSettings = { topicPartitions: 6, eventsRetentionMs: -1 };

export interface TopicPolicy {
  /** The topic's name without the deployment's prefix. */
  topic: string;
  /** The context whose events it holds (its `.dlq` twin belongs to the same context). */
  context: Context;
  kind: 'events' | 'dlq';
  partitions: number;
  /** Topic-level settings it must have; anything else is left to the brokers' defaults. */
  config: Readonly<Record<string, string>>;
  /** What the message key is. */
  key: 'sku' | 'partnerId';
  /** Why the policy is what it is, for the docs and the Strimzi resources. */
  why: string;
}

/**
 * Every topic and its policy:
 * - `catalog.events` is compacted: each event carries a sku's whole state and is keyed by sku, so
 *   the latest event of every sku stays forever and a new copy of the catalog can always be rebuilt
 *   from the start of the topic, however old the product.
 * - the other `<context>.events` keep everything (retention.ms -1 by default): they are the history
 *   that projections are replayed from and that pipelines read from the beginning.
 * - `.dlq` twins keep their dead letters 30 days.
 * Partition counts: KAFKA_TOPIC_PARTITIONS for every topic (a `.dlq` twin as many as its topic).
 */
export function topicPolicies(settings: TopicSettings = DEFAULT_TOPIC_SETTINGS): TopicPolicy[] {
  return KAFKA_SERVICES.flatMap((context): TopicPolicy[] => {
    const topic = topicOf(context);
    const key = context === 'catalog' ? 'sku' : 'partnerId';
    const events: TopicPolicy =
      context === 'catalog'
        ? {
            topic,
            context,
            kind: 'events',
            partitions: settings.topicPartitions,
            config: { 'cleanup.policy': 'compact' },
            key,
            why: 'compacted: every event carries a whole sku and is keyed by it, so the latest of each sku stays forever',
          }
        : {
            topic,
            context,
            kind: 'events',
            partitions: settings.topicPartitions,
            config: { 'cleanup.policy': 'delete', 'retention.ms': String(settings.eventsRetentionMs) },
            key,
            why:
              settings.eventsRetentionMs === -1
                ? 'kept forever: the history projections are replayed from and pipelines read from the beginning'
                : `kept ${settings.eventsRetentionMs} ms (KAFKA_EVENTS_RETENTION_MS)`,
          };
    return [
      events,
      {
        topic: dlqTopicOf(topic),
        context,
        kind: 'dlq',
        partitions: settings.topicPartitions,
        config: { 'cleanup.policy': 'delete', 'retention.ms': String(DLQ_RETENTION_MS) },
        key,
        why: 'dead letters of its consumers, kept 30 days',
      },
    ];
  });
}

/** The policy of a topic, by its name with any prefix (`t-x.pool.events.dlq` → the pool's `.dlq` twin). */
export function topicPolicyOf(topic: string, settings: TopicSettings = DEFAULT_TOPIC_SETTINGS): TopicPolicy | undefined {
  return topicPolicies(settings).find((policy) => topic === policy.topic || topic.endsWith(`.${policy.topic}`) || topic.endsWith(policy.topic));
}

/** One ACL in a neutral form, rendered for kafkajs (kafka.ts) and for Strimzi (strimzi.ts). */
export interface AclRule {
  resource: 'topic' | 'group' | 'cluster';
  name: string;
  pattern: 'literal' | 'prefix';
  operation: 'Read' | 'Write' | 'Create' | 'Describe' | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite';
}

const topicRule = (name: string, operation: AclRule['operation']): AclRule => ({ resource: 'topic', name, pattern: 'literal', operation });
const groupRules = (prefix: string, user: string): AclRule[] => [
  { resource: 'group', name: prefix + user, pattern: 'literal', operation: 'Read' },
  { resource: 'group', name: `${prefix}${user}-`, pattern: 'prefix', operation: 'Read' },
];

/**
 * What a service's principal may do under a topic prefix, and nothing more: write its own topic;
 * read its own topic and those of the contexts it consumes, and write their `.dlq` twins (the
 * consumer dead-letters there); create and describe each of those topics (instances create the
 * topics they use at start, with their declared policy); read and correct the settings of its own
 * topic and `.dlq` twin (start-up corrects a drifted policy); use the consumer groups named after
 * it (`<prefix><service>` and `<prefix><service>-…`); write idempotently. The operator principal
 * is a super user of the brokers and needs no ACL.
 */
export function serviceAclRules(service: Context, prefix: string): AclRule[] {
  const own = prefix + topicOf(service);
  const read = [own, ...KAFKA_READS[service].map((context) => prefix + topicOf(context))];
  const topics = [...read, ...read.map(dlqTopicOf)];
  return [
    topicRule(own, 'Write'),
    ...read.map((topic) => topicRule(topic, 'Read')),
    ...read.map((topic) => topicRule(dlqTopicOf(topic), 'Write')),
    ...topics.flatMap((topic) => [topicRule(topic, 'Create'), topicRule(topic, 'Describe')]),
    ...[own, dlqTopicOf(own)].flatMap((topic) => [topicRule(topic, 'DescribeConfigs'), topicRule(topic, 'AlterConfigs')]),
    ...groupRules(prefix, service),
    { resource: 'cluster', name: 'kafka-cluster', pattern: 'literal', operation: 'IdempotentWrite' },
  ];
}

/** What a reader's principal may do: read (and describe) its topics, in consumer groups named after it. */
export function readerAclRules(reader: string, prefix: string): AclRule[] {
  const topics = (KAFKA_READERS[reader] ?? []).map((context) => prefix + topicOf(context));
  return [...topics.flatMap((topic) => [topicRule(topic, 'Read'), topicRule(topic, 'Describe')]), ...groupRules(prefix, reader)];
}

/** Every principal's rules under a prefix: the services', then the readers'. */
export const allAclRules = (prefix: string): { user: string; rules: AclRule[] }[] => [
  ...KAFKA_SERVICES.map((service) => ({ user: service as string, rules: serviceAclRules(service, prefix) })),
  ...Object.keys(KAFKA_READERS).map((reader) => ({ user: reader, rules: readerAclRules(reader, prefix) })),
];
