import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '@licensing/events';
import { allAclRules, DLQ_RETENTION_MS, STRIMZI_CLUSTER, topicPolicies } from '@licensing/messaging';
import { strimziFiles } from '../scripts/strimzi';
import { documents, K8S, kustomize, ROOT as root, type Resource } from './k8s-manifests';

/**
 * The `strimzi` kustomize component (issue 11): its KafkaTopics and KafkaUsers are the topology
 * the services apply (libs/messaging topology.ts), and what the overlay renders is valid for the
 * Strimzi CRDs (k8s/strimzi/schemas), checked without a cluster.
 */
const component = join(K8S, 'components', 'strimzi');

/**
 * The overlay as `kubectl kustomize` renders it; without kubectl on the machine, the component's
 * own files (the generated resources and the cluster) are what gets checked.
 */
function rendered(): { resources: Resource[]; byKubectl: boolean } {
  const resources = kustomize(join(K8S, 'overlays', 'strimzi'));
  if (resources) return { resources, byKubectl: true };
  return {
    resources: ['kafka.yaml', 'topics.yaml', 'users.yaml'].flatMap((file) => documents(readFileSync(join(component, file), 'utf8'))),
    byKubectl: false,
  };
}

const { resources, byKubectl } = rendered();
const ofKind = (kind: string) => resources.filter((r) => r.kind === kind);

describe('the strimzi kustomize component', () => {
  it('holds the KafkaTopics and KafkaUsers generated from the topology as it is now (npm run k8s:strimzi)', () => {
    for (const [file, text] of Object.entries(strimziFiles()))
      expect({ file, text: readFileSync(join(component, file), 'utf8') }).toEqual({ file, text });
  });

  it('renders resources valid for the Strimzi CRD schemas', () => {
    const ajv = createAjv({ strict: false, allErrors: true });
    const schemas = join(root, 'k8s', 'strimzi', 'schemas');
    const validators = new Map(
      readdirSync(schemas)
        .filter((file) => file.endsWith('.json'))
        .map((file) => [file.replace('.v1beta2.json', ''), ajv.compile(JSON.parse(readFileSync(join(schemas, file), 'utf8')))]),
    );
    const strimzi = resources.filter((r) => r.apiVersion.startsWith('kafka.strimzi.io/'));
    expect(new Set(strimzi.map((r) => r.kind))).toEqual(new Set(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser']));
    for (const resource of strimzi) {
      expect(resource.apiVersion).toBe('kafka.strimzi.io/v1beta2');
      const validate = validators.get(resource.kind.toLowerCase());
      expect(validate).toBeDefined();
      const valid = validate?.(resource);
      expect({ resource: `${resource.kind}/${resource.metadata.name}`, errors: valid ? [] : validate?.errors }).toEqual({
        resource: `${resource.kind}/${resource.metadata.name}`,
        errors: [],
      });
      if (resource.kind !== 'Kafka') expect(resource.metadata.labels?.['strimzi.io/cluster']).toBe(STRIMZI_CLUSTER);
    }
  });

  it('declares every topic with its policy, on 3 replicas with min.insync.replicas 2', () => {
    const topics = ofKind('KafkaTopic');
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual(
      topicPolicies()
        .map((p) => p.topic)
        .sort(),
    );
    for (const topic of topics) expect(topic.spec).toMatchObject({ partitions: 6, replicas: 3, config: { 'min.insync.replicas': 2 } });
    const config = (name: string) => topics.find((t) => t.spec.topicName === name)?.spec.config;
    expect(config('catalog.events')).toEqual({ 'cleanup.policy': 'compact', 'min.insync.replicas': 2 });
    expect(config('pool.events')).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': -1, 'min.insync.replicas': 2 });
    expect(config('contracts.events.dlq')).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': DLQ_RETENTION_MS, 'min.insync.replicas': 2 });
    const [kafka] = ofKind('Kafka');
    expect(kafka?.spec.kafka.config).toMatchObject({ 'default.replication.factor': 3, 'min.insync.replicas': 2 });
    expect(ofKind('KafkaNodePool').reduce((n, pool) => n + pool.spec.replicas, 0)).toBe(3);
  });

  it("gives each service and reader a KafkaUser with the ACLs the brokers get from serviceAcls (SCRAM, its own Secret's password)", () => {
    const users = ofKind('KafkaUser');
    const declared = allAclRules('');
    expect(users.map((u) => u.metadata.name).sort()).toEqual(declared.map((d) => d.user).sort());
    for (const { user, rules } of declared) {
      const spec = users.find((u) => u.metadata.name === user)?.spec;
      expect(spec.authentication).toEqual({
        type: 'scram-sha-512',
        password: { valueFrom: { secretKeyRef: { name: `${user}-kafka`, key: 'KAFKA_SASL_PASSWORD' } } },
      });
      const granted = spec.authorization.acls.flatMap(
        (acl: { resource: { type: string; name?: string; patternType?: string }; operations: string[] }) =>
          acl.operations.map(
            (operation) => `${acl.resource.type}:${acl.resource.name ?? 'kafka-cluster'}:${acl.resource.patternType ?? 'literal'}:${operation}`,
          ),
      );
      expect(granted.sort()).toEqual(rules.map((r) => `${r.resource}:${r.name}:${r.pattern}:${r.operation}`).sort());
    }
    expect(
      users.find((u) => u.metadata.name === 'license-usage')?.spec.authorization.acls.flatMap((a: { operations: string[] }) => a.operations),
    ).not.toContain('Write');
  });

  (byKubectl ? it : it.skip)('points the services at the Strimzi bootstrap and drops the ACL Job the User Operator replaces', () => {
    const config = resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('licensing-config'));
    expect(config?.data.KAFKA_BROKERS).toBe(`${STRIMZI_CLUSTER}-kafka-bootstrap:9092`);
    expect(resources.some((r) => r.kind === 'Job' && r.metadata.name === 'kafka-acls')).toBe(false);
    expect(resources.some((r) => r.kind === 'StatefulSet' && r.metadata.name === 'kafka')).toBe(false);
  });
});
