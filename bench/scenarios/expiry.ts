import { ContractsEvents, type ContractEnteredGraceV1 } from '@licensing/events';
import type { Deployment } from '../lib/deployment';
import type { Saga } from '../lib/open-loop';
import { Progress } from '../lib/progress';
import { sleep, summarize, type Summary } from '../lib/stats';
import { until, type EventWatch } from '../lib/watch';

export interface ExpiryRun extends Summary {
  contracts: number;
  clients: number;
  /** Seconds from the clock advance to the last contract-entered-grace on the topic. */
  seconds: number;
  seededSeconds: number;
  complete: boolean;
}

const DAY = 86_400_000;

/**
 * Scenario (d): `target` contracts reach their end on the same day. Contracts the assignment
 * scenario activated count; more are assigned (closed loop, `window` sagas in flight) until there
 * are `target`. Then the deployment's platform clock moves to their end day and the figure is the
 * time until every one of them is in a contracts.contract-entered-grace.v1 on the topic. The
 * points service is stopped first: a year's jump would otherwise start its monthly renewals.
 */
export async function runExpiry(
  deployment: Deployment,
  watch: EventWatch,
  saga: Saga & { contracts: Map<string, string> },
  options: { target: number; window: number; timeoutMs: number; clients: number },
): Promise<ExpiryRun> {
  const grace = watch.index<ContractEnteredGraceV1>(ContractsEvents.contractEnteredGrace, (d) => d.contractIds);

  const seeding = new Progress('contracts');
  const seedStart = Date.now();
  let inFlight = 0;
  let fired = 0;
  const failures: string[] = [];
  while (saga.contracts.size < options.target) {
    if (inFlight < options.window && saga.contracts.size + inFlight < options.target) {
      inFlight++;
      const i = fired++;
      void saga
        .fire(i, 'expiry-seed')
        .then(async (result) => {
          if ('error' in result) {
            failures.push(result.error);
            return;
          }
          await until(() => saga.outcome(result.id) !== undefined, 120_000);
          const outcome = saga.outcome(result.id);
          if (outcome && !outcome.ok) failures.push(outcome.code);
        })
        // A request cut off (the services stopping under Ctrl-C) is a failure, not a crash that leaves the servers running.
        .catch((error: unknown) => failures.push(error instanceof Error ? error.message : String(error)))
        .finally(() => inFlight--);
      continue;
    }
    if (failures.length > Math.max(50, options.target / 10)) throw new Error(`seeding contracts failed: ${failures.slice(0, 5).join(', ')}`);
    seeding.update(`${saga.contracts.size} / ${options.target} active`);
    await sleep(50);
  }
  await until(() => inFlight === 0, 120_000);
  const seededSeconds = (Date.now() - seedStart) / 1000;
  seeding.done(`${saga.contracts.size} active contracts (${fired} more assigned in ${seededSeconds.toFixed(1)} s)`);

  await deployment.stop(['points']);
  const clockAdmin = await deployment.auth({ role: 'clock-admin' });
  const now = (await deployment.call('contracts', 'GET', '/admin/clock', clockAdmin)).body.now as string;
  const endDay = [...saga.contracts.values()].sort().pop() as string;
  const days = Math.round((Date.parse(endDay) - Date.parse(now.slice(0, 10))) / DAY);
  const ids = [...saga.contracts.keys()];
  const progress = new Progress('expiry');
  const advancedAt = Date.now();
  const moved = await deployment.call('contracts', 'POST', '/admin/clock', clockAdmin, { advance: `${days}d` });
  if (moved.status !== 200) throw new Error(`clock advance: ${moved.status} ${JSON.stringify(moved.body)}`);
  const complete = await until(
    () => ids.every((id) => grace.seen.has(id)),
    options.timeoutMs,
    () => progress.update(`${ids.filter((id) => grace.seen.has(id)).length} / ${ids.length} in grace`),
  );
  const times = ids.map((id) => grace.seen.get(id)?.at).filter((t): t is number => t !== undefined);
  const seconds = (Math.max(...times) - advancedAt) / 1000;
  const run: ExpiryRun = {
    ...summarize(
      times.map((t) => t - advancedAt),
      seconds,
    ),
    contracts: ids.length,
    clients: options.clients,
    seconds,
    seededSeconds,
    complete,
  };
  progress.done(
    `${complete ? '' : 'TIMED OUT: '}${times.length} of ${ids.length} contracts in grace ${seconds.toFixed(1)} s after a ${days}-day advance ` +
      `(${Math.round(run.throughputPerS)}/s)`,
  );
  return run;
}
