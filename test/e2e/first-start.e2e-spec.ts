import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, LocalInfrastructure, serviceEnv, ServiceProcess, uniqueNames } from '@licensing/testing';

/**
 * Issue 12.5: a first start must not fail. Catalog, pool and points start at the same moment
 * against a broker that has never seen them (no topics, no consumer-offsets topic yet,
 * coordinators loading) and race to create the same topics: first with the broker still down
 * when they start, then twice more, each time on a fresh broker.
 */
jest.setTimeout(240_000);

const running: ServiceProcess[] = [];
const brokers: LocalInfrastructure[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await Promise.allSettled(brokers.map((broker) => broker.stopServers(['kafka'], true)));
});

/**
 * A broker of its own, never used, and the services' settings on it under a fresh prefix (taken
 * first: a broker that authenticates grants the services' ACLs on the prefixes in use when it
 * starts, and each service signs in as itself).
 */
async function freshBroker(label: string): Promise<{ broker: LocalInfrastructure; env: (service: string) => Record<string, string> }> {
  const names = uniqueNames(label);
  const broker = await LocalInfrastructure.start(`first-start-${names.id}`, ['kafka']);
  brokers.push(broker);
  const urls = broker.urls() as unknown as Record<string, string | undefined>;
  const env = (service: string) =>
    serviceEnv(names, {
      KAFKA_BROKERS: urls.KAFKA_BROKERS ?? '',
      ...(urls.KAFKA_SERVICES_PASSWORD ? { KAFKA_SASL_PASSWORD: urls.KAFKA_SERVICES_PASSWORD } : {}),
      MONGO_DATABASE: `${names.database}_${service}`,
      QUEUE_PREFIX: `${names.queuePrefix}:${service}`,
      LOG_LEVEL: 'info',
    });
  return { broker, env };
}

const SERVICES = ['catalog', 'pool', 'points'];
const WAITING = 'met a retriable Kafka error; trying again';

/** Starts the three at once; the failures, each with its output. `logDir`: where each also writes what it prints. */
async function startAll(env: (service: string) => Record<string, string>, logDir?: string): Promise<string[]> {
  const started = await Promise.allSettled(
    SERVICES.map((service) =>
      ServiceProcess.start(service, env(service), { readyTimeoutMs: 120_000, ...(logDir ? { logFile: join(logDir, `${service}.log`) } : {}) }),
    ),
  );
  for (const result of started) if (result.status === 'fulfilled') running.push(result.value);
  return started.flatMap((result) => (result.status === 'rejected' ? [String(result.reason).slice(0, 3000)] : []));
}

const saidItWaits = (logDir: string, service: string): boolean => {
  const file = join(logDir, `${service}.log`);
  return existsSync(file) && readFileSync(file, 'utf8').includes(WAITING);
};

describe('a first start of catalog, pool and points together', () => {
  it('waits for a broker that comes up after them, and says why it waits', async () => {
    const { broker, env } = await freshBroker(`${__filename}-late`);
    await broker.stopServers(['kafka']);
    const logDir = mkdtempSync(join(tmpdir(), 'first-start-'));
    const starting = startAll(env, logDir);
    // The broker comes up only once each of them has said it met a retriable error and waits
    // (past kafkajs's own retries of a refused connection, which would otherwise give up).
    await eventually(async () => SERVICES.every((service) => saidItWaits(logDir, service)), 120_000, 500);
    await broker.startServers(['kafka']);
    expect(await starting).toEqual([]);
    expect(running.map((service) => [service.name, service.output.join('').includes(WAITING) || saidItWaits(logDir, service.name)])).toEqual(
      SERVICES.map((service) => [service, true]),
    );
    rmSync(logDir, { recursive: true, force: true });
  });

  for (const round of [1, 2]) {
    it(`has them ready on a fresh broker (round ${round})`, async () => {
      const { env } = await freshBroker(`${__filename}-${round}`);
      expect(await startAll(env)).toEqual([]);
    });
  }
});
