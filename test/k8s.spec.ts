import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEFAULT_TOPIC_SETTINGS, KAFKA_SERVICES, serviceAclRules } from '@licensing/messaging';
import { Metrics } from '@licensing/platform';
import { parse } from 'yaml';
import { PointsMetrics } from '../services/points/src/infrastructure/points.metrics';
import { autoscalingFiles, consumerGroups } from '../scripts/k8s-autoscaling';
import { documents, K8S, kustomize, manifestValidator, resourceFiles, ROOT, type Resource } from './k8s-manifests';

/**
 * Issue 10, scale out, checked without a cluster: every overlay as `kubectl kustomize` renders it
 * is valid for the schemas of its kinds (k8s/schemas, k8s/strimzi/schemas); each api and worker
 * Deployment has its PodDisruptionBudget, its probes and (production) its autoscaler, generated
 * from the consumer groups the code runs; the partition count is the topology's everywhere; the
 * compose observability (Prometheus, alert rules, Grafana) names only metrics the code defines.
 */
const OVERLAYS = ['dev', 'strimzi', 'production'] as const;
type Overlay = (typeof OVERLAYS)[number];
const renders = new Map(OVERLAYS.map((overlay) => [overlay, kustomize(join(K8S, 'overlays', overlay))]));
const byKubectl = renders.get('dev') !== undefined;
/** Without kubectl: the base's and the components' own resources. */
const files = (): Resource[] =>
  ['base', 'components/infra-dev', 'components/strimzi', 'components/autoscaling'].flatMap((dir) => resourceFiles(join(K8S, dir)));
const rendered = (overlay: Overlay): Resource[] => renders.get(overlay) ?? files();
const withKubectl = byKubectl ? it : it.skip;

const ofKind = (resources: Resource[], kind: string) => resources.filter((r) => r.kind === kind);
const named = (resources: Resource[], kind: string, name: string) => resources.find((r) => r.kind === kind && r.metadata.name === name);
const configOf = (resources: Resource[]) => resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('licensing-config'))?.data;
type Probe = { httpGet?: { path: string; port: string } };
type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  envFrom?: unknown[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
};
const serverOf = (deployment: Resource): Container | undefined =>
  (deployment.spec.template.spec.containers as Container[]).find((c) => c.name === 'server');
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const base = parse(readFileSync(join(K8S, 'base', 'kustomization.yaml'), 'utf8')) as { configMapGenerator: { literals: string[] }[] };
const literal = (literals: string[], key: string) => literals.find((l) => l.startsWith(`${key}=`))?.split('=')[1];

describe('every overlay renders valid manifests (k8s/schemas: Kubernetes 1.32, KEDA, Strimzi)', () => {
  const validate = manifestValidator();

  it.each(OVERLAYS)('%s: each resource is valid for the schema of its kind', (overlay) => {
    const invalid = rendered(overlay)
      .map((resource) => ({ resource: `${resource.kind}/${resource.metadata.name}`, result: validate(resource) }))
      .filter(({ result }) => result === undefined || result.errors.length > 0);
    expect(invalid).toEqual([]);
    // KEDA's CRD rule (CEL, which the JSON Schema cannot say).
    for (const scaled of ofKind(rendered(overlay), 'ScaledObject'))
      expect(scaled.spec.minReplicaCount).toBeLessThanOrEqual(scaled.spec.maxReplicaCount);
  });

  it('the schemas refuse what the API server would (an unknown field, a wrong type)', () => {
    const deployment = named(rendered('dev'), 'Deployment', 'pool-api') as Resource;
    const server = serverOf(deployment);
    const broken = structuredClone({ ...deployment, spec: { ...deployment.spec, replicas: 'two', paused: true } });
    broken.spec.template.spec.containers = [{ ...server, imagePullPolicyy: 'Always' }];
    expect(validate(broken)?.errors.map((e) => (e as { instancePath: string }).instancePath)).toEqual(
      expect.arrayContaining(['/spec/replicas', '/spec/template/spec/containers/0']),
    );
  });

  it.each(OVERLAYS)('%s: every api and worker Deployment has a PodDisruptionBudget (api minAvailable 1, worker maxUnavailable 1)', (overlay) => {
    const resources = rendered(overlay);
    const deployments = ofKind(resources, 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(KAFKA_SERVICES.flatMap((s) => [`${s}-api`, `${s}-worker`]).sort());
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const budgets = ofKind(resources, 'PodDisruptionBudget').filter((b) => matches(b.spec.selector.matchLabels, labels));
      expect({ deployment: deployment.metadata.name, budgets: budgets.map((b) => b.spec) }).toEqual({
        deployment: deployment.metadata.name,
        budgets: [
          {
            ...(labels.role === 'api' ? { minAvailable: 1 } : { maxUnavailable: 1 }),
            selector: { matchLabels: { app: labels.app, role: labels.role } },
          },
        ],
      });
    }
  });

  it.each(OVERLAYS)(
    '%s: every Deployment is probed on the health endpoints: ready on /health/ready (503 while a consumer is down), alive on /health/live',
    (overlay) => {
      for (const deployment of ofKind(rendered(overlay), 'Deployment')) {
        const server = serverOf(deployment);
        const probes = (['readinessProbe', 'livenessProbe', 'startupProbe'] as const).map((probe) => [probe, server?.[probe]?.httpGet]);
        expect({ deployment: deployment.metadata.name, probes }).toEqual({
          deployment: deployment.metadata.name,
          probes: [
            ['readinessProbe', { path: '/health/ready', port: 'http' }],
            ['livenessProbe', { path: '/health/live', port: 'http' }],
            ['startupProbe', { path: '/health/live', port: 'http' }],
          ],
        });
        const port = (server?.env ?? []).find((e) => e.name === 'PORT')?.value;
        expect(server?.ports).toEqual([{ name: 'http', containerPort: Number(port) }]);
      }
    },
  );
});

describe('the autoscaling component (k8s/components/autoscaling, in the production overlay)', () => {
  const component = join(K8S, 'components', 'autoscaling');
  const production = rendered('production');

  it('holds the KEDA and HPA resources generated from the code as it is now (npm run k8s:autoscaling)', () => {
    for (const [file, text] of Object.entries(autoscalingFiles()))
      expect({ file, text: readFileSync(join(component, file), 'utf8') }).toEqual({ file, text });
  });

  it("scales each consuming api on the lag of every consumer group its handlers run, on their topics, as the service's own Kafka principal", () => {
    for (const service of KAFKA_SERVICES) {
      const groups = consumerGroups(service);
      const scaled = named(production, 'ScaledObject', `${service}-api`);
      if (groups.length === 0) {
        expect({ service, scaled }).toEqual({ service, scaled: undefined });
        continue;
      }
      const triggers = scaled?.spec.triggers as { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
      const kafka = triggers.filter((t) => t.type === 'kafka');
      expect(kafka.map((t) => `${t.metadata.consumerGroup} ${t.metadata.topic}`).sort()).toEqual(
        groups.flatMap((g) => g.topics.map((topic) => `${g.groupId} ${topic}`)).sort(),
      );
      // Within what the brokers let the principal do (libs/messaging serviceAclRules): its groups, topics it reads.
      const rules = serviceAclRules(service, '');
      for (const { metadata } of kafka) {
        expect(
          rules.some(
            (r) =>
              r.resource === 'group' &&
              r.operation === 'Read' &&
              (r.pattern === 'literal' ? metadata.consumerGroup === r.name : metadata.consumerGroup?.startsWith(r.name)),
          ),
        ).toBe(true);
        expect(rules).toContainEqual({ resource: 'topic', name: metadata.topic, pattern: 'literal', operation: 'Read' });
        expect(metadata).toMatchObject({ bootstrapServersFromEnv: 'KAFKA_BROKERS', sasl: 'scram_sha512', allowIdleConsumers: 'false' });
        expect(Number(metadata.lagThreshold)).toBeGreaterThan(0);
      }
      expect(triggers.filter((t) => t.type === 'cpu')).toHaveLength(1);
      const auth = named(production, 'TriggerAuthentication', kafka[0]?.authenticationRef?.name ?? '');
      expect(new Set(kafka.map((t) => t.authenticationRef?.name))).toEqual(new Set([auth?.metadata.name]));
      expect(auth?.spec).toEqual({
        env: [{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'server' }],
        secretTargetRef: [{ parameter: 'password', name: `${service}-kafka`, key: 'KAFKA_SASL_PASSWORD' }],
      });
      // What KEDA reads from the Deployment: the username it signs in with, the brokers from licensing-config.
      const target = named(production, 'Deployment', scaled?.spec.scaleTargetRef.name) as Resource;
      const server = serverOf(target);
      expect(server?.env).toContainEqual({ name: 'KAFKA_SASL_USERNAME', value: service });
      expect(server?.envFrom).toContainEqual({ configMapRef: { name: expect.stringMatching(/^licensing-config/) } });
    }
  });

  withKubectl(
    'in production every Deployment has exactly one autoscaler and leaves its replica count to it; KEDA stops at the partition count',
    () => {
      const config = configOf(production);
      expect(config?.KAFKA_SASL_MECHANISM ?? 'scram-sha-512').toBe('scram-sha-512');
      const targets = [
        ...ofKind(production, 'ScaledObject').map((s) => ({
          name: s.spec.scaleTargetRef.name,
          min: s.spec.minReplicaCount,
          max: s.spec.maxReplicaCount,
        })),
        ...ofKind(production, 'HorizontalPodAutoscaler').map((h) => ({
          name: h.spec.scaleTargetRef.name,
          min: h.spec.minReplicas,
          max: h.spec.maxReplicas,
        })),
      ];
      for (const deployment of ofKind(production, 'Deployment')) {
        const autoscalers = targets.filter((t) => t.name === deployment.metadata.name);
        expect({ deployment: deployment.metadata.name, autoscalers: autoscalers.length, replicas: deployment.spec.replicas }).toEqual({
          deployment: deployment.metadata.name,
          autoscalers: 1,
          replicas: undefined,
        });
        // An api keeps two replicas, so its budget (minAvailable 1) lets a node drain go on.
        if (deployment.metadata.labels?.role === 'api') expect(autoscalers[0]?.min).toBeGreaterThanOrEqual(2);
      }
      for (const scaled of ofKind(production, 'ScaledObject')) expect(scaled.spec.maxReplicaCount).toBe(Number(config?.KAFKA_TOPIC_PARTITIONS));
    },
  );

  withKubectl("follows kustomize's renames: beside infra-dev's generated Secrets and under a name prefix, KEDA refers to the rendered names", () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-autoscaling-'));
    try {
      const kustomization = {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: 'licensing',
        namePrefix: 'x-',
        resources: [relative(dir, join(K8S, 'overlays', 'dev'))],
        components: [relative(dir, component)],
      };
      writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify(kustomization));
      const resources = kustomize(dir, ['--load-restrictor', 'LoadRestrictionsNone']) as Resource[];
      for (const auth of ofKind(resources, 'TriggerAuthentication')) {
        for (const ref of auth.spec.secretTargetRef as { name: string; key: string }[])
          expect(Object.keys(named(resources, 'Secret', ref.name)?.data ?? {})).toContain(ref.key);
      }
      for (const scaled of ofKind(resources, 'ScaledObject')) {
        expect(named(resources, 'Deployment', scaled.spec.scaleTargetRef.name)).toBeDefined();
        for (const trigger of scaled.spec.triggers as { authenticationRef?: { name: string } }[])
          if (trigger.authenticationRef) expect(named(resources, 'TriggerAuthentication', trigger.authenticationRef.name)).toBeDefined();
      }
      for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler'))
        expect(named(resources, 'Deployment', hpa.spec.scaleTargetRef.name)).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the partition count is the topology's everywhere (libs/messaging DEFAULT_TOPIC_SETTINGS, KAFKA_TOPIC_PARTITIONS)", () => {
  const partitions = String(DEFAULT_TOPIC_SETTINGS.topicPartitions);

  it('licensing-config (base and strimzi), the Strimzi topics, KEDA, infra-dev and compose say the same', () => {
    expect(literal(base.configMapGenerator[0]?.literals ?? [], 'KAFKA_TOPIC_PARTITIONS')).toBe(partitions);
    const strimzi = parse(readFileSync(join(K8S, 'components', 'strimzi', 'kustomization.yaml'), 'utf8')) as typeof base;
    expect(literal(strimzi.configMapGenerator[0]?.literals ?? [], 'KAFKA_TOPIC_PARTITIONS')).toBe(partitions);
    const topics = documents(readFileSync(join(K8S, 'components', 'strimzi', 'topics.yaml'), 'utf8'));
    expect(new Set(topics.map((t) => String(t.spec.partitions)))).toEqual(new Set([partitions]));
    const keda = documents(readFileSync(join(K8S, 'components', 'autoscaling', 'keda.yaml'), 'utf8'));
    expect(new Set(ofKind(keda, 'ScaledObject').map((s) => String(s.spec.maxReplicaCount)))).toEqual(new Set([partitions]));
    // The brokers' default for a topic created without a count (the services always give theirs).
    const kafka = named(documents(readFileSync(join(K8S, 'components', 'infra-dev', 'kafka.yaml'), 'utf8')), 'StatefulSet', 'kafka');
    const env = kafka?.spec.template.spec.containers[0].env as { name: string; value: string }[];
    expect(env.find((e) => e.name === 'KAFKA_NUM_PARTITIONS')?.value).toBe(partitions);
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
    expect(String(compose['x-service-env'].KAFKA_TOPIC_PARTITIONS)).toBe(partitions);
    expect(String(compose.services.kafka.environment.KAFKA_NUM_PARTITIONS)).toBe(partitions);
  });

  withKubectl('each overlay renders one count: its ConfigMap, its KafkaTopics and its ScaledObjects agree', () => {
    for (const overlay of OVERLAYS) {
      const resources = rendered(overlay);
      const count = Number(configOf(resources)?.KAFKA_TOPIC_PARTITIONS);
      for (const topic of ofKind(resources, 'KafkaTopic'))
        expect({ overlay, partitions: topic.spec.partitions }).toEqual({ overlay, partitions: count });
      for (const scaled of ofKind(resources, 'ScaledObject')) expect({ overlay, max: scaled.spec.maxReplicaCount }).toEqual({ overlay, max: count });
    }
  });
});

describe('observability in docker-compose.yml (Prometheus, alert rules, provisioned Grafana)', () => {
  const observability = join(ROOT, 'observability');
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: { args?: { SERVICE?: string } }; environment?: Record<string, string>; volumes?: string[] }>;
  };
  /** The platform's service containers: name, the service it runs, its port. */
  const containers = Object.entries(compose.services)
    .filter(([, s]) => s.build?.args?.SERVICE && s.environment?.PORT)
    .map(([name, s]) => ({ name, service: s.build?.args?.SERVICE as string, port: Number(s.environment?.PORT), role: s.environment?.SERVICE_ROLE }));

  /** Every metric name the services define: libs/platform's registry (defaults included), the points service's counters, Prometheus' `up`. */
  let defined: Set<string>;
  beforeAll(async () => {
    const metrics = new Metrics('check');
    new PointsMetrics(metrics);
    const suffixes: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };
    defined = new Set([
      'up',
      ...(await metrics.registry.getMetricsAsJSON()).flatMap((m) => [m.name, ...(suffixes[String(m.type)] ?? []).map((s) => m.name + s)]),
    ]);
  });

  /** The metric names a PromQL expression selects (not its functions, keywords or labels). */
  const metricNames = (expr: string): string[] => {
    const bare = expr
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/\{[^}]*\}/g, '')
      .replace(/\[[^\]]*\]/g, '')
      .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
    return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
      .filter((m) => !/^\s*\(/.test(bare.slice((m.index ?? 0) + m[0].length)))
      .map((m) => m[0])
      .filter((name) => !['and', 'or', 'unless', 'bool', 'offset'].includes(name));
  };

  it('names only metrics the code defines in the PromQL checks themselves', () => {
    expect(metricNames('sum by (service, group) (max by (service, group, topic, partition) (kafka_consumer_lag)) > 1000')).toEqual([
      'kafka_consumer_lag',
    ]);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(saga_duration_seconds_bucket{outcome="x"}[5m]))) and up == 0')).toEqual([
      'saga_duration_seconds_bucket',
      'up',
    ]);
  });

  it('Prometheus scrapes /metrics of every service container on its port, and loads the alert rules', () => {
    const config = parse(readFileSync(join(observability, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    expect(containers.map((c) => c.name).sort()).toEqual(['catalog', 'contracts', 'points', 'pool', 'pool-worker']);
    const scraped = config.scrape_configs.flatMap((job) =>
      job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => ({ name, port: sd.port, path: job.metrics_path }))),
    );
    expect(scraped.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      containers.map((c) => ({ name: c.name, port: c.port, path: undefined })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });

  it('the alert rules parse, each with a severity and a summary, on metrics the code defines (lag, dead letters, stalled sagas, outbox, service down)', () => {
    const rules = (
      parse(readFileSync(join(observability, 'prometheus', 'alerts.yml'), 'utf8')) as {
        groups: { rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['ServiceDown', 'ConsumerLagHigh', 'DeadLettersGrowing', 'SagasTimingOut', 'ExchangesStalled', 'OutboxBacklogGrowing']),
    );
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels.severity, summary: typeof rule.annotations.summary }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
        summary: 'string',
      });
      const names = metricNames(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      expect({ alert: rule.alert, undefinedMetrics: names.filter((n) => !defined.has(n)) }).toEqual({ alert: rule.alert, undefinedMetrics: [] });
    }
    expect(rules.find((r) => r.alert === 'DeadLettersGrowing')?.expr).toContain('events_consumed_total{outcome="dead-lettered"}');
  });

  it('the Grafana dashboard parses and each panel queries defined metrics from the provisioned Prometheus', () => {
    const datasources = parse(readFileSync(join(observability, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; url: string }[];
    };
    expect(datasources.datasources).toEqual([expect.objectContaining({ uid: 'prometheus', url: 'http://prometheus:9090' })]);
    const dashboard = JSON.parse(readFileSync(join(observability, 'grafana', 'dashboards', 'licensing.json'), 'utf8')) as {
      panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Events published / s',
        'Events consumed / s by outcome',
        'HTTP requests / s',
        'Consumer lag by group',
        'Saga latency (p50, p99)',
        'Outbox backlog',
        'Dead letters per service (since start)',
        'Queue jobs by state',
      ]),
    );
    for (const panel of panels) {
      expect({ panel: panel.title, datasource: panel.datasource?.uid, targets: (panel.targets ?? []).length > 0 }).toEqual({
        panel: panel.title,
        datasource: 'prometheus',
        targets: true,
      });
      const names = (panel.targets ?? []).flatMap((t) => metricNames(t.expr));
      expect({ panel: panel.title, undefinedMetrics: names.filter((n) => !defined.has(n)) }).toEqual({ panel: panel.title, undefinedMetrics: [] });
    }
  });

  it('compose runs official images on pinned tags and mounts configuration files that exist where the configuration expects them', () => {
    const { prometheus, grafana } = compose.services;
    expect(prometheus?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(grafana?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    const mounts = [...(prometheus?.volumes ?? []), ...(grafana?.volumes ?? [])].filter((v) => v.startsWith('./'));
    for (const mount of mounts) expect({ mount, exists: existsSync(join(ROOT, mount.split(':')[0] as string)) }).toEqual({ mount, exists: true });
    const target = (host: string) => mounts.find((m) => m.startsWith(`${host}:`))?.split(':')[1];
    expect(target('./observability/prometheus/alerts.yml')).toBe('/etc/prometheus/alerts.yml');
    expect(target('./observability/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const providers = parse(readFileSync(join(observability, 'grafana', 'provisioning', 'dashboards', 'licensing.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    expect(providers.providers.map((p) => p.options.path)).toEqual([target('./observability/grafana/dashboards')]);
  });

  it('every service container names its event schemas at its api on the compose network (EVENT_SCHEMAS_URL)', () => {
    for (const container of containers) {
      const api = containers.find((c) => c.service === container.service && c.role !== 'worker');
      expect({ container: container.name, url: compose.services[container.name]?.environment?.EVENT_SCHEMAS_URL }).toEqual({
        container: container.name,
        url: `http://${api?.name}:${api?.port}/schemas`,
      });
    }
  });
});
