/**
 * Writes the generated part of the `autoscaling` kustomize component (k8s/components/autoscaling)
 * from the code: each service's consumer groups and the topics they read are found in its `api`
 * module (every `@EventPattern` handler with its group, as the CloudEvents transport subscribes
 * them), the partition count comes from libs/messaging topology.ts.
 *
 * - keda.yaml: per service that consumes, a TriggerAuthentication (its Kafka principal: the
 *   username from its Deployment, the password from its `<service>-kafka` Secret) and a
 *   ScaledObject for `<service>-api` with a `kafka` trigger per (consumer group, topic) and a
 *   `cpu` one; at most as many replicas as partitions.
 * - hpa.yaml: a CPU HorizontalPodAutoscaler for every other Deployment (an api without consumers,
 *   every worker).
 *
 * `npm run k8s:autoscaling` rewrites them; test/k8s.spec.ts fails when the committed files are stale.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextOf, topicOf, type Context } from '@licensing/events';
import { DEFAULT_TOPIC_SETTINGS, KAFKA_SERVICES } from '@licensing/messaging';
import type { DynamicModule, Type } from '@nestjs/common';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { stringify } from 'yaml';
import { catalogConfig, CatalogModule } from '../services/catalog/src/catalog.module';
import { contractsConfig, ContractsModule } from '../services/contracts/src/contracts.module';
import { pointsConfig, PointsModule } from '../services/points/src/points.module';
import { poolConfig, PoolModule } from '../services/pool/src/pool.module';

/** Enough configuration to build each service's `api` module; nothing connects. */
const env = {
  SERVICE_ROLE: 'api',
  KAFKA_BROKERS: '127.0.0.1:9',
  MONGO_URL: 'mongodb://127.0.0.1:9',
  REDIS_URL: 'redis://127.0.0.1:9',
  AUTH_JWT_SECRET: 'x'.repeat(32),
  LOG_LEVEL: 'silent',
};

const apiModules: Record<Context, () => DynamicModule> = {
  catalog: () => CatalogModule.forRole(catalogConfig(env)),
  pool: () => PoolModule.forRole(poolConfig(env)),
  contracts: () => ContractsModule.forRole(contractsConfig(env)),
  points: () => PointsModule.forRole(pointsConfig(env)),
};

/**
 * Lag per replica that asks for one more (the scaler sums a group's lag over the topic's
 * partitions): about two seconds of a saturated api replica's work (docs/performance.md).
 */
export const LAG_THRESHOLD = 50;
/** Average CPU per pod that asks for one more: half the 1-CPU limit (requests are only 100m). */
export const CPU_TARGET = '500m';
/** An api replica answers HTTP and is a member of its groups: two keep it available through a node drain (its PodDisruptionBudget). */
export const API_MIN_REPLICAS = 2;
/** Bounds of the CPU-only autoscalers: an api without consumers, and the workers (the outbox relay runs in each, so a few are plenty). */
export const HTTP_ONLY_MAX_REPLICAS = 6;
export const WORKER_MAX_REPLICAS = 4;

/** A consumer group as the CloudEvents transport runs it in a service's `api` role. */
export interface ConsumerGroup {
  service: Context;
  /** The handlers' group (`@EventPattern(type, { group })`), `default` when none. */
  group: string;
  /** The Kafka group id: `<service>` for the default group, `<service>-<group>` otherwise (no KAFKA_TOPIC_PREFIX in Kubernetes). */
  groupId: string;
  /** The topics of the event types its handlers take, sorted. */
  topics: string[];
}

/** Every controller class a module brings, its imports' included. */
function controllersOf(module: unknown, seen = new Set<unknown>()): Type[] {
  if (module === null || module === undefined || seen.has(module)) return [];
  seen.add(module);
  if (typeof module === 'function') {
    const controllers = (Reflect.getMetadata('controllers', module) as Type[] | undefined) ?? [];
    const imports = (Reflect.getMetadata('imports', module) as unknown[] | undefined) ?? [];
    return [...controllers, ...imports.flatMap((imported) => controllersOf(imported, seen))];
  }
  if (typeof module === 'object' && 'module' in module) {
    const dynamic = module as DynamicModule;
    return [
      ...(dynamic.controllers ?? []),
      ...controllersOf(dynamic.module, seen),
      ...(dynamic.imports ?? []).flatMap((m) => controllersOf(m, seen)),
    ];
  }
  return [];
}

/** The consumer groups of a service's `api` role, from its `@EventPattern` handlers. */
export function consumerGroups(service: Context): ConsumerGroup[] {
  const topicsByGroup = new Map<string, Set<string>>();
  for (const controller of new Set(controllersOf(apiModules[service]()))) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[name];
      if (typeof method !== 'function') continue;
      const types = (Reflect.getMetadata(PATTERN_METADATA, method) as string[] | undefined) ?? [];
      if (types.length === 0) continue;
      const group = (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as { group?: string } | undefined)?.group ?? 'default';
      const topics = topicsByGroup.get(group) ?? new Set<string>();
      for (const type of types) topics.add(topicOf(contextOf(type)));
      topicsByGroup.set(group, topics);
    }
  }
  return [...topicsByGroup]
    .map(([group, topics]) => ({ service, group, groupId: group === 'default' ? service : `${service}-${group}`, topics: [...topics].sort() }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
}

const labels = (service: string, role: 'api' | 'worker') => ({ app: service, role });
const deploymentRef = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name });
/** Scale down one pod a minute after five calm minutes: each change rebalances the consumer groups. */
const gentleScaleDown = { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] };

function triggerAuthentication(service: Context): Record<string, unknown> {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: { name: `${service}-kafka`, labels: { app: service } },
    spec: {
      // The username is the Deployment's own KAFKA_SASL_USERNAME; the password its Secret's.
      env: [{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'server' }],
      secretTargetRef: [{ parameter: 'password', name: `${service}-kafka`, key: 'KAFKA_SASL_PASSWORD' }],
    },
  };
}

function scaledObject(service: Context, groups: ConsumerGroup[], partitions: number): Record<string, unknown> {
  const name = `${service}-api`;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, labels: labels(service, 'api') },
    spec: {
      scaleTargetRef: { ...deploymentRef(name), envSourceContainerName: 'server' },
      minReplicaCount: API_MIN_REPLICAS,
      // A member beyond the partition count gets no partition (KAFKA_TOPIC_PARTITIONS, topology.ts).
      maxReplicaCount: partitions,
      pollingInterval: 15,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: gentleScaleDown } } },
      triggers: [
        ...groups.flatMap((group) =>
          group.topics.map((topic) => ({
            type: 'kafka',
            name: `${group.groupId}-${topic.replace(/\./g, '-')}`,
            metadata: {
              // The brokers of licensing-config, read from the Deployment's environment.
              bootstrapServersFromEnv: 'KAFKA_BROKERS',
              consumerGroup: group.groupId,
              topic,
              lagThreshold: String(LAG_THRESHOLD),
              sasl: 'scram_sha512',
              allowIdleConsumers: 'false',
            },
            authenticationRef: { name: `${service}-kafka` },
          })),
        ),
        { type: 'cpu', metricType: 'AverageValue', metadata: { value: CPU_TARGET } },
      ],
    },
  };
}

function cpuAutoscaler(service: Context, role: 'api' | 'worker', minReplicas: number, maxReplicas: number): Record<string, unknown> {
  const name = `${service}-${role}`;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels: labels(service, role) },
    spec: {
      scaleTargetRef: deploymentRef(name),
      minReplicas,
      maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: CPU_TARGET } } }],
      behavior: { scaleDown: gentleScaleDown },
    },
  };
}

/** The component's generated resources, for a partition count (the topology's by default). */
export function autoscalingResources(partitions = DEFAULT_TOPIC_SETTINGS.topicPartitions): {
  keda: Record<string, unknown>[];
  hpa: Record<string, unknown>[];
} {
  const consuming = KAFKA_SERVICES.map((service) => ({ service, groups: consumerGroups(service) }));
  return {
    keda: consuming
      .filter(({ groups }) => groups.length > 0)
      .flatMap(({ service, groups }) => [triggerAuthentication(service), scaledObject(service, groups, partitions)]),
    hpa: [
      ...consuming
        .filter(({ groups }) => groups.length === 0)
        .map(({ service }) => cpuAutoscaler(service, 'api', API_MIN_REPLICAS, HTTP_ONLY_MAX_REPLICAS)),
      ...KAFKA_SERVICES.map((service) => cpuAutoscaler(service, 'worker', 1, WORKER_MAX_REPLICAS)),
    ],
  };
}

const HEADER =
  "# Generated by `npm run k8s:autoscaling` from the services' @EventPattern handlers and libs/messaging/src/topology.ts; edit the code, not this file.\n";

const file = (resources: Record<string, unknown>[]): string =>
  HEADER + resources.map((resource) => `---\n${stringify(resource, { lineWidth: 0 })}`).join('');

export const autoscalingFiles = (): Record<string, string> => {
  const { keda, hpa } = autoscalingResources();
  return { 'keda.yaml': file(keda), 'hpa.yaml': file(hpa) };
};

if (require.main === module) {
  const dir = join(__dirname, '..', 'k8s', 'components', 'autoscaling');
  for (const [name, text] of Object.entries(autoscalingFiles())) writeFileSync(join(dir, name), text);
  console.log('k8s/components/autoscaling/keda.yaml and hpa.yaml written');
}
