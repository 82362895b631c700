/**
 * Replay as an operation (docs/runbook.md, Replay): rebuilds one projection from its topic into a
 * new collection, with the service's own projection code, compares its totals with the live
 * collection's, prints the difference, and swaps the two only with --swap.
 *
 *   npm run replay -- <projection> [--swap] [--database <name>]
 *   npm run replay -- --list
 *
 * Reads the service's own environment (KAFKA_BROKERS, KAFKA_SASL_*, KAFKA_TOPIC_PREFIX, MONGO_URL,
 * MONGO_DATABASE); without KAFKA_BROKERS, the local platform's (.infra/local/env, as the operator).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CatalogCopy, CatalogCopyMessageController, catalogSkuSchema } from '@licensing/catalog-copy';
import { topicOf, validateEvent, type CloudEvent, type Context } from '@licensing/events';
import { createKafka } from '@licensing/messaging';
import { createLogger, loadConfig, readKafkaConnection, type KafkaConnection } from '@licensing/platform';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import type { Kafka } from 'kafkajs';
import { isDuplicateKey } from '@licensing/persistence';
import type { Collection, Document } from 'mongodb';
import mongoose, { type Connection, type Model, type Schema } from 'mongoose';
import { SagaRecords, sagaRecordModel } from '../services/contracts/src/infrastructure/saga-records';
import { SagaRecordsMessageController } from '../services/contracts/src/projections/saga-records.message.controller';
import { ExchangeHistoryRepository, exchangeHistoryModel } from '../services/points/src/projections/exchange-history.repository';
import { LedgerRepository as PointsLedgerRepository, ledgerModel } from '../services/points/src/projections/ledger.repository';
import { PointsProjectionsMessageController } from '../services/points/src/projections/points-projections.message.controller';
import { LedgerMessageController } from '../services/pool/src/projections/ledger.message.controller';
import { LedgerRepository as PoolLedgerRepository, MOVEMENTS, movementSchema } from '../services/pool/src/projections/ledger.repository';

type Handler = (event: CloudEvent) => Promise<unknown>;
type AnyModel = Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- each projection's own document type
export type Totals = Record<string, number>;

/** A projection that can be rebuilt: where it lives, which topic feeds it, its handlers, its totals. */
export interface Projection {
  name: string;
  /** The service whose database holds it. */
  service: Context;
  /** The context whose topic feeds it. */
  topic: Context;
  collection: string;
  schema: Schema;
  /** The service's own projection handlers (its message controller), writing into `model`; `scratch` takes what this projection does not keep. */
  handlers(model: AnyModel, scratch: (schema: Schema) => AnyModel): Map<string, Handler>;
  totals(model: AnyModel): Promise<Totals>;
  /** What the live collection holds that no event carries (kept across a swap). */
  carryOver?(live: AnyModel, rebuilt: AnyModel): Promise<void>;
}

/** The `@EventPattern` handlers of a message controller, by event type (as the CloudEvents transport routes them). */
export function eventHandlers(controller: object): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  const prototype = Object.getPrototypeOf(controller) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (typeof method !== 'function') continue;
    const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as string[] | undefined;
    for (const type of patterns ?? []) handlers.set(type, (event) => (method as (e: CloudEvent) => Promise<unknown>).call(controller, event));
  }
  return handlers;
}

/** Sums grouped by a key: `{ "<key>|<field>": total }`, plus the document count. */
async function grouped(model: AnyModel, key: Record<string, string>, sums: string[]): Promise<Totals> {
  const rows = await model.aggregate<Record<string, unknown> & { _id: Record<string, unknown>; n: number }>([
    { $group: { _id: key, n: { $sum: 1 }, ...Object.fromEntries(sums.map((field) => [field, { $sum: `$${field}` }])) } },
  ]);
  const totals: Totals = { documents: 0 };
  for (const row of rows) {
    const label = Object.values(row._id).join('|');
    totals.documents = (totals.documents ?? 0) + row.n;
    totals[`${label}|count`] = row.n;
    for (const field of sums) totals[`${label}|${field}`] = Number(row[field] ?? 0);
  }
  return totals;
}

const catalogCopy = (service: Context): Projection => ({
  name: `catalog-copy:${service}`,
  service,
  topic: 'catalog',
  collection: 'catalog_skus',
  schema: catalogSkuSchema,
  handlers: (model) => eventHandlers(new CatalogCopyMessageController(new CatalogCopy(model))),
  totals: (model) => grouped(model, { sku: '$_id', status: '$status' }, ['version']),
});

/** Every projection `npm run replay` rebuilds. */
export const PROJECTIONS: Projection[] = [
  {
    name: 'pool-ledger',
    service: 'pool',
    topic: 'pool',
    collection: MOVEMENTS,
    schema: movementSchema,
    handlers: (model) => eventHandlers(new LedgerMessageController(new PoolLedgerRepository(model))),
    totals: (model) => grouped(model, { partnerId: '$partnerId', sku: '$sku', termMonths: '$termMonths' }, ['available', 'reserved', 'assigned']),
  },
  {
    name: 'points-ledger',
    service: 'points',
    topic: 'points',
    collection: ledgerModel.name,
    schema: ledgerModel.schema,
    handlers: (model, scratch) =>
      eventHandlers(
        new PointsProjectionsMessageController(
          new PointsLedgerRepository(model),
          new ExchangeHistoryRepository(scratch(exchangeHistoryModel.schema)),
        ),
      ),
    totals: (model) => grouped(model, { partnerId: '$partnerId', kind: '$kind' }, ['amount']),
  },
  {
    name: 'exchanges',
    service: 'points',
    topic: 'points',
    collection: exchangeHistoryModel.name,
    schema: exchangeHistoryModel.schema,
    handlers: (model, scratch) =>
      eventHandlers(
        new PointsProjectionsMessageController(new PointsLedgerRepository(scratch(ledgerModel.schema)), new ExchangeHistoryRepository(model)),
      ),
    totals: (model) => grouped(model, { partnerId: '$partnerId', status: '$status' }, ['totalPoints']),
  },
  catalogCopy('pool'),
  catalogCopy('points'),
  catalogCopy('contracts'),
  {
    name: 'saga-records',
    service: 'contracts',
    topic: 'contracts',
    collection: sagaRecordModel.name,
    schema: sagaRecordModel.schema,
    handlers: (model) => eventHandlers(new SagaRecordsMessageController(new SagaRecords(model))),
    totals: (model) => grouped(model, { partnerId: '$partnerId', status: '$status' }, []),
    // The request's digest and view come from the HTTP request, not from an event.
    async carryOver(live, rebuilt) {
      const cursor = live
        .find({ digest: { $ne: null } }, { digest: 1, view: 1, partnerId: 1, clientId: 1, status: 1 })
        .lean()
        .cursor();
      for await (const record of cursor) {
        const { _id, digest, view, partnerId, clientId, status } = record as Record<string, unknown>;
        await rebuilt.updateOne(
          { _id },
          { $set: { digest, view }, $setOnInsert: { partnerId, clientId, status, code: null, reason: null, contractIds: [], settledAt: null } },
          { upsert: true },
        );
      }
    },
  },
];

export const projectionNamed = (name: string): Projection | undefined => PROJECTIONS.find((p) => p.name === name);

export interface ReplayOptions {
  kafka: Kafka;
  /** The service's database, holding the live projection. */
  live: Connection;
  /** Where the new collection goes (default: the live database; a swap needs them to be the same). */
  target?: Connection;
  topicPrefix: string;
  /** The consumer group's principal: the service's own groups are `<prefix><service>-*`. */
  groupPrefix?: string;
  swap?: boolean;
  progress?: (line: string) => void;
}

export interface ReplayResult {
  projection: string;
  collection: string;
  events: number;
  applied: number;
  skipped: number;
  invalid: number;
  ms: number;
  live: Totals;
  rebuilt: Totals;
  /** Keys whose totals differ: [live, rebuilt] (absent counts as 0). */
  difference: Record<string, [number, number]>;
  swapped?: { live: string; previous: string; caughtUp: number };
}

export function compareTotals(live: Totals, rebuilt: Totals): Record<string, [number, number]> {
  const difference: Record<string, [number, number]> = {};
  for (const key of [...new Set([...Object.keys(live), ...Object.keys(rebuilt)])].sort()) {
    const [a, b] = [live[key] ?? 0, rebuilt[key] ?? 0];
    if (a !== b) difference[key] = [a, b];
  }
  return difference;
}

/**
 * Reads the topic from the start up to `until` (the end offsets of each partition), or up to its
 * end as it is when the read starts, applying each event with the projection's handlers. A group
 * of its own that commits nothing: the live projection's group is not touched.
 */
async function readTopic(
  options: ReplayOptions,
  projection: Projection,
  handlers: Map<string, Handler>,
  from: Map<number, number> | 'beginning',
  report: (counts: { events: number; total: number }) => void,
): Promise<{ events: number; applied: number; skipped: number; invalid: number; ends: Map<number, number> }> {
  const topic = options.topicPrefix + topicOf(projection.topic);
  const admin = options.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  const starts = new Map(
    offsets.map((o) => [o.partition, from === 'beginning' ? Number(o.low) : Math.max(from.get(o.partition) ?? 0, Number(o.low))]),
  );
  const total = [...ends].reduce((n, [partition, end]) => n + Math.max(0, end - (starts.get(partition) ?? 0)), 0);
  const pending = new Set([...ends].filter(([partition, end]) => end > (starts.get(partition) ?? 0)).map(([partition]) => partition));
  const counts = { events: 0, applied: 0, skipped: 0, invalid: 0 };
  if (pending.size === 0) return { ...counts, ends };
  const consumer = options.kafka.consumer({
    groupId: `${options.groupPrefix ?? options.topicPrefix + projection.service}-replay-${randomUUID()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  let done!: () => void;
  let failed!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
  consumer.on(consumer.events.CRASH, ({ payload }) => failed(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Committed only so that a rebalance (a slow batch) resumes where it was, not from the start.
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: ends.size,
      eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
        const end = ends.get(batch.partition) ?? 0;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= end) {
            pending.delete(batch.partition);
            break;
          }
          counts.events++;
          let event: unknown;
          try {
            event = JSON.parse(message.value?.toString('utf8') ?? '');
          } catch {
            event = undefined;
          }
          // What the live consumer dead-letters never reached the projection either.
          if (!validateEvent(event).ok) counts.invalid++;
          else {
            const handler = handlers.get((event as CloudEvent).type);
            if (handler) {
              await handler(event as CloudEvent);
              counts.applied++;
            } else counts.skipped++;
          }
          resolveOffset(message.offset);
          if (counts.events % 200 === 0) {
            report({ events: counts.events, total });
            await heartbeat();
          }
        }
        if (Number(batch.lastOffset()) >= end - 1) pending.delete(batch.partition);
        report({ events: counts.events, total });
        await heartbeat();
        if (pending.size === 0) done();
      },
    });
    // Seek each partition to where this read starts (the beginning, or where the last read stopped).
    for (const [partition, start] of starts) consumer.seek({ topic, partition, offset: String(start) });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return { ...counts, ends };
}

/** Copies every document of a collection into another, in batches; a document already there (a concurrent write) is left as it is. */
async function copyDocuments(from: Collection, to: Collection): Promise<void> {
  let batch: Document[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    try {
      await to.insertMany(batch, { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    batch = [];
  };
  for await (const document of from.find({})) {
    batch.push(document);
    if (batch.length >= 1000) await flush();
  }
  await flush();
}

/** Rebuilds a projection into a new collection, compares, and swaps when asked. */
export async function replay(projection: Projection, options: ReplayOptions): Promise<ReplayResult> {
  const target = options.target ?? options.live;
  if (options.swap && target !== options.live) throw new Error('--swap replaces the live collection: the new one must be in the same database');
  const stamp = new Date()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14);
  const collection = `${projection.collection}_replay_${stamp}`;
  const modelOn = (connection: Connection, name: string, schema: Schema): AnyModel => connection.model(`${name}-${randomUUID()}`, schema, name);
  const scratchNames: string[] = [];
  const scratch = (schema: Schema) => {
    const name = `${collection}_scratch_${scratchNames.length}`;
    scratchNames.push(name);
    return modelOn(target, name, schema);
  };
  const rebuiltModel = modelOn(target, collection, projection.schema);
  await rebuiltModel.createIndexes();
  const handlersFor = (model: AnyModel) => projection.handlers(model, scratch);
  const started = Date.now();
  let lastReport = 0;
  const report = ({ events, total }: { events: number; total: number }) => {
    if (!options.progress || Date.now() - lastReport < 1000) return;
    lastReport = Date.now();
    const seconds = (Date.now() - started) / 1000;
    options.progress(
      `${projection.name}: ${events}/${total} events (${total ? Math.floor((100 * events) / total) : 100}%), ${Math.round(events / Math.max(seconds, 0.001))}/s`,
    );
  };
  const read = await readTopic(options, projection, handlersFor(rebuiltModel), 'beginning', report);
  const ms = Date.now() - started;
  const liveModel = modelOn(options.live, projection.collection, projection.schema);
  const [live, rebuilt] = await Promise.all([projection.totals(liveModel), projection.totals(rebuiltModel)]);
  const result: ReplayResult = {
    projection: projection.name,
    collection,
    events: read.events,
    applied: read.applied,
    skipped: read.skipped,
    invalid: read.invalid,
    ms,
    live,
    rebuilt,
    difference: compareTotals(live, rebuilt),
  };
  if (options.swap) {
    await projection.carryOver?.(liveModel, rebuiltModel);
    const previous = `${projection.collection}_before_replay_${stamp}`;
    const db = options.live.db;
    if (!db) throw new Error('the live database is not connected');
    // Documents are copied, not collections renamed: the live collection keeps its name and
    // indexes, and mongo-java-server (local runs) loses data when a name is renamed away and reused.
    await copyDocuments(db.collection(projection.collection), db.collection(previous));
    await db.collection(projection.collection).deleteMany({});
    await copyDocuments(db.collection(collection), db.collection(projection.collection));
    await db.dropCollection(collection);
    // What the live consumer wrote meanwhile is either in the rebuilt documents (offsets before the
    // replay's end) or applied again here; every projection is idempotent by event id.
    const tail = await readTopic(options, projection, handlersFor(liveModel), read.ends, () => undefined);
    result.swapped = { live: projection.collection, previous, caughtUp: tail.events };
  }
  for (const name of scratchNames) await target.db?.dropCollection(name).catch(() => undefined);
  return result;
}

function printResult(result: ReplayResult): void {
  const lines = [
    `${result.projection}: ${result.events} events read (${result.applied} applied, ${result.skipped} of other types, ${result.invalid} invalid) in ${(result.ms / 1000).toFixed(1)} s into ${result.collection}`,
  ];
  const difference = Object.entries(result.difference);
  if (difference.length === 0) lines.push(`totals: the same as the live collection (${result.rebuilt.documents ?? 0} documents)`);
  else {
    lines.push(`totals differ on ${difference.length} key(s): key, live, rebuilt`);
    for (const [key, [live, rebuilt]] of difference) lines.push(`  ${key}\t${live}\t${rebuilt}`);
  }
  if (result.swapped)
    lines.push(
      `swapped: ${result.swapped.live} is the rebuilt collection (+${result.swapped.caughtUp} events caught up); the old one is ${result.swapped.previous}`,
    );
  else lines.push(`not swapped (run again with --swap to make the rebuilt collection the live one); drop ${result.collection} when done`);
  console.log(lines.join('\n'));
}

/** The local platform's settings (npm start), when the environment names no broker. */
function environment(): Record<string, string | undefined> {
  const file = join(process.env.INFRA_DIR ?? join(__dirname, '..', '.infra', 'local'), 'env');
  if (process.env.KAFKA_BROKERS || !existsSync(file)) return process.env;
  const local = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  return { ...local, ...process.env };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--database');
  const projection = name ? projectionNamed(name) : undefined;
  if (!projection) {
    console.error(`usage: npm run replay -- <projection> [--swap] [--database <name>]\nprojections: ${PROJECTIONS.map((p) => p.name).join(', ')}`);
    process.exit(args.includes('--list') ? 0 : 2);
  }
  const env = environment();
  const { connection, mongoUrl, mongoDatabase } = loadConfig(
    (reader) => ({
      connection: readKafkaConnection(reader, projection.service) as KafkaConnection,
      mongoUrl: reader.string('MONGO_URL', { pattern: /^mongodb(\+srv)?:\/\// }),
      mongoDatabase: reader.string('MONGO_DATABASE', { default: projection.service }),
    }),
    env,
  );
  const database = args.includes('--database') ? args[args.indexOf('--database') + 1] : undefined;
  const kafka = createKafka({ ...connection, service: `replay-${projection.name}` }, createLogger('replay', env.LOG_LEVEL ?? 'warn'));
  const live = await mongoose.createConnection(mongoUrl, { dbName: mongoDatabase }).asPromise();
  const target = database ? live.useDb(database) : live;
  try {
    const result = await replay(projection, {
      kafka,
      live,
      target,
      topicPrefix: connection.topicPrefix,
      // The operator may use any group; a service's principal only its own (`<prefix><service>-*`).
      groupPrefix: connection.topicPrefix + projection.service,
      swap: args.includes('--swap'),
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    printResult(result);
    process.exitCode = Object.keys(result.difference).length === 0 ? 0 : 1;
  } finally {
    await live.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
