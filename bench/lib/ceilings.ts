import { VERSION_INDEX } from '@licensing/persistence';
import { testKafkaClient, type InfraUrls } from '@licensing/testing';
import Redis from 'ioredis';
import { CompressionTypes } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { Progress } from './progress';

/** What the servers underneath can do, measured on the same servers just before the platform runs. */
export interface Ceiling {
  key: CeilingKey;
  name: string;
  perS: number;
  how: string;
}

export type CeilingKey =
  'kafkaProduce' | 'kafkaSend' | 'kafkaConsume' | 'mongoSaveHot' | 'mongoSaveSpread' | 'mongoInsertOne' | 'mongoInsertBulk' | 'redisOps';

export interface CeilingOptions {
  seconds: number;
  kafkaMessages: number;
  prefix: string;
  database: string;
}

/** A CloudEvent-sized message (about 1 KB), as the services publish them. */
function message(i: number): { key: string; value: string } {
  const partnerId = `p${String(i % 60).padStart(2, '0')}`;
  const value = JSON.stringify({
    specversion: '1.0',
    id: randomUUID(),
    source: 'licensing/bench',
    type: 'bench.ceiling-measured.v1',
    subject: partnerId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    partnerid: partnerId,
    correlationid: randomUUID(),
    data: { partnerId, assignmentId: randomUUID(), lines: [{ sku: 'BENCH-PRO', termMonths: 12, quantity: 1 }], padding: 'x'.repeat(600) },
  });
  return { key: partnerId, value };
}

async function kafkaCeilings(urls: InfraUrls, options: CeilingOptions): Promise<Ceiling[]> {
  const kafka = testKafkaClient('operator', urls);
  const admin = kafka.admin();
  const topic = `${options.prefix}bench-ceiling`;
  await admin.connect();
  await admin.createTopics({
    topics: [topic, `${topic}-warm-up`].map((name) => ({ topic: name, numPartitions: 6, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  // The platform's publisher settings: idempotent, one request in flight, acks from all replicas.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const ceilings: Ceiling[] = [];
  try {
    const batch = 500;
    // A first, unmeasured round: connections, metadata and the broker's JIT.
    for (let sent = 0; sent < Math.min(options.kafkaMessages, 10_000); sent += batch) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: `${topic}-warm-up`, messages: Array.from({ length: batch }, (_, i) => message(i)) }],
      });
    }
    const progress = new Progress('kafka produce');
    const started = Date.now();
    for (let sent = 0; sent < options.kafkaMessages; sent += batch) {
      const messages = Array.from({ length: Math.min(batch, options.kafkaMessages - sent) }, (_, i) => message(sent + i));
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [{ topic, messages }] });
      progress.update(`${sent + messages.length} / ${options.kafkaMessages}`);
    }
    const produceS = (Date.now() - started) / 1000;
    ceilings.push({
      key: 'kafkaProduce',
      name: 'Kafka produce (batches of 500)',
      perS: options.kafkaMessages / produceS,
      how: `${options.kafkaMessages} messages of ~1 KB, 6 partitions, one idempotent producer, acks=all, sendBatch of 500`,
    });
    progress.done(`${Math.round(options.kafkaMessages / produceS)} messages/s`);

    // One event per send, as the outbox relay publishes a document's events after each save.
    const singles = new Progress('kafka single sends');
    let sends = 0;
    const singleStart = Date.now();
    while (Date.now() - singleStart < options.seconds * 1000) {
      await producer.send({ topic, acks: -1, messages: [message(sends)] });
      sends++;
      if (sends % 50 === 0) singles.update(`${sends}`);
    }
    const sendS = (Date.now() - singleStart) / 1000;
    ceilings.push({
      key: 'kafkaSend',
      name: 'Kafka sends of 1 message',
      perS: sends / sendS,
      how: 'one message per send, one after the other, same producer settings (the round trip of an acks=all send)',
    });
    singles.done(`${Math.round(sends / sendS)} sends/s`);

    const total = options.kafkaMessages + sends;
    const consumer = kafka.consumer({ groupId: `${options.prefix}bench-ceiling-${randomUUID()}`, maxBytes: 10 * 1024 * 1024 });
    const consume = new Progress('kafka consume');
    let read = 0;
    let first = 0;
    let firstBatch = 0;
    let last = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const finished = new Promise<void>((resolve) => {
      void consumer.run({
        partitionsConsumedConcurrently: 6,
        eachBatch: async ({ batch: b }) => {
          const now = Date.now();
          if (first === 0) {
            first = now;
            firstBatch = b.messages.length;
          }
          read += b.messages.length;
          last = now;
          consume.update(`${read} / ${total}`);
          if (read >= total) resolve();
        },
      });
    });
    await finished;
    await consumer.disconnect();
    const consumeS = Math.max(0.001, (last - first) / 1000);
    ceilings.push({
      key: 'kafkaConsume',
      name: 'Kafka consume',
      perS: (read - firstBatch) / consumeS,
      how: `the same ${total} messages read back by one consumer (6 partitions, eachBatch), from its first batch to its last`,
    });
    consume.done(`${Math.round((read - firstBatch) / consumeS)} messages/s`);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, `${topic}-warm-up`] }).catch(() => undefined);
    await admin.disconnect();
  }
  return ceilings;
}

/** An aggregate document as the repository writes it: about 2 KB of state and handled ids. */
function aggregate(id: string, version: number): Record<string, unknown> {
  return {
    _id: id,
    version,
    state: {
      partnerId: id,
      lines: Array.from({ length: 8 }, (_, i) => ({ sku: `SKU-${i}`, termMonths: 12, available: 1000 - version, reserved: i, assigned: version })),
      reservations: Array.from({ length: 4 }, () => ({
        assignmentId: randomUUID(),
        clientId: 'c',
        lines: [{ sku: 'SKU-1', termMonths: 12, quantity: 1 }],
      })),
      updatedAt: new Date().toISOString(),
    },
    outbox: [],
    handled: Array.from({ length: 20 }, () => randomUUID()),
  };
}

async function mongoCeilings(urls: InfraUrls, options: CeilingOptions): Promise<Ceiling[]> {
  const client = new MongoClient(urls.MONGO_URL);
  await client.connect();
  const db = client.db(`${options.database}_ceiling`);
  const docs = db.collection<Record<string, unknown>>('aggregates');
  const ceilings: Ceiling[] = [];
  try {
    // The indexes of an aggregate collection (libs/persistence aggregateSchema), the save's {_id, version} among them.
    await docs.createIndex({ _id: 1, version: 1 }, { unique: true, name: VERSION_INDEX });
    await docs.insertMany(Array.from({ length: 60 }, (_, i) => aggregate(`doc-${i}`, 1)) as never[]);

    // Load, then update with the version check: AggregateRepository's write, retried on a conflict.
    const save = async (id: string): Promise<boolean> => {
      const current = (await docs.findOne({ _id: id } as never)) as { version: number; handled: string[] } | null;
      if (!current) throw new Error(`${id} is missing`);
      const next = aggregate(id, current.version + 1);
      const result = await docs.updateOne({ _id: id, version: current.version } as never, {
        $set: { version: current.version + 1, state: next.state, handled: [...current.handled.slice(1), randomUUID()] },
      });
      return result.matchedCount === 1;
    };
    const run = async (label: string, writers: number, pick: () => string): Promise<{ perS: number; conflicts: number }> => {
      const progress = new Progress(label);
      let saves = 0;
      let conflicts = 0;
      const started = Date.now();
      const end = started + options.seconds * 1000;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (Date.now() < end) {
            if (await save(pick())) saves++;
            else conflicts++;
            if (saves % 100 === 0) progress.update(`${saves} saves`);
          }
        }),
      );
      const perS = saves / ((Date.now() - started) / 1000);
      progress.done(`${Math.round(perS)} saves/s${conflicts ? ` (${conflicts} version conflicts retried)` : ''}`);
      return { perS, conflicts };
    };
    // The server is a JVM: a first, unmeasured round lets its JIT compile the write path.
    await run('mongo warm-up', 8, () => `doc-${Math.floor(Math.random() * 60)}`);
    const hot = await run('mongo saves, 1 document', 1, () => 'doc-0');
    ceilings.push({
      key: 'mongoSaveHot',
      name: 'Mongo saves, 1 writer, 1 doc',
      perS: hot.perS,
      how: 'findOne + updateOne({_id, version}) of one ~2 KB document, one writer (the most one document takes without conflicts)',
    });
    const spread = await run('mongo saves, 60 documents', 8, () => `doc-${Math.floor(Math.random() * 60)}`);
    ceilings.push({
      key: 'mongoSaveSpread',
      name: 'Mongo saves, 8 writers, 60 docs',
      perS: spread.perS,
      how: `findOne + updateOne({_id, version}) of 60 ~2 KB documents, 8 concurrent writers (${spread.conflicts} conflicts retried, not counted)`,
    });

    // What a projection (ledger) can insert: one row per event, as its consumer does, or in bulk.
    const ledgerRow = (n: number) => ({
      _id: `${n}-${randomUUID()}`,
      partnerId: `p${n % 60}`,
      sku: 'BENCH-PRO',
      termMonths: 12,
      available: -1,
      reserved: 1,
      assigned: 0,
      reason: 'reserved',
      reference: randomUUID(),
      correlationId: randomUUID(),
      at: new Date(),
      poolVersion: n,
      index: 0,
    });
    const rows = db.collection<Record<string, unknown>>('rows');
    const single = new Progress('mongo single inserts');
    let singles = 0;
    const singleStart = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (Date.now() - singleStart < options.seconds * 1000) {
          await rows.insertOne(ledgerRow(singles++) as never);
          if (singles % 100 === 0) single.update(`${singles} rows`);
        }
      }),
    );
    const singleS = (Date.now() - singleStart) / 1000;
    ceilings.push({
      key: 'mongoInsertOne',
      name: 'Mongo inserts, one row each',
      perS: singles / singleS,
      how: 'insertOne of a ledger-sized row (~300 B), 6 concurrent writers (a projection consuming 6 partitions, one insert per event)',
    });
    single.done(`${Math.round(singles / singleS)} rows/s`);

    const bulk = new Progress('mongo bulk inserts');
    let inserted = 0;
    const started = Date.now();
    while (Date.now() - started < options.seconds * 1000) {
      const batch = Array.from({ length: 1000 }, (_, i) => ledgerRow(inserted + i));
      await rows.insertMany(batch as never[], { ordered: false });
      inserted += batch.length;
      bulk.update(`${inserted} rows`);
    }
    const bulkS = (Date.now() - started) / 1000;
    ceilings.push({
      key: 'mongoInsertBulk',
      name: 'Mongo bulk inserts',
      perS: inserted / bulkS,
      how: 'insertMany of 1000 ledger-sized rows (~300 B) at a time, unordered, one writer',
    });
    bulk.done(`${Math.round(inserted / bulkS)} rows/s`);
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
  return ceilings;
}

async function redisCeiling(urls: InfraUrls, options: CeilingOptions): Promise<Ceiling> {
  const redis = new Redis(urls.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const progress = new Progress('redis ops');
  let ops = 0;
  const key = `${options.prefix}bench-ceiling`;
  const started = Date.now();
  const end = started + options.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => {
        while (Date.now() < end) {
          await redis.set(`${key}:${worker}:${ops % 1000}`, 'x'.repeat(100));
          ops++;
          if (ops % 1000 === 0) progress.update(`${ops} ops`);
        }
      }),
    );
    const perS = ops / ((Date.now() - started) / 1000);
    progress.done(`${Math.round(perS)} ops/s`);
    return { key: 'redisOps', name: 'Redis ops', perS, how: 'SET of 100 B values, 64 in flight on one connection (no explicit pipeline)' };
  } finally {
    const keys = await redis.keys(`${key}:*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
  }
}

export async function measureCeilings(urls: InfraUrls, options: CeilingOptions): Promise<Ceiling[]> {
  return [...(await kafkaCeilings(urls, options)), ...(await mongoCeilings(urls, options)), await redisCeiling(urls, options)];
}
