/**
 * The benchmark (issue 10): in one run, on the same private servers, what Kafka, the
 * Mongo-compatible server and Redis can do (the ceilings), then the platform's figures, each
 * beside the ceiling that bounds it.
 *
 *   npm run bench                 the full default run (a few minutes on 2 cores)
 *   npm run bench -- --quick      a smoke run
 *   npm run bench -- --help       the options
 *
 * Scenarios: (c) pool reservations on one hot partner and on many; (a) the assignment saga and
 * (b) the exchange saga end to end, open loop at stepped rates up to saturation; (e) the pool and
 * points ledgers rebuilt from their topics; (d) contracts reaching their end on one day after a
 * clock advance. Results: bench/results/latest.{json,html,txt} and a copy per date.
 */
import { caughtUp, LocalInfrastructure, repoRoot, testKafkaClient, urlsFromEnv, type InfraUrls } from '@licensing/testing';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { measureCeilings, type Ceiling, type CeilingKey } from './lib/ceilings';
import { Deployment, stopAllServices } from './lib/deployment';
import { sleep } from './lib/stats';
import { sweep, type Sweep } from './lib/open-loop';
import { step } from './lib/progress';
import { LoadSampler, row, save, table, type Results, type ScenarioRow } from './lib/report';
import { EventWatch } from './lib/watch';
import { runExpiry } from './scenarios/expiry';
import { seedPlatform } from './scenarios/platform';
import { runReplay } from './scenarios/replay';
import { runReservations } from './scenarios/reservations';
import { assignmentSaga, exchangeSaga } from './scenarios/sagas';

const run = promisify(execFile);

const SCENARIOS = ['ceilings', 'a', 'b', 'c', 'd', 'e'] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

interface Options {
  quick: boolean;
  scenarios: Set<ScenarioKey>;
  ceilingSeconds: number;
  kafkaMessages: number;
  reservations: number;
  reservationWindow: number;
  stepSeconds: number;
  drainSeconds: number;
  assignmentRates: number[];
  exchangeRates: number[];
  partners: number;
  clientsPerPartner: number;
  expiryContracts: number;
  serversFromEnv: boolean;
  save: boolean;
}

const HELP = `npm run bench -- [options]
  --quick                     a smoke run (small sizes, two short steps per saga)
  --scenarios=a,b,c,d,e       which to run (ceilings always run; default all)
  --step-seconds=N            length of each open-loop step (default 10; quick 3)
  --assignment-rates=R,R,...  offered rates of the assignment saga, per second
  --exchange-rates=R,R,...    offered rates of the exchange saga, per second
  --reservations=N            assignments per run of scenario (c) (default 1000; quick 50)
  --reservation-window=N      of which at most N in flight at once (default 50)
  --partners=N                partners of the sagas (default 60)
  --clients-per-partner=N     clients each partner assigns to (default 10)
  --expiry-contracts=N        contracts that reach their end on one day, (d) (default 2000, up to 100000)
  --ceiling-seconds=N         length of each ceiling measurement (default 3)
  --kafka-messages=N          messages of the Kafka ceilings (default 60000)
  --servers-from-env          use KAFKA_BROKERS / MONGO_URL / REDIS_URL (and their credentials) instead of private servers
  --no-save                   print only, write nothing to bench/results`;

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new Error(`unknown argument ${arg}\n${HELP}`);
    flags.set(match[1], match[2] ?? 'true');
  }
  if (flags.has('help')) {
    console.log(HELP);
    process.exit(0);
  }
  const known = ['quick', 'scenarios', 'step-seconds', 'assignment-rates', 'exchange-rates', 'reservations', 'reservation-window', 'partners'];
  known.push('clients-per-partner');
  known.push('expiry-contracts', 'ceiling-seconds', 'kafka-messages', 'servers-from-env', 'no-save');
  for (const flag of flags.keys()) if (!known.includes(flag)) throw new Error(`unknown option --${flag}\n${HELP}`);
  const quick = flags.has('quick');
  const int = (name: string, fallback: number, max = 10_000_000): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
    return value;
  };
  const seconds = (name: string, fallback: number): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!(value >= 0.1 && value <= 3600)) throw new Error(`--${name} must be a number of seconds from 0.1 to 3600`);
    return value;
  };
  const rates = (name: string, fallback: number[]): number[] => {
    const text = flags.get(name);
    if (!text) return fallback;
    const values = text.split(',').map(Number);
    if (values.some((v) => !(v > 0))) throw new Error(`--${name} takes positive rates, e.g. 10,20,40`);
    return values;
  };
  const scenarios = new Set<ScenarioKey>(['ceilings']);
  for (const s of (flags.get('scenarios') ?? 'a,b,c,d,e').split(',')) {
    if (!SCENARIOS.includes(s as ScenarioKey)) throw new Error(`--scenarios takes a,b,c,d,e`);
    scenarios.add(s as ScenarioKey);
  }
  return {
    quick,
    scenarios,
    ceilingSeconds: seconds('ceiling-seconds', quick ? 0.5 : 3),
    kafkaMessages: int('kafka-messages', quick ? 5000 : 60_000),
    reservations: int('reservations', quick ? 50 : 1000),
    reservationWindow: int('reservation-window', 50, 100_000),
    stepSeconds: seconds('step-seconds', quick ? 2 : 10),
    drainSeconds: 60,
    assignmentRates: rates('assignment-rates', quick ? [10, 30] : [5, 10, 20, 40, 60, 80, 120, 160, 240]),
    exchangeRates: rates('exchange-rates', quick ? [10, 30] : [10, 20, 40, 80, 120, 160, 240, 320]),
    partners: int('partners', quick ? 6 : 60, 1000),
    clientsPerPartner: int('clients-per-partner', quick ? 2 : 10, 10_000),
    expiryContracts: int('expiry-contracts', quick ? 100 : 2000, 100_000),
    serversFromEnv: flags.has('servers-from-env'),
    save: !flags.has('no-save'),
  };
}

/** What bounds each figure: the ceiling it is compared with, and what in the code spends it. */
const BOUNDS: Record<string, string> = {
  'pool reservations':
    'Mongo saves. Each assignment costs the pool two version-checked saves of the partner document (reserve, commit), each followed by the ' +
    'outbox relay publishing its event alone and pulling it in one more write, plus a ledger insert per event (pool-ledger group) and a ' +
    'BullMQ timeout job in Redis per reservation. One consumer handles one event per write: one hot partner is one document and one ' +
    'partition, so its events are applied one after another; 60 partners spread over 6 partitions (3 consumed concurrently by default).',
  'assignment saga':
    'Mongo saves, spread over documents. One saga is, in order: the contracts service writes the saga key record and the client document ' +
    '(assignment-requested in its outbox), the relay publishes and pulls; the pool saves the reservation, publishes, pulls, inserts a ' +
    'ledger row and schedules a timeout job; contracts saves the activation, publishes, pulls; the pool commits, publishes, pulls, inserts ' +
    'a ledger row; the saga records projection updates its record. Roughly a dozen single-document writes and four one-event Kafka sends ' +
    'per saga, each hop a consumer that applies one event per write.',
  'exchange saga':
    'Mongo saves. The wallet is saved with the debit (exchange-debited in its outbox), published and pulled; the pool credits the monthly ' +
    'licenses in the partner document, publishes, pulls, inserts a ledger row; the wallet is saved again with the completion, published ' +
    'and pulled; the points projections insert a ledger entry and the exchange history. About ten writes and three one-event sends per exchange.',
  'contracts to grace':
    'Mongo saves by one writer: after the clock moves, the lifecycle sweep pages through the clients due (by nextDueOn) and handles them ' +
    'one after another: load, save the client document once (all its contracts ending that day enter grace in that write, one ' +
    'contract-entered-grace per service), then the relay publishes and pulls. So it is compared with the one-writer save rate; the ' +
    'figure counts contracts, so several contracts per client can push the ratio past what one write per event would allow.',
  replay:
    "Mongo inserts: npm run replay applies each event with the projection's own handler, one insert per event (a pool event of n lines is " +
    'one insertMany of n rows), so it is compared with single inserts; Kafka consume and bulk inserts show what batching would reach. ' +
    'The figure is events read per second, the consumer group join included.',
};

/**
 * What is left of this run's service processes (one still starting when the run was interrupted,
 * or one that did not stop within 30 s) is a child of this process: killed by its pid.
 */
async function killChildren(): Promise<void> {
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(process.pid)]).catch(() => ({ stdout: '' }));
  for (const pid of stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already (the ps itself, or a service that just stopped)
    }
  }
}

/** Waits until the services' consumer groups have read everything on their topics (a quiet platform between steps). */
async function settled(deployment: Deployment, urls: InfraUrls): Promise<void> {
  const p = deployment.names.prefix;
  const pairs: [string, string][] = [
    [`${p}pool`, deployment.topic('contracts')],
    [`${p}pool`, deployment.topic('points')],
    [`${p}contracts`, deployment.topic('pool')],
    [`${p}contracts-records`, deployment.topic('contracts')],
    [`${p}pool-ledger`, deployment.topic('pool')],
    [`${p}points-exchange-saga`, deployment.topic('pool')],
    [`${p}points-projections`, deployment.topic('points')],
  ];
  const admin = testKafkaClient('operator', urls).admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      if ((await Promise.all(pairs.map(([group, topic]) => caughtUp(admin, group, topic)))).every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log('  (the consumer groups had not caught up after 2 minutes; going on)');
  } finally {
    await admin.disconnect();
  }
}

function sweepRows(name: string, result: Sweep, ceiling: Ceiling | undefined): ScenarioRow[] {
  const rows = result.steps.map((s) =>
    row(`${name} @ ${s.offeredPerS}/s offered`, s, ceiling, {
      offeredPerS: s.offeredPerS,
      count: s.count,
      ...(s.saturated ? { note: `saturated${s.rejected + s.errors + s.unfinished ? `; ${JSON.stringify(s.codes)}` : ''}` } : {}),
    }),
  );
  const best = result.steps.reduce((a, b) => (b.throughputPerS > a.throughputPerS ? b : a));
  rows.push(
    row(`${name}: most per second${result.saturated ? '' : ' (not saturated)'}, at ${best.offeredPerS}/s offered`, best, ceiling, {
      offeredPerS: best.offeredPerS,
      count: best.count,
    }),
  );
  if (result.half) {
    rows.push(
      row(`${name} @ half of saturation (${result.half.offeredPerS}/s)`, result.half, ceiling, {
        offeredPerS: result.half.offeredPerS,
        count: result.half.count,
      }),
    );
  }
  return rows;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const sampler = new LoadSampler();
  const startedAt = new Date().toISOString();
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  console.log(`npm run bench${options.quick ? ' --quick' : ''}: load average (1 min) ${sampler.start.toFixed(2)} at the start`);

  let infra: LocalInfrastructure | undefined;
  let urls: InfraUrls | undefined = options.serversFromEnv ? urlsFromEnv() : undefined;
  if (options.serversFromEnv && !urls) throw new Error('--servers-from-env: KAFKA_BROKERS, MONGO_URL and REDIS_URL must be set');
  const infraName = `bench-${process.pid}`;
  const stopEverything = async (): Promise<void> => {
    await Promise.race([stopAllServices(), sleep(30_000)]);
    await killChildren();
    if (infra) await infra.stopServers(infra.servers, true);
    else if (!urls) {
      await run('bash', [join(repoRoot, 'infra', 'stop.sh')], {
        env: { ...process.env, INFRA_DIR: join(repoRoot, '.infra', infraName), INFRA_WIPE: '1' },
      }).catch(() => undefined);
      rmSync(join(repoRoot, '.infra', infraName), { recursive: true, force: true });
    }
  };
  // Once, whoever asks first (the end of the run, its failure or a signal); the others wait for it.
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => (cleaning ??= stopEverything());
  // Ctrl-C or a kill: the services and servers this run started go with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the services and servers of this run`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    if (!urls) {
      step('private servers (Kafka, Mongo-compatible server, Redis) on free ports');
      infra = await LocalInfrastructure.start(infraName);
      urls = infra.urls();
    }
    // The test helpers (serviceEnv, grants) read the servers from the environment.
    Object.assign(process.env, urls);
    const servers = urls;

    const wants = (key: ScenarioKey) => options.scenarios.has(key);
    const platformWanted = wants('a') || wants('b') || wants('d') || wants('e');
    const startServices = () =>
      Promise.all([
        wants('c') ? Deployment.start('bench-pool', ['pool'], servers, { POOL_RESERVATION_TIMEOUT_MS: String(30 * 60_000) }) : undefined,
        platformWanted ? Deployment.start('bench', ['catalog', 'pool', 'contracts', 'points'], servers) : undefined,
      ]);
    const measure = () =>
      measureCeilings(servers, {
        seconds: options.ceilingSeconds,
        kafkaMessages: options.kafkaMessages,
        prefix: `bench-${process.pid}.`,
        database: `bench_${process.pid}`,
      });
    let ceilings: Ceiling[];
    let poolOnly: Deployment | undefined;
    let platform: Deployment | undefined;
    if (options.quick) {
      // A smoke run: the services start while the ceilings are measured (so those figures mean little).
      step('ceilings, while the services start');
      [ceilings, [poolOnly, platform]] = await Promise.all([measure(), startServices()]);
    } else {
      step('ceilings (nothing else running)');
      ceilings = await measure();
      step('starting the services');
      [poolOnly, platform] = await startServices();
    }
    const ceiling = (key: CeilingKey) => ceilings.find((c) => c.key === key);
    const scenarios: ScenarioRow[] = [];
    const sweeps: Results['sweeps'] = [];

    if (poolOnly) {
      const spread = Math.min(60, Math.max(2, options.partners));
      step(`(c) pool reservations: one hot partner, then ${spread} partners (the pool alone; the bench plays the contracts service)`);
      const runs = await runReservations(poolOnly, servers, {
        requests: options.reservations,
        partners: [1, spread],
        warmUp: Math.min(200, Math.ceil(options.reservations / 5)),
        window: options.reservationWindow,
        timeoutMs: 10 * 60_000,
      });
      await poolOnly.stop();
      for (const [partners, run] of runs) {
        const name = partners === 1 ? 'pool reservations, 1 hot partner' : `pool reservations, ${partners} partners`;
        scenarios.push(
          row(name, run, ceiling(partners === 1 ? 'mongoSaveHot' : 'mongoSaveSpread'), {
            count: run.requests,
            note: `${run.requests} reserved and committed, ${options.reservationWindow} in flight${run.rejected ? `; ${run.rejected} rejected` : ''}`,
          }),
        );
      }
    }

    if (platform) {
      const watch = await EventWatch.start([platform.topic('contracts'), platform.topic('points')], servers);
      try {
        step('seeding the platform over HTTP');
        const seeded = await seedPlatform(platform, { partners: options.partners, clientsPerPartner: options.clientsPerPartner, stock: 500_000 });
        const assignment = assignmentSaga(platform, watch, seeded);
        const stepping = {
          seconds: options.stepSeconds,
          drainMs: options.drainSeconds * 1000,
          half: !options.quick,
          settle: () => settled(platform, servers),
        };

        if (wants('a')) {
          step('(a) assignment saga, HTTP accept → contracts.contract-activated.v1, open loop');
          const result = await sweep(assignment, 'assignment', { rates: options.assignmentRates, ...stepping });
          sweeps.push({ name: 'assignment saga', steps: result.steps, ...(result.half ? { half: result.half } : {}) });
          scenarios.push(...sweepRows('assignment saga', result, ceiling('mongoSaveSpread')));
        }
        if (wants('b')) {
          step('(b) exchange saga, HTTP accept → points.exchange-completed.v1, open loop');
          const result = await sweep(exchangeSaga(platform, watch, seeded), 'exchange', { rates: options.exchangeRates, ...stepping });
          sweeps.push({ name: 'exchange saga', steps: result.steps, ...(result.half ? { half: result.half } : {}) });
          scenarios.push(...sweepRows('exchange saga', result, ceiling('mongoSaveSpread')));
        }
        if (wants('e')) {
          step('(e) replay (npm run replay): the pool ledger and the points ledger rebuilt from their topics into empty collections');
          for (const run of await runReplay(platform, servers)) {
            scenarios.push(
              row(`replay ${run.name}`, { throughputPerS: run.throughputPerS, p50Ms: NaN, p99Ms: NaN }, ceiling('mongoInsertOne'), {
                count: run.events,
                note: `${run.events} events → ${run.rows} rows in ${run.seconds.toFixed(1)} s with npm run replay's code; totals ${run.totalsEqual ? 'equal' : `DIFFERENT: ${JSON.stringify(run.difference)}`}`,
              }),
            );
          }
        }
        if (wants('d')) {
          step(`(d) ${options.expiryContracts} contracts reaching their end on one day, after a clock advance`);
          const run = await runExpiry(platform, watch, assignment, {
            target: options.expiryContracts,
            window: 64,
            timeoutMs: Math.max(180_000, options.expiryContracts * 10),
            clients: seeded.partners.length * seeded.clients.length,
          });
          scenarios.push(
            row(`contracts to grace (${run.contracts} contracts, ${run.clients} clients)`, run, ceiling('mongoSaveHot'), {
              count: run.contracts,
              note: `${run.complete ? 'all' : 'NOT ALL'} in grace ${run.seconds.toFixed(1)} s after the advance; latency from the advance`,
            }),
          );
        }
      } finally {
        await watch.stop();
      }
    }

    const machine = sampler.machine();
    const results: Results = {
      machine,
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: options.quick,
      options: { ...options, scenarios: [...options.scenarios] },
      ceilings: ceilings.map((c) => ({ ...c, perS: Math.round(c.perS) })),
      scenarios,
      sweeps,
      bounds: BOUNDS,
    };
    const text = table(results);
    step('results');
    console.log(text);
    if (options.save) {
      const dir = join(__dirname, 'results', options.quick ? 'quick' : '');
      const written = await save(dir, results, text, !options.quick);
      console.log(`\nwritten: ${written.map((f) => f.replace(`${join(__dirname, '..')}/`, '')).join(', ')}`);
    }
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
