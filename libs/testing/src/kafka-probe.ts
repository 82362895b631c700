import { randomUUID } from 'node:crypto';
import { createKafka, EventPublisher } from '@licensing/messaging';
import { createLogger } from '@licensing/platform';
import type { Admin } from 'kafkajs';
import type { uniqueNames } from './names';

/** A publisher and an admin client on the run's Kafka, under a test file's topic prefix. */
export function testKafka(names: ReturnType<typeof uniqueNames>): { publisher: EventPublisher; admin: Admin } {
  const kafka = createKafka(
    { kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(','), service: `test-${randomUUID()}` },
    createLogger('test', 'silent'),
  );
  return { publisher: new EventPublisher(kafka, { topicPrefix: names.prefix }), admin: kafka.admin() };
}

/**
 * Whether a consumer group has committed every message of a topic: it has seen them all. The
 * way a test proves that a consumer did nothing with a message, without waiting a fixed time.
 */
export async function caughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const end = new Map(ends.map((o) => [o.partition, Number(o.high)]));
  return (committed[0]?.partitions ?? []).every((p) => (end.get(p.partition) ?? 0) === 0 || Number(p.offset) >= (end.get(p.partition) ?? 0));
}

/** How many messages a topic holds (the sum of its partitions' high watermarks). */
export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
}
