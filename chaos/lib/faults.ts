import type { ChaosPlatform, ServiceName } from './platform';
import type { Random } from './random';

type FaultKind =
  | { kind: 'kill'; service: ServiceName }
  | { kind: 'restart'; server: 'kafka' | 'redis' }
  | { kind: 'stop'; server: 'mongo'; downMs: number }
  | { kind: 'retire'; sku: string };
export type Fault = FaultKind & { atMs: number };

/** What one fault did: from its start until every service answered /health/ready again. */
export interface FaultRecord {
  label: string;
  kind: Fault['kind'];
  startedAt: number;
  endedAt: number;
  /** SIGKILL to the new process ready; a server's stop to every service ready again. */
  readyMs: number;
  /** A server fault's phases: how long the stop took, the start, then the services to be ready. */
  detail?: string;
  error?: string;
}

export function faultLabel(fault: FaultKind): string {
  switch (fault.kind) {
    case 'kill':
      return `SIGKILL ${fault.service}`;
    case 'restart':
      return `${fault.server} restart`;
    case 'stop':
      return `${fault.server} stopped ${Math.round(fault.downMs / 1000)} s`;
    case 'retire':
      return `${fault.sku} retired`;
  }
}

/**
 * The faults of a run at seeded moments: `kills` SIGKILLs of each `killed` service, a restart of Redis
 * and of Kafka, the Mongo server stopped for `mongoDownMs`. The load's span (from 8 % to 80 %
 * of it, so the last fault has recovered before the load ends) is cut into one slot per fault,
 * the faults shuffled into the slots and each placed at random within its own, so they never
 * pile up and the same seed gives the same plan.
 */
export function planFaults(
  random: Random,
  durationMs: number,
  options: { kills: number; killed: ServiceName[]; servers: ('kafka' | 'redis' | 'mongo')[]; mongoDownMs: number; retire: string },
): Fault[] {
  const faults: FaultKind[] = [];
  for (let i = 0; i < options.kills; i++) for (const service of options.killed) faults.push({ kind: 'kill', service });
  for (const server of options.servers) {
    faults.push(server === 'mongo' ? { kind: 'stop', server, downMs: options.mongoDownMs } : { kind: 'restart', server });
  }
  for (let i = faults.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [faults[i], faults[j]] = [faults[j] as FaultKind, faults[i] as FaultKind];
  }
  const start = 0.08 * durationMs;
  const slot = (0.72 * durationMs) / Math.max(1, faults.length);
  const plan: Fault[] = faults.map((fault, i) => ({ ...fault, atMs: Math.round(start + slot * (i + random.next() * 0.6)) }));
  // The retirement comes right after the pool's first restart (or halfway): a pool working off a
  // backlog may learn of it before it reaches the exchanges of that product points took.
  const firstPoolKill = plan.findIndex((f) => f.kind === 'kill' && f.service === 'pool');
  const retirement: Fault = { kind: 'retire', sku: options.retire, atMs: firstPoolKill >= 0 ? (plan[firstPoolKill] as Fault).atMs : durationMs / 2 };
  const at = firstPoolKill >= 0 ? firstPoolKill + 1 : plan.findIndex((f) => f.atMs > retirement.atMs);
  plan.splice(at < 0 ? plan.length : at, 0, retirement);
  return plan;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the faults one after another at their moments from `startedAt` (a fault whose moment
 * passed while the one before was still recovering runs at once). A killed service is started
 * again at once, as a supervisor would; a stopped server is started again and the fault lasts
 * until every service is ready. Stops at the first fault the platform does not recover from
 * (resolves false): what follows would only measure the wreck.
 */
export async function runFaults(
  platform: ChaosPlatform,
  faults: Fault[],
  startedAt: number,
  log: (line: string) => void,
  records: FaultRecord[],
): Promise<boolean> {
  const took = (from: number, to: number) => `${((to - from) / 1000).toFixed(1)} s`;
  for (const fault of faults) {
    await sleep(Math.max(0, startedAt + fault.atMs - Date.now()));
    const label = faultLabel(fault);
    const begin = Date.now();
    let error: string | undefined;
    let detail: string | undefined;
    try {
      if (fault.kind === 'kill') {
        await platform.killAndRestart(fault.service);
      } else if (fault.kind === 'retire') {
        await platform.retireProduct(fault.sku);
      } else {
        await platform.stopServer(fault.server);
        const stopped = Date.now();
        if (fault.kind === 'stop') await sleep(fault.downMs);
        const restart = Date.now();
        await platform.startServer(fault.server);
        const up = Date.now();
        if (!(await platform.allReady(180_000))) error = 'the services were not all ready 180 s after the server came back';
        detail = `stop ${took(begin, stopped)}, start ${took(restart, up)}, then the services ${took(up, Date.now())}`;
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const end = Date.now();
    records.push({
      label,
      kind: fault.kind,
      startedAt: begin,
      endedAt: end,
      readyMs: end - begin,
      ...(detail ? { detail } : {}),
      ...(error ? { error } : {}),
    });
    const outcome = error ? `FAILED: ${error.slice(0, 2000)}` : `ready after ${took(begin, end)}${detail ? ` (${detail})` : ''}`;
    log(`  ${took(startedAt, begin).padStart(8)}  ${label}: ${outcome}`);
    if (error) return false;
  }
  return true;
}
