import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { grantTestAcls, type TestKafkaEnv } from './kafka-probe';
import { topicPrefixesInUse } from './names';

const run = promisify(execFile);
export const repoRoot = resolve(__dirname, '..', '..', '..');

/** Where the servers are, and how the harness signs in to Kafka (absent: a broker without authentication). */
export interface InfraUrls extends TestKafkaEnv {
  KAFKA_BROKERS: string;
  MONGO_URL: string;
  REDIS_URL: string;
}

/** The one password of the four service principals on a test broker (see infra/README.md). */
export const newServicesPassword = (): string => randomBytes(18).toString('base64url');

export type Server = 'kafka' | 'mongo' | 'redis';

/** A free loopback port, as the OS hands them out. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? '';
  }
  return env;
}

/**
 * Local servers started by the project's own infra scripts, in their own folder and on free
 * ports, so a test run never disturbs a platform started with `npm start`. Its Kafka's service
 * principals share the run's KAFKA_SERVICES_PASSWORD, and each time it starts the services'
 * ACLs are granted under the topic prefixes the test file took.
 */
export class LocalInfrastructure {
  private constructor(
    readonly dir: string,
    private readonly env: Record<string, string>,
    readonly servers: Server[],
  ) {}

  static async start(name: string, servers: Server[] = ['kafka', 'mongo', 'redis']): Promise<LocalInfrastructure> {
    const dir = join(repoRoot, '.infra', name);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      INFRA_DIR: dir,
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      MONGO_PORT: String(await freePort()),
      REDIS_PORT: String(await freePort()),
      KAFKA_SERVICES_PASSWORD: process.env.KAFKA_SERVICES_PASSWORD ?? newServicesPassword(),
    };
    const infra = new LocalInfrastructure(dir, env, servers);
    try {
      await infra.startServers(servers);
    } catch (error) {
      await infra.stopServers(servers, true).catch(() => undefined);
      throw error;
    }
    return infra;
  }

  async startServers(servers: Server[] = this.servers): Promise<void> {
    try {
      await run('bash', [join(repoRoot, 'infra', 'start.sh'), ...servers], { env: this.env, maxBuffer: 10 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(`infra/start.sh ${servers.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
    if (servers.includes('kafka')) await grantTestAcls(topicPrefixesInUse(), this.urls());
  }

  async stopServers(servers: Server[] = this.servers, wipe = false): Promise<void> {
    await run('bash', [join(repoRoot, 'infra', 'stop.sh'), ...servers], {
      env: { ...this.env, INFRA_WIPE: wipe ? '1' : '0' },
    });
    if (wipe && servers.length === this.servers.length) rmSync(this.dir, { recursive: true, force: true });
  }

  urls(): InfraUrls {
    const written = parseEnvFile(readFileSync(join(this.dir, 'env'), 'utf8'));
    return {
      KAFKA_BROKERS: written.KAFKA_BROKERS ?? `127.0.0.1:${this.env.KAFKA_PORT}`,
      MONGO_URL: written.MONGO_URL ?? `mongodb://127.0.0.1:${this.env.MONGO_PORT}`,
      REDIS_URL: written.REDIS_URL ?? `redis://127.0.0.1:${this.env.REDIS_PORT}`,
      ...(written.KAFKA_SASL_PASSWORD
        ? {
            KAFKA_OPERATOR_USERNAME: written.KAFKA_SASL_USERNAME ?? 'operator',
            KAFKA_OPERATOR_PASSWORD: written.KAFKA_SASL_PASSWORD,
            KAFKA_SERVICES_PASSWORD: this.env.KAFKA_SERVICES_PASSWORD,
          }
        : {}),
    };
  }

  get ports(): { kafka: number; mongo: number; redis: number } {
    return { kafka: Number(this.env.KAFKA_PORT), mongo: Number(this.env.MONGO_PORT), redis: Number(this.env.REDIS_PORT) };
  }
}

export function dockerAnswers(): boolean {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, stdio: 'ignore' });
  return result.status === 0;
}

/**
 * Servers given by the environment. On a Kafka that authenticates its clients the harness needs
 * the operator's credentials (KAFKA_OPERATOR_USERNAME/PASSWORD, or KAFKA_SASL_USERNAME/PASSWORD
 * as in `.infra/local/env`) and KAFKA_SERVICES_PASSWORD, the password of the four service users.
 */
export function urlsFromEnv(): InfraUrls | undefined {
  const { KAFKA_BROKERS, MONGO_URL, REDIS_URL, KAFKA_SERVICES_PASSWORD } = process.env;
  if (!KAFKA_BROKERS || !MONGO_URL || !REDIS_URL) return undefined;
  const username = process.env.KAFKA_OPERATOR_USERNAME ?? process.env.KAFKA_SASL_USERNAME;
  const password = process.env.KAFKA_OPERATOR_PASSWORD ?? process.env.KAFKA_SASL_PASSWORD;
  return {
    KAFKA_BROKERS,
    MONGO_URL,
    REDIS_URL,
    ...(password ? { KAFKA_OPERATOR_USERNAME: username ?? 'operator', KAFKA_OPERATOR_PASSWORD: password } : {}),
    ...(KAFKA_SERVICES_PASSWORD ? { KAFKA_SERVICES_PASSWORD } : {}),
  };
}
