import { eventually, LocalInfrastructure, serviceEnv, ServiceProcess, uniqueNames } from '@licensing/testing';

/**
 * Issue 12.4: every line a service prints is a JSON log line naming the service, also while its
 * Redis is away (ioredis, BullMQ queues and workers, kafkajs all go through the service's
 * logger), and an outage does not flood the log.
 */
jest.setTimeout(120_000);

const names = uniqueNames(__filename);
let redis: LocalInfrastructure;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  redis = await LocalInfrastructure.start(`redis-${names.id}`, ['redis']);
});

afterAll(async () => {
  await Promise.allSettled(processes.map((p) => p.kill()));
  await redis?.stopServers(['redis'], true);
});

const ready = async (service: ServiceProcess) => (await service.fetch('/health/ready').catch(() => undefined))?.status === 200;

describe('logs while Redis is away for a few seconds', () => {
  it('are JSON lines with the service name, from pool and points, and a few of them', async () => {
    const env = (service: string) =>
      serviceEnv(names, {
        REDIS_URL: redis.urls().REDIS_URL,
        MONGO_DATABASE: `${names.database}_${service}`,
        QUEUE_PREFIX: `${names.queuePrefix}:${service}`,
        LOG_LEVEL: 'info',
      });
    // One after the other: two services creating the same topics at once is issue 12.5's test.
    processes.push(await ServiceProcess.start('pool', env('pool')));
    processes.push(await ServiceProcess.start('points', env('points')));

    await redis.stopServers(['redis']);
    await eventually(async () => !(await ready(processes[0]!)) && !(await ready(processes[1]!)), 20_000);
    const awayFrom = Date.now();
    // The outage itself: long enough for every client to fail, retry and complain.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6000 - (Date.now() - awayFrom))));
    await redis.startServers(['redis']);
    for (const service of processes) await eventually(() => ready(service), 30_000);

    for (const service of processes) {
      const lines = service.output
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '');
      const notJson = lines.filter((line) => {
        try {
          const parsed = JSON.parse(line) as { service?: string; level?: string };
          return parsed.service !== service.name || typeof parsed.level !== 'string';
        } catch {
          return true;
        }
      });
      expect({ service: service.name, notJson }).toEqual({ service: service.name, notJson: [] });
      // Rate-limited: a few lines per failing client, not one per reconnection attempt.
      expect({ service: service.name, lines: lines.length < 150 }).toEqual({ service: service.name, lines: true });
    }
  });
});
