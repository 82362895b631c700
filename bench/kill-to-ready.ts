/**
 * Kill-to-ready of a pool process (issue 12.3): SIGKILL, start a new process at once, and time
 * until its /health/ready answers 200 and until its main consumer group answers a request
 * (contracts.assignment-requested.v1 → pool.reservation-rejected.v1). The same after SIGTERM,
 * where the old process leaves its groups. Each consumer-group setting is run in turn: the
 * settings before issue 12 (session 30 s, heartbeat 3 s, rebalance 60 s), the defaults, and the
 * shortest session the broker accepts.
 *
 *   npm run bench:kill-to-ready
 *
 * Uses KAFKA_BROKERS / MONGO_URL / REDIS_URL when set, else starts private local servers (and
 * stops them after). BENCH_KILLS (default 3) restarts of each kind per setting.
 */
import { ContractsEvents, createEvent, PoolEvents, type AssignmentRequestedV1, type CloudEvent } from '@licensing/events';
import { EventTap, grantTestAcls, LocalInfrastructure, serviceEnv, ServiceProcess, testKafka, uniqueNames, urlsFromEnv } from '@licensing/testing';

const KILLS = Number(process.env.BENCH_KILLS ?? 3);
if (!Number.isInteger(KILLS) || KILLS < 1) throw new Error('BENCH_KILLS must be a positive integer');

const SETTINGS: { label: string; env: Record<string, string> }[] = [
  {
    label: 'before (session 30 s, heartbeat 3 s, rebalance 60 s)',
    env: { CONSUMER_SESSION_TIMEOUT_MS: '30000', CONSUMER_HEARTBEAT_INTERVAL_MS: '3000', CONSUMER_REBALANCE_TIMEOUT_MS: '60000' },
  },
  { label: 'defaults (session 10 s, heartbeat 1 s, rebalance 30 s)', env: {} },
  { label: "the broker's minimum (session 6 s, heartbeat 1 s)", env: { CONSUMER_SESSION_TIMEOUT_MS: '6000' } },
];

interface Run {
  setting: string;
  signal: 'SIGKILL' | 'SIGTERM';
  readyMs: number;
  consumingMs: number;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

async function measure(setting: (typeof SETTINGS)[number]): Promise<Run[]> {
  const names = uniqueNames(`bench-kill-${setting.env.CONSUMER_SESSION_TIMEOUT_MS ?? 'default'}`);
  // On a broker that authenticates, the pool signs in as itself and needs its ACLs under the prefix.
  await grantTestAcls([names.prefix]);
  // The servers' addresses (and credentials) are in process.env, as the test helpers read them.
  const env = serviceEnv(names, { LOG_LEVEL: 'warn', ...setting.env });
  const { publisher } = testKafka(names);
  let tap: EventTap | undefined;
  let pool = await ServiceProcess.start('pool', env, { readyTimeoutMs: 120_000 });
  const runs: Run[] = [];
  let request = 0;
  // A request for a partner with no stock: the pool's main group answers it with a rejection.
  const answered = async (): Promise<void> => {
    const assignmentId = `probe-${request++}`;
    const event = createEvent<AssignmentRequestedV1>({
      type: ContractsEvents.assignmentRequested,
      subject: 'client',
      partnerId: 'bench-partner',
      data: {
        assignmentId,
        partnerId: 'bench-partner',
        clientId: 'client',
        lines: [{ sku: 'NONE', termMonths: 12, quantity: 1 }],
        requestedAt: new Date().toISOString(),
      },
    });
    await publisher.publish([event]);
    await tap?.waitFor(
      (m) =>
        (m.json as CloudEvent)?.type === PoolEvents.reservationRejected &&
        (m.json as CloudEvent<{ assignmentId: string }>).data.assignmentId === assignmentId,
      { timeoutMs: 120_000 },
    );
  };
  try {
    tap = await EventTap.start([`${names.prefix}pool.events`]);
    await answered();
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      for (let i = 0; i < KILLS; i++) {
        if (signal === 'SIGKILL') await pool.kill();
        else await pool.stop();
        const stoppedAt = Date.now();
        pool = await ServiceProcess.start('pool', env, { readyTimeoutMs: 120_000 });
        const readyMs = Date.now() - stoppedAt;
        await answered();
        runs.push({ setting: setting.label, signal, readyMs, consumingMs: Date.now() - stoppedAt });
        console.log(`${setting.label} ${signal} #${i + 1}: ready ${seconds(readyMs)} s, consuming ${seconds(Date.now() - stoppedAt)} s`);
      }
    }
  } finally {
    await Promise.allSettled([pool.stop(), tap?.stop(), publisher.disconnect()]);
  }
  return runs;
}

async function main(): Promise<void> {
  let infra: LocalInfrastructure | undefined;
  let urls = urlsFromEnv();
  if (!urls) {
    console.log('starting local Kafka, Mongo-compatible server and Redis…');
    infra = await LocalInfrastructure.start(`bench-kill-${process.pid}`);
    urls = infra.urls();
  }
  Object.assign(process.env, urls);
  try {
    const runs: Run[] = [];
    for (const setting of SETTINGS) runs.push(...(await measure(setting)));
    console.log('\nkill-to-ready of the pool (seconds from the signal to the new process; median / max)');
    console.log('setting'.padEnd(58), 'signal ', 'ready       ', 'consuming');
    for (const setting of SETTINGS) {
      for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
        const mine = runs.filter((r) => r.setting === setting.label && r.signal === signal);
        const stat = (pick: (r: Run) => number) => {
          const sorted = mine.map(pick).sort((a, b) => a - b);
          return `${seconds(sorted[Math.floor(sorted.length / 2)] ?? NaN)} / ${seconds(sorted[sorted.length - 1] ?? NaN)}`.padEnd(12);
        };
        console.log(
          setting.label.padEnd(58),
          signal,
          stat((r) => r.readyMs),
          stat((r) => r.consumingMs),
        );
      }
    }
  } finally {
    if (infra) await infra.stopServers(infra.servers, true);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
