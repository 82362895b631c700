import { testKafkaClient } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { untilAnswered, type ClientView, type Ledger } from './load';
import { SERVICES, type ChaosPlatform } from './platform';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Each consumer group of the deployment and how far it is behind on each topic it reads (rebuild groups of a catalog copy end with their process, and are left out). */
export async function consumerLag(admin: Admin, prefix: string): Promise<{ group: string; topic: string; lag: number }[]> {
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix) && !g.includes('-rebuild-'));
  const ends = new Map<string, Map<number, number>>();
  const lags: { group: string; topic: string; lag: number }[] = [];
  for (const groupId of groups) {
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
      if (!ends.has(topic)) ends.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)])));
      const high = ends.get(topic) as Map<number, number>;
      const committed = new Map(partitions.map((p) => [p.partition, Number(p.offset)]));
      const lag = [...high].reduce((n, [partition, end]) => n + Math.max(0, end - Math.max(0, committed.get(partition) ?? 0)), 0);
      lags.push({ group: groupId, topic, lag });
    }
  }
  return lags;
}

/** Aggregates with events saved but not yet published, per database and collection. */
export async function outboxBacklog(mongo: MongoClient, databases: string[]): Promise<{ collection: string; documents: number }[]> {
  const backlog: { collection: string; documents: number }[] = [];
  for (const name of databases) {
    const db = mongo.db(name);
    for (const { name: collection } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      const documents = await db.collection(collection).countDocuments({ 'outbox.0': { $exists: true } });
      if (documents > 0) backlog.push({ collection: `${name}.${collection}`, documents });
    }
  }
  return backlog;
}

/** What is still in flight: sagas pending in the wallets, the pools and the clients, outboxes not yet published, consumers behind. */
export async function pendingWork(platform: ChaosPlatform, ledger: Ledger, admin: Admin, mongo: MongoClient): Promise<string[]> {
  const pending: string[] = [];
  const support = await platform.auth({ role: 'support' });
  let exchanges = 0;
  let reservations = 0;
  let assignments = 0;
  for (const partnerId of ledger.partners) {
    const wallet = await untilAnswered(platform, ledger, 'points', 'GET', `/partners/${partnerId}/points`, support);
    exchanges += Number(wallet?.answer.body?.pendingExchanges ?? 0);
    const pool = await untilAnswered(platform, ledger, 'pool', 'GET', `/partners/${partnerId}/pool`, support);
    reservations += (pool?.answer.body?.reservations ?? []).length;
    for (const clientId of ledger.clients.get(partnerId) ?? []) {
      const client = await untilAnswered(platform, ledger, 'contracts', 'GET', `/partners/${partnerId}/clients/${clientId}`, support);
      assignments += ((client?.answer.body as ClientView | undefined)?.pendingAssignments ?? []).length;
    }
  }
  if (exchanges) pending.push(`${exchanges} exchanges pending`);
  if (reservations) pending.push(`${reservations} reservations open in the pools`);
  if (assignments) pending.push(`${assignments} assignments pending`);
  for (const { collection, documents } of await outboxBacklog(
    mongo,
    SERVICES.map((s) => platform.database(s)),
  )) {
    pending.push(`outbox of ${documents} documents in ${collection}`);
  }
  for (const { group, topic, lag } of await consumerLag(admin, platform.names.prefix)) {
    if (lag > 0) pending.push(`group ${group} ${lag} behind on ${topic}`);
  }
  return pending;
}

/**
 * Waits for the platform to settle after the load and the faults: every saga final, every
 * outbox published, every consumer group caught up, checked twice in a row a second apart (so
 * an answer still on its way is not missed). Resolves with how long it took, or what was still
 * pending when `timeoutMs` ran out.
 */
export async function settle(
  platform: ChaosPlatform,
  ledger: Ledger,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<{ settled: boolean; ms: number; pending: string[] }> {
  const started = Date.now();
  const admin = testKafkaClient('operator', platform.urls).admin();
  const mongo = new MongoClient(platform.urls.MONGO_URL, { serverSelectionTimeoutMS: 10_000 });
  let pending: string[] = ['not looked yet'];
  let quietSince: number | undefined;
  let reported = started;
  try {
    await admin.connect();
    await mongo.connect();
    while (Date.now() - started < timeoutMs) {
      try {
        pending = await pendingWork(platform, ledger, admin, mongo);
      } catch (error) {
        pending = [`could not look: ${error instanceof Error ? error.message : String(error)}`];
      }
      if (pending.length === 0) {
        quietSince ??= Date.now();
        if (Date.now() - quietSince >= 1000) return { settled: true, ms: Date.now() - started, pending };
      } else quietSince = undefined;
      if (Date.now() - reported > 10_000) {
        reported = Date.now();
        log(`  settling (${Math.round((Date.now() - started) / 1000)} s): ${pending.slice(0, 6).join('; ')}`);
      }
      await sleep(500);
    }
    return { settled: false, ms: Date.now() - started, pending };
  } finally {
    await Promise.allSettled([admin.disconnect(), mongo.close()]);
  }
}
