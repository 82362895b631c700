import { bearer, grantTestAcls, ServiceProcess, serviceEnv, uniqueNames, type InfraUrls } from '@licensing/testing';

/** Every service process the bench has started and not stopped, so an interrupted run stops them too. */
const running = new Set<ServiceProcess>();

export async function stopAllServices(): Promise<void> {
  await Promise.allSettled([...running].map((service) => service.stop()));
  running.clear();
}

export type ServiceName = 'catalog' | 'pool' | 'contracts' | 'points';

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers of the services' APIs
}

/**
 * The services as real processes, as operators run them (role `all`: HTTP, consumers, workers and
 * outbox relay in one process), on the bench's private servers under a topic prefix, databases
 * and queue prefix of their own, with the services' defaults (6 partitions per topic, a 2 s
 * outbox sweep) rather than the tests' faster ones.
 */
export class Deployment {
  private readonly tokens = new Map<string, Promise<Record<string, string>>>();

  private constructor(
    readonly names: ReturnType<typeof uniqueNames>,
    readonly services: Map<ServiceName, ServiceProcess>,
  ) {}

  static async start(label: string, services: ServiceName[], urls: InfraUrls, overrides: Record<string, string> = {}): Promise<Deployment> {
    const names = uniqueNames(label);
    await grantTestAcls([names.prefix], urls);
    const started = await Promise.all(
      services.map(async (service) => {
        const env = serviceEnv(names, {
          MONGO_DATABASE: `${names.database}_${service}`,
          QUEUE_PREFIX: `${names.queuePrefix}:${service}`,
          LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
          KAFKA_TOPIC_PARTITIONS: '6',
          OUTBOX_SWEEP_MS: '2000',
          ...overrides,
        });
        const started = await ServiceProcess.start(service, env, { readyTimeoutMs: 180_000 });
        running.add(started);
        return [service, started] as const;
      }),
    );
    return new Deployment(names, new Map(started));
  }

  service(name: ServiceName): ServiceProcess {
    const service = this.services.get(name);
    if (!service) throw new Error(`${name} is not part of this deployment`);
    return service;
  }

  topic(context: 'catalog' | 'pool' | 'contracts' | 'points'): string {
    return `${this.names.prefix}${context}.events`;
  }

  database(service: ServiceName): string {
    return `${this.names.database}_${service}`;
  }

  /** A bearer header for a partner user, or for a vendor role. */
  auth(who: { partnerId: string } | { role: 'catalog-admin' | 'points-admin' | 'clock-admin' | 'support' }): Promise<Record<string, string>> {
    const key = 'partnerId' in who ? `p:${who.partnerId}` : `r:${who.role}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = 'partnerId' in who ? bearer({ partnerId: who.partnerId }) : bearer({ roles: [who.role] });
      this.tokens.set(key, token);
    }
    return token;
  }

  async call(service: ServiceName, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
    const response = await this.service(service).fetch(path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text
    }
    return { status: response.status, body: parsed };
  }

  /** The last lines a service printed (its warnings), for a failure message. */
  output(name: ServiceName, lines = 20): string {
    return this.service(name).output.join('').split('\n').slice(-lines).join('\n');
  }

  async stop(names: ServiceName[] = [...this.services.keys()]): Promise<void> {
    await Promise.all(names.map((name) => this.services.get(name)?.stop()));
    for (const name of names) {
      const service = this.services.get(name);
      if (service) running.delete(service);
      this.services.delete(name);
    }
  }
}
