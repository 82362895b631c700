/**
 * The options of the fault experiment (`npm run chaos -- --help`), apart from the command so the
 * quick run in npm test can read them without loading what only the command needs (prettier,
 * whose CommonJS entry starts a dynamic import that jest's module sandbox refuses).
 */
import { DEFAULT_OPTIONS, QUICK_OPTIONS, type ChaosOptions } from './experiment';
import { SERVICES } from './lib/platform';
import { newSeed } from './lib/random';

export const HELP = `npm run chaos -- [options]
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
