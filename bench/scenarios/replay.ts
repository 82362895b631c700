import { PointsEvents, type CloudEvent } from '@licensing/events';
import { caughtUp, testKafkaClient, type InfraUrls } from '@licensing/testing';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { PointsProjectionsMessageController } from '../../services/points/src/projections/points-projections.message.controller';
import type { ExchangeHistoryRepository } from '../../services/points/src/projections/exchange-history.repository';
import type { LedgerEntry, LedgerRepository } from '../../services/points/src/projections/ledger.repository';
import { movementsOf } from '../../services/pool/src/domain/ledger';
import type { Deployment } from '../lib/deployment';
import { Progress } from '../lib/progress';
import { until } from '../lib/watch';

export interface ReplayRun {
  name: string;
  events: number;
  rows: number;
  seconds: number;
  throughputPerS: number;
  totalsEqual: boolean;
  totals: { live: Record<string, number>; rebuilt: Record<string, number> };
}

type Project = (event: CloudEvent) => Promise<Document[]>;

/**
 * The services' own projection code, fed from the topic: the pool's `movementsOf` (what the
 * ledger consumer inserts) and the points projections controller with repositories that collect
 * what it would write.
 */
function poolLedger(): Project {
  return async (event) => movementsOf(event);
}

function pointsLedger(): Project {
  const rows: LedgerEntry[] = [];
  const ledger = { record: async (entry: LedgerEntry) => void rows.push(entry) } as unknown as LedgerRepository;
  const exchanges = { advance: async () => undefined } as unknown as ExchangeHistoryRepository;
  const controller = new PointsProjectionsMessageController(ledger, exchanges);
  const handlers: Record<string, (event: CloudEvent) => Promise<void>> = {
    [PointsEvents.pointsCredited]: (e) => controller.pointsCredited(e as never),
    [PointsEvents.exchangeDebited]: (e) => controller.exchangeDebited(e as never),
    [PointsEvents.exchangeRefunded]: (e) => controller.exchangeRefunded(e as never),
    [PointsEvents.monthlyRenewed]: (e) => controller.monthlyRenewed(e as never),
  };
  return async (event) => {
    const handler = handlers[event.type];
    if (!handler) return [];
    await handler(event);
    return rows.splice(0);
  };
}

async function insertAll(collection: Collection<Document>, rows: Document[]): Promise<void> {
  if (rows.length === 0) return;
  try {
    await collection.insertMany(rows, { ordered: false });
  } catch (error) {
    // A redelivered event (at least once): its rows are there already.
    if ((error as { code?: number }).code !== 11000) throw error;
  }
}

/**
 * Reads one topic from its beginning in a group of its own and inserts what the projection makes
 * of each batch into an empty collection of a scratch database, in bulk, until every partition's
 * end (taken at the start) is reached.
 */
async function rebuild(
  urls: InfraUrls,
  topic: string,
  target: Collection<Document>,
  project: Project,
  label: string,
): Promise<{ events: number; rows: number; seconds: number }> {
  const kafka = testKafkaClient('operator', urls);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const total = [...ends.values()].reduce((a, b) => a + b, 0);
  const reached = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: `bench-replay-${randomUUID()}`, maxBytes: 20 * 1024 * 1024 });
  const progress = new Progress(label);
  let events = 0;
  let rows = 0;
  const started = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const made: Document[] = [];
      for (const message of batch.messages) {
        if (Number(message.offset) >= (ends.get(batch.partition) ?? 0)) continue;
        events++;
        const event = JSON.parse(message.value?.toString('utf8') ?? 'null') as CloudEvent;
        if (event?.type) made.push(...(await project(event)));
      }
      for (let i = 0; i < made.length; i += 1000) await insertAll(target, made.slice(i, i + 1000));
      rows += made.length;
      reached.set(batch.partition, Math.max(reached.get(batch.partition) ?? 0, Number(batch.lastOffset()) + 1));
      progress.update(`${events} / ${total} events, ${rows} rows`);
    },
  });
  await until(() => [...ends].every(([partition, end]) => end === 0 || (reached.get(partition) ?? 0) >= end), 30 * 60_000);
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  progress.done(`${events} events → ${rows} rows in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} events/s)`);
  return { events, rows, seconds };
}

async function totals(collection: Collection<Document>, sums: string[]): Promise<Record<string, number>> {
  const [row] = await collection
    .aggregate([{ $group: { _id: null, rows: { $sum: 1 }, ...Object.fromEntries(sums.map((f) => [f, { $sum: `$${f}` }])) } }])
    .toArray();
  return Object.fromEntries(['rows', ...sums].map((f) => [f, Number(row?.[f] ?? 0)]));
}

/** Per partner too: equal grand totals could hide two partners' errors that cancel out. */
async function perPartner(collection: Collection<Document>, field: string): Promise<string> {
  const rows = await collection.aggregate([{ $group: { _id: '$partnerId', n: { $sum: 1 }, s: { $sum: `$${field}` } } }]).toArray();
  return JSON.stringify(rows.map((r) => [r._id, r.n, r.s]).sort());
}

/**
 * Scenario (e): rebuild the pool's movement ledger and the points ledger from their topics into
 * empty collections and compare them with the live projections (caught up first). This is a
 * minimal rebuild inside the bench (no `npm run replay` exists yet): the services' projection
 * code, bulk inserts, no swap.
 */
export async function runReplay(deployment: Deployment, urls: InfraUrls): Promise<ReplayRun[]> {
  const admin = testKafkaClient('operator', urls).admin();
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

  const client = new MongoClient(urls.MONGO_URL);
  await client.connect();
  const scratch = client.db(`${deployment.names.database}_replay`);
  try {
    const runs: ReplayRun[] = [];
    const specs = [
      {
        name: 'pool ledger',
        topic: deployment.topic('pool'),
        live: client.db(deployment.database('pool')).collection('pool_movements'),
        target: scratch.collection('pool_movements'),
        project: poolLedger(),
        sums: ['available', 'reserved', 'assigned'],
      },
      {
        name: 'points ledger',
        topic: deployment.topic('points'),
        live: client.db(deployment.database('points')).collection('ledger'),
        target: scratch.collection('ledger'),
        project: pointsLedger(),
        sums: ['amount'],
      },
    ];
    for (const spec of specs) {
      const { events, rows, seconds } = await rebuild(urls, spec.topic, spec.target, spec.project, `replay ${spec.name}`);
      const [liveTotals, rebuiltTotals, livePartners, rebuiltPartners] = await Promise.all([
        totals(spec.live, spec.sums),
        totals(spec.target, spec.sums),
        perPartner(spec.live, spec.sums[0] as string),
        perPartner(spec.target, spec.sums[0] as string),
      ]);
      const totalsEqual = JSON.stringify(liveTotals) === JSON.stringify(rebuiltTotals) && livePartners === rebuiltPartners;
      console.log(
        `  ${spec.name}: live ${JSON.stringify(liveTotals)}, rebuilt ${JSON.stringify(rebuiltTotals)}: ${totalsEqual ? 'equal' : 'DIFFERENT'}`,
      );
      runs.push({
        name: spec.name,
        events,
        rows,
        seconds,
        throughputPerS: events / seconds,
        totalsEqual,
        totals: { live: liveTotals, rebuilt: rebuiltTotals },
      });
    }
    return runs;
  } finally {
    await scratch.dropDatabase().catch(() => undefined);
    await client.close();
  }
}
