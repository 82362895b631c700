import { LocalInfrastructure, serviceEnv, ServiceProcess, uniqueNames } from '@licensing/testing';

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

/** Starts the three at once; the failures, each with its output. */
async function startAll(env: (service: string) => Record<string, string>): Promise<string[]> {
  const started = await Promise.allSettled(
    ['catalog', 'pool', 'points'].map((service) => ServiceProcess.start(service, env(service), { readyTimeoutMs: 120_000 })),
  );
  for (const result of started) if (result.status === 'fulfilled') running.push(result.value);
  return started.flatMap((result) => (result.status === 'rejected' ? [String(result.reason).slice(0, 3000)] : []));
}

describe('a first start of catalog, pool and points together', () => {
  it('waits for a broker that comes up 25 s after them, and says why it waits', async () => {
    const { broker, env } = await freshBroker(`${__filename}-late`);
    await broker.stopServers(['kafka']);
    const starting = startAll(env);
    // Longer than kafkajs's own retries of a refused connection (about 16 s).
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    await broker.startServers(['kafka']);
    expect(await starting).toEqual([]);
    const said = running.map((service) => [service.name, service.output.join('').includes('met a retriable Kafka error; trying again')]);
    expect(said).toEqual([
      ['catalog', true],
      ['pool', true],
      ['points', true],
    ]);
  });

  for (const round of [1, 2]) {
    it(`has them ready on a fresh broker (round ${round})`, async () => {
      const { env } = await freshBroker(`${__filename}-${round}`);
      expect(await startAll(env)).toEqual([]);
    });
  }
});
