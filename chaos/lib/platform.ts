import {
  bearer,
  freePort,
  grantTestAcls,
  LocalInfrastructure,
  ServiceProcess,
  serviceEnv,
  uniqueNames,
  type InfraUrls,
  type Server,
} from '@licensing/testing';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICES = ['catalog', 'pool', 'contracts', 'points'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers of the services' APIs, checked where used
  headers: Headers;
}

/**
 * Deadlines short enough to fall due within a run, in the order DESIGN §5 wants them (the
 * contracts service gives up on the pool before the pool gives up its reservation; 6 s is less
 * than a killed pool takes to come back, so the assignments it leaves unanswered time out), and sweeps
 * that find within seconds what a job lost with Redis missed. Everything else is the services'
 * defaults (consumer sessions, scheduler checks), so what is measured is what operators run.
 */
export const CHAOS_SETTINGS: Record<string, string> = {
  CONTRACTS_ASSIGNMENT_TIMEOUT_MS: '6000',
  CONTRACTS_ASSIGNMENT_SWEEP_MS: '2000',
  POOL_RESERVATION_TIMEOUT_MS: '15000',
  POOL_RESERVATION_SWEEP_MS: '2000',
  POINTS_EXCHANGE_TIMEOUT_MS: '15000',
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The platform under test: private Kafka, Mongo-compatible server and Redis on free ports
 * (LocalInfrastructure, the project's own infra scripts) and the four services as real processes
 * (role `all`), each on a fixed port so a restarted process answers where the killed one did.
 * Every service's output goes to `<dir>/logs/<service>.log`.
 */
export class ChaosPlatform {
  readonly names: ReturnType<typeof uniqueNames>;
  readonly urls: InfraUrls;
  private readonly processes = new Map<ServiceName, ServiceProcess>();
  private readonly envs = new Map<ServiceName, Record<string, string>>();
  private readonly tokens = new Map<string, Promise<Record<string, string>>>();
  private stopped = false;

  private constructor(readonly infra: LocalInfrastructure) {
    this.names = uniqueNames('chaos');
    this.urls = infra.urls();
    mkdirSync(this.logDir, { recursive: true });
  }

  static async start(label: string): Promise<ChaosPlatform> {
    return new ChaosPlatform(await LocalInfrastructure.start(label));
  }

  get logDir(): string {
    return join(this.infra.dir, 'logs');
  }

  topic(context: ServiceName): string {
    return `${this.names.prefix}${context}.events`;
  }

  database(service: ServiceName): string {
    return `${this.names.database}_${service}`;
  }

  async startServices(overrides: Record<string, string> = {}): Promise<void> {
    await grantTestAcls([this.names.prefix], this.urls);
    for (const service of SERVICES) {
      const env = serviceEnv(
        this.names,
        {
          MONGO_DATABASE: this.database(service),
          QUEUE_PREFIX: `${this.names.queuePrefix}:${service}`,
          PORT: String(await freePort()),
          LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'warn',
          ...CHAOS_SETTINGS,
          ...overrides,
        },
        this.urls,
      );
      this.envs.set(service, env);
    }
    await Promise.all(SERVICES.map((service) => this.launch(service)));
  }

  /** Starts a service and waits until it is ready; one that dies starting is started again (twice at most), as a supervisor would. */
  private async launch(service: ServiceName): Promise<void> {
    const env = this.envs.get(service);
    if (!env) throw new Error(`${service} was never configured`);
    for (let attempt = 1; ; attempt++) {
      try {
        this.processes.set(
          service,
          await ServiceProcess.start(service, env, { readyTimeoutMs: 180_000, logFile: join(this.logDir, `${service}.log`) }),
        );
        return;
      } catch (error) {
        if (attempt === 3) throw error;
        await sleep(2000);
      }
    }
  }

  url(service: ServiceName): string {
    return `http://127.0.0.1:${this.envs.get(service)?.PORT}`;
  }

  /** SIGKILL, then a new process at once (as a supervisor restarts it); resolves when it is ready. */
  async killAndRestart(service: ServiceName): Promise<void> {
    const killed = this.processes.get(service);
    this.processes.delete(service);
    await killed?.kill();
    await this.launch(service);
  }

  async stopServer(server: Server): Promise<void> {
    await this.infra.stopServers([server]);
  }

  /** Starts a stopped server again (for Kafka, the services' ACLs are granted again, as on any start). */
  async startServer(server: Server): Promise<void> {
    await this.infra.startServers([server]);
  }

  /** Waits until every service answers /health/ready (Mongo, Kafka and Redis reachable); false past the timeout. */
  async allReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set<ServiceName>(SERVICES);
    while (pending.size > 0) {
      for (const service of [...pending]) {
        const answer = await this.call(service, 'GET', '/health/ready', {}, undefined, 5000);
        if (!(answer instanceof Error) && answer.status === 200) pending.delete(service);
      }
      if (pending.size === 0) return true;
      if (Date.now() > deadline) return false;
      await sleep(200);
    }
    return true;
  }

  /** Retires a product in the catalog (as catalog-admin), trying again while the catalog does not answer. */
  async retireProduct(sku: string): Promise<void> {
    const admin = await this.auth({ role: 'catalog-admin' });
    for (const deadline = Date.now() + 60_000; ;) {
      const answer = await this.call('catalog', 'POST', `/products/${sku}/retire`, admin);
      if (!(answer instanceof Error) && answer.status === 200) return;
      if (!(answer instanceof Error) && answer.status < 500) throw new Error(`retiring ${sku}: ${answer.status} ${JSON.stringify(answer.body)}`);
      if (Date.now() > deadline) throw new Error(`retiring ${sku}: no answer within 60 s`);
      await sleep(500);
    }
  }

  auth(who: { partnerId: string } | { role: 'catalog-admin' | 'points-admin' | 'support' }): Promise<Record<string, string>> {
    const key = 'partnerId' in who ? `p:${who.partnerId}` : `r:${who.role}`;
    let token = this.tokens.get(key);
    if (!token) {
      token = 'partnerId' in who ? bearer({ partnerId: who.partnerId }) : bearer({ roles: [who.role] });
      this.tokens.set(key, token);
    }
    return token;
  }

  /** One HTTP request; an Error when no answer came (refused, reset, or no answer within `timeoutMs`). */
  async call(
    service: ServiceName,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<Answer | Error> {
    try {
      const response = await fetch(`${this.url(service)}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** The last lines a service printed, for a failure message. */
  output(service: ServiceName, lines = 30): string {
    return (this.processes.get(service)?.output.join('') ?? '').split('\n').slice(-lines).join('\n');
  }

  /** Stops the services (SIGTERM, SIGKILL after 20 s) and the servers; the data is wiped unless `keep`. */
  async stop(keep = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(
      [...this.processes.values()].map(async (service) => {
        const timer = setTimeout(() => void service.kill(), 20_000);
        await service.stop();
        clearTimeout(timer);
      }),
    );
    this.processes.clear();
    await this.infra.stopServers(this.infra.servers, !keep);
  }
}
