import type { RunningService } from '@licensing/service-kit';
import { eventually, LocalInfrastructure, serviceEnv, uniqueNames } from '@licensing/testing';
import { catalogConfig, startCatalog } from '../src/catalog.module';

// This file stops and restarts servers, so it runs its own Kafka and Redis, not the shared ones.
const names = uniqueNames(__filename);
let infra: LocalInfrastructure;
let catalog: RunningService;

const readiness = async () => {
  const response = await catalog.http.inject({ method: 'GET', url: '/health/ready' });
  return { status: response.statusCode, body: response.json() as { status: string; checks: Record<string, { status: string }> } };
};

beforeAll(async () => {
  infra = await LocalInfrastructure.start(`health-${names.id}`, ['kafka', 'redis']);
  const { KAFKA_BROKERS, REDIS_URL } = infra.urls();
  catalog = await startCatalog(catalogConfig(serviceEnv(names, { KAFKA_BROKERS, REDIS_URL })));
}, 120_000);

afterAll(async () => {
  await catalog?.close();
  await infra?.stopServers(['kafka', 'redis'], true);
});

describe('/health/ready', () => {
  it('is ready when its consumers have joined and Mongo, Kafka and Redis answer, and /health/live answers regardless', async () => {
    expect(await readiness()).toEqual({
      status: 200,
      body: { status: 'ready', checks: { consumers: { status: 'up' }, mongo: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'up' } } },
    });
    expect((await catalog.http.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('turns not-ready while Redis is stopped and ready again when it is back', async () => {
    await infra.stopServers(['redis']);
    const down = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 ? r : undefined;
    });
    expect(down.body.checks.redis?.status).toBe('down');
    expect(down.body.checks.mongo?.status).toBe('up');
    expect((await catalog.http.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await infra.startServers(['redis']);
    await eventually(async () => (await readiness()).status === 200, 30_000);
  });

  it('turns not-ready while Kafka is stopped and ready again when it is back', async () => {
    await infra.stopServers(['kafka']);
    const down = await eventually(async () => {
      const r = await readiness();
      return r.status === 503 ? r : undefined;
    });
    expect(down.body.checks.kafka?.status).toBe('down');
    expect(down.body.checks.redis?.status).toBe('up');
    await infra.startServers(['kafka']);
    await eventually(async () => (await readiness()).status === 200, 45_000);
  }, 90_000);
});
