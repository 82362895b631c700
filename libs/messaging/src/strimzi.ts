import { DEFAULT_TOPIC_SETTINGS, allAclRules, topicPolicies, type AclRule, type TopicSettings } from './topology';

/**
 * The topology (topology.ts) as Strimzi resources, for the `strimzi` kustomize component: one
 * KafkaTopic per declared topic, one KafkaUser per principal with its ACLs. `npm run k8s:strimzi`
 * writes them to k8s/components/strimzi; a test fails when the committed files are stale.
 */

/** The Kafka cluster resource the component declares (its bootstrap Service is `<name>-kafka-bootstrap`). */
export const STRIMZI_CLUSTER = 'licensing';

export interface StrimziOptions {
  /** Replicas of every partition; with min.insync.replicas 2, a write survives one broker down. */
  replicas: number;
  minInsyncReplicas: number;
}

export const STRIMZI_DEFAULTS: StrimziOptions = { replicas: 3, minInsyncReplicas: 2 };

type Resource = Record<string, unknown>;

const API_VERSION = 'kafka.strimzi.io/v1beta2';
const labels = { 'strimzi.io/cluster': STRIMZI_CLUSTER, 'app.kubernetes.io/part-of': 'licensing' };

/** Strimzi takes numeric settings as numbers. */
const settingValue = (value: string): string | number => (/^-?\d+$/.test(value) ? Number(value) : value);

export function strimziTopics(settings: TopicSettings = DEFAULT_TOPIC_SETTINGS, options: StrimziOptions = STRIMZI_DEFAULTS): Resource[] {
  return topicPolicies(settings).map((policy) => ({
    apiVersion: API_VERSION,
    kind: 'KafkaTopic',
    metadata: { name: policy.topic, labels, annotations: { 'licensing/key': policy.key, 'licensing/policy': policy.why } },
    spec: {
      topicName: policy.topic,
      partitions: policy.partitions,
      replicas: options.replicas,
      config: Object.fromEntries(
        Object.entries({ ...policy.config, 'min.insync.replicas': String(options.minInsyncReplicas) }).map(([name, value]) => [
          name,
          settingValue(value),
        ]),
      ),
    },
  }));
}

/** A principal's rules grouped by resource, as Strimzi's `simple` authorization lists them. */
function strimziAcls(rules: AclRule[]): Resource[] {
  const byResource = new Map<string, { rule: AclRule; operations: string[] }>();
  for (const rule of rules) {
    const key = `${rule.resource}|${rule.name}|${rule.pattern}`;
    const entry = byResource.get(key) ?? { rule, operations: [] };
    entry.operations.push(rule.operation);
    byResource.set(key, entry);
  }
  return [...byResource.values()].map(({ rule, operations }) => ({
    resource: rule.resource === 'cluster' ? { type: 'cluster' } : { type: rule.resource, name: rule.name, patternType: rule.pattern },
    operations,
    host: '*',
  }));
}

/**
 * One KafkaUser per service and reader, signing in with SCRAM-SHA-512. The password is the one in
 * the `<user>-kafka` Secret (KAFKA_SASL_PASSWORD) the services already read, so the User Operator
 * and the services agree on it without copying Secrets.
 */
export function strimziUsers(prefix = ''): Resource[] {
  return allAclRules(prefix).map(({ user, rules }) => ({
    apiVersion: API_VERSION,
    kind: 'KafkaUser',
    metadata: { name: user, labels },
    spec: {
      authentication: { type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: `${user}-kafka`, key: 'KAFKA_SASL_PASSWORD' } } } },
      authorization: { type: 'simple', acls: strimziAcls(rules) },
    },
  }));
}
