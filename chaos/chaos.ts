/**
 * The fault experiment (issue 12) as a command: on private servers on free ports, the four
 * services as real processes under seeded load over many partners, each service SIGKILLed at
 * random moments and started again, Redis and Kafka restarted, the Mongo server stopped for a
 * few seconds; then the platform is left to settle and every invariant is checked. Prints a
 * table (faults and kill-to-ready, what the load did, saga outcomes and latencies, invariants)
 * and exits 1 when an invariant fails. The table and its figures go to chaos/results/.
 *
 *   npm run chaos                       the full default run (a few minutes on 2 cores)
 *   npm run chaos -- --quick            about a minute: pool, points and contracts killed once, Redis
 *                                       restarted, Mongo stopped (part of npm test)
 *   npm run chaos -- --seed=N           the same plan of requests and faults again
 *   npm run chaos -- --help             the options
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { ChaosExperiment, DEFAULT_OPTIONS, QUICK_OPTIONS, type ChaosOptions } from './experiment';
import { SERVICES } from './lib/platform';
import { newSeed } from './lib/random';

const HELP = `npm run chaos -- [options]
  --quick              about a minute: ${QUICK_OPTIONS.durationS} s of load, fewer partners and faults (below)
  --seed=N             the seed of the requests and the faults (default: a new one, printed)
  --duration=S         seconds of load (default ${DEFAULT_OPTIONS.durationS}; quick ${QUICK_OPTIONS.durationS})
  --partners=N         partners (default ${DEFAULT_OPTIONS.partners}; quick ${QUICK_OPTIONS.partners})
  --clients=N          clients per partner (default ${DEFAULT_OPTIONS.clientsPerPartner}; quick ${QUICK_OPTIONS.clientsPerPartner})
  --rate=N             requests a second, all loops together (default ${DEFAULT_OPTIONS.rate}; quick ${QUICK_OPTIONS.rate})
  --actors=N           concurrent request loops (default ${DEFAULT_OPTIONS.actors}; quick ${QUICK_OPTIONS.actors})
  --kills=N            SIGKILLs of each killed service (default ${DEFAULT_OPTIONS.kills}; quick ${QUICK_OPTIONS.kills})
  --killed=a,b         the services killed (default ${DEFAULT_OPTIONS.killed.join(',')}; quick ${QUICK_OPTIONS.killed.join(',')})
  --servers=a,b        server faults: kafka, redis, mongo, or none (default ${DEFAULT_OPTIONS.servers.join(',')}; quick ${QUICK_OPTIONS.servers.join(',')})
  --mongo-down=S       seconds the Mongo server stays stopped (default ${DEFAULT_OPTIONS.mongoDownS}; quick ${QUICK_OPTIONS.mongoDownS})
  --settle=S           seconds the platform may take to settle (default ${DEFAULT_OPTIONS.settleS}; quick ${QUICK_OPTIONS.settleS})
  --keep               keep the servers' data and the logs (kept anyway when the run fails)
Environment: CHAOS_LOG_LEVEL (the services' log level, default warn).`;

export function parseOptions(argv: string[]): ChaosOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new Error(`unknown argument ${arg}\n${HELP}`);
    flags.set(match[1], match[2] ?? 'true');
  }
  const known = [
    'help',
    'quick',
    'seed',
    'duration',
    'partners',
    'clients',
    'rate',
    'actors',
    'kills',
    'killed',
    'servers',
    'mongo-down',
    'settle',
    'keep',
  ];
  for (const flag of flags.keys()) if (!known.includes(flag)) throw new Error(`unknown option --${flag}\n${HELP}`);
  const base = flags.has('quick') ? QUICK_OPTIONS : DEFAULT_OPTIONS;
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return value;
  };
  const killed = (flags.get('killed') ?? base.killed.join(',')).split(',').filter((s) => s && s !== 'none');
  for (const s of killed) if (!(SERVICES as readonly string[]).includes(s)) throw new Error(`--killed takes ${SERVICES.join(', ')} or none`);
  const servers = (flags.get('servers') ?? base.servers.join(',')).split(',').filter((s) => s && s !== 'none');
  for (const s of servers) if (!['kafka', 'redis', 'mongo'].includes(s)) throw new Error('--servers takes kafka, redis, mongo or none');
  return {
    seed: int('seed', newSeed(), 0, 2 ** 31),
    durationS: int('duration', base.durationS, 5, 24 * 3600),
    partners: int('partners', base.partners, 1, 1000),
    clientsPerPartner: int('clients', base.clientsPerPartner, 1, 100),
    actors: int('actors', base.actors, 1, 200),
    rate: int('rate', base.rate, 1, 10_000),
    kills: int('kills', base.kills, 0, 100),
    killed: [...new Set(killed)] as ChaosOptions['killed'],
    servers: [...new Set(servers)] as ChaosOptions['servers'],
    mongoDownS: int('mongo-down', base.mongoDownS, 1, 600),
    settleS: int('settle', base.settleS, 10, 3600),
    keep: flags.has('keep'),
  };
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const experiment = new ChaosExperiment(parseOptions(process.argv.slice(2)));
  // Ctrl-C or a SIGTERM stops the services and the servers this run started, then exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the services and the servers`);
      void experiment.cleanup(true).finally(() => process.exit(130));
    });
  }
  const result = await experiment.run();
  console.log(`\n${result.text}`);
  // The table and the figures behind it (every fault, every saga's times), for comparing runs.
  const results = join(__dirname, 'results');
  mkdirSync(results, { recursive: true });
  const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${result.report.seed}`;
  const json = JSON.stringify({ ...result.report, counts: Object.fromEntries(result.report.counts) });
  for (const name of ['latest', stamp]) {
    const path = join(results, `${name}.json`);
    // Formatted as the repo's prettier wants it, so `npm run lint` passes with results on disk.
    writeFileSync(path, await prettier.format(json, { ...(await prettier.resolveConfig(path)), filepath: path }));
    writeFileSync(join(results, `${name}.txt`), `${result.text}\n`);
  }
  console.log(`\nwritten: chaos/results/${stamp}.{txt,json} (and latest.*)`);
  if (result.logs) console.log(`\nlogs and data kept in ${result.logs}`);
  return result.passed ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
