import { caughtUp, testKafkaClient, type InfraUrls } from '@licensing/testing';
import mongoose from 'mongoose';
import { projectionNamed, replay } from '../../scripts/replay';
import type { Deployment } from '../lib/deployment';
import { Progress } from '../lib/progress';

export interface ReplayRun {
  name: string;
  events: number;
  rows: number;
  seconds: number;
  throughputPerS: number;
  totalsEqual: boolean;
  /** Keys whose totals differ: [live, rebuilt]. */
  difference: Record<string, [number, number]>;
}

/**
 * Scenario (e): `npm run replay`'s own code (scripts/replay.ts, run in this process as the
 * operator) rebuilds the pool's movement ledger and the points ledger from their topics into
 * empty collections of a scratch database and compares their totals (per partner, sku and term;
 * per partner and kind) with the live projections, which are caught up first. The figure is
 * events read and applied per second, the consumer group's join included.
 */
export async function runReplay(deployment: Deployment, urls: InfraUrls): Promise<ReplayRun[]> {
  const kafka = testKafkaClient('operator', urls);
  const admin = kafka.admin();
  await admin.connect();
  const groups: [string, string][] = [
    [`${deployment.names.prefix}pool-ledger`, deployment.topic('pool')],
    [`${deployment.names.prefix}points-projections`, deployment.topic('points')],
  ];
  let live = false;
  for (const deadline = Date.now() + 120_000; !live && Date.now() < deadline;) {
    live = (await Promise.all(groups.map(([group, topic]) => caughtUp(admin, group, topic)))).every(Boolean);
    if (!live) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await admin.disconnect();
  if (!live) throw new Error('the live ledgers did not catch up with their topics within 2 minutes');

  const runs: ReplayRun[] = [];
  for (const [name, service] of [
    ['pool-ledger', 'pool'],
    ['points-ledger', 'points'],
  ] as const) {
    const projection = projectionNamed(name);
    if (!projection) throw new Error(`npm run replay knows no projection ${name}`);
    const connection = await mongoose.createConnection(urls.MONGO_URL, { dbName: deployment.database(service) }).asPromise();
    const scratch = connection.useDb(`${deployment.database(service)}_replay`);
    const progress = new Progress(`replay ${name}`);
    try {
      const result = await replay(projection, {
        kafka,
        live: connection,
        target: scratch,
        topicPrefix: deployment.names.prefix,
        progress: (line) => progress.update(line),
      });
      const seconds = result.ms / 1000;
      const totalsEqual = Object.keys(result.difference).length === 0;
      progress.done(
        `${result.events} events (${result.applied} applied) in ${seconds.toFixed(1)} s, ${Math.round(result.events / seconds)}/s; ` +
          `${result.rebuilt.documents ?? 0} rows; totals ${totalsEqual ? 'equal to the live ones' : `DIFFERENT: ${JSON.stringify(result.difference)}`}`,
      );
      runs.push({
        name,
        events: result.events,
        rows: result.rebuilt.documents ?? 0,
        seconds,
        throughputPerS: result.events / seconds,
        totalsEqual,
        difference: result.difference,
      });
    } finally {
      await scratch.dropDatabase().catch(() => undefined);
      await connection.close();
    }
  }
  return runs;
}
