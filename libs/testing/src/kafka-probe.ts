import { contextOf, type CloudEvent, type Context } from '@licensing/events';
import { createKafka, EventPublisher, grantServiceAcls } from '@licensing/messaging';
import { createLogger, type KafkaSasl } from '@licensing/platform';
import type { Admin, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { uniqueNames } from './names';

/**
 * The run's Kafka as the harness sees it (set by the global setup, or by the caller for a
 * broker of its own): where it is, the operator's credentials (a super user: admin, tap, ACLs)
 * and the one password the four service principals share on test brokers. Without credentials
 * the broker is taken to authenticate nobody.
 */
export interface TestKafkaEnv {
  KAFKA_BROKERS?: string;
  KAFKA_OPERATOR_USERNAME?: string;
  KAFKA_OPERATOR_PASSWORD?: string;
  KAFKA_SERVICES_PASSWORD?: string;
}

/** Who a test client signs in as: the operator, or the service that owns a context. */
export type KafkaPrincipal = Context | 'operator';

export function testKafkaSasl(as: KafkaPrincipal, env: TestKafkaEnv = process.env): KafkaSasl | undefined {
  if (as === 'operator') {
    const password = env.KAFKA_OPERATOR_PASSWORD;
    return password ? { mechanism: 'scram-sha-512', username: env.KAFKA_OPERATOR_USERNAME ?? 'operator', password } : undefined;
  }
  const password = env.KAFKA_SERVICES_PASSWORD;
  return password ? { mechanism: 'scram-sha-512', username: as, password } : undefined;
}

/** A kafkajs client on the run's Kafka, signed in as `as`. */
export function testKafkaClient(as: KafkaPrincipal, env: TestKafkaEnv = process.env): Kafka {
  return createKafka(
    { kafkaBrokers: (env.KAFKA_BROKERS ?? '').split(','), service: `test-${as}-${randomUUID()}`, kafkaSasl: testKafkaSasl(as, env) },
    createLogger('test', 'silent'),
  );
}

/** Grants the services' ACLs under each prefix, as the operator; nothing to do on a broker without authentication. */
export async function grantTestAcls(prefixes: string[], env: TestKafkaEnv = process.env): Promise<void> {
  if (prefixes.length === 0 || !testKafkaSasl('operator', env)) return;
  const admin = testKafkaClient('operator', env).admin();
  await admin.connect();
  try {
    for (const prefix of prefixes) await grantServiceAcls(admin, prefix);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Publishes each event as the service that owns its topic, with that service's credentials:
 * a test that plays another service is held to that service's ACLs. Consecutive events of one
 * context go together, in order; a raw message goes out as the owner of its topic (the operator
 * for a topic no context owns, such as a `.dlq`).
 */
class OwnerPublisher extends EventPublisher {
  private readonly publishers = new Map<KafkaPrincipal, EventPublisher>();

  constructor(
    private readonly prefix: string,
    private readonly env: TestKafkaEnv,
  ) {
    // The parent's own producer is never connected: every message goes through an owner's.
    super(testKafkaClient('operator', env), { topicPrefix: prefix });
  }

  private as(principal: KafkaPrincipal): EventPublisher {
    let publisher = this.publishers.get(principal);
    if (!publisher) {
      publisher = new EventPublisher(testKafkaClient(principal, this.env), { topicPrefix: this.prefix });
      this.publishers.set(principal, publisher);
    }
    return publisher;
  }

  override async connect(): Promise<void> {
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.connect()));
  }

  override async publish(events: CloudEvent[]): Promise<void> {
    for (let start = 0; start < events.length;) {
      const context = contextOf(events[start]?.type ?? '');
      let end = start + 1;
      while (end < events.length && contextOf(events[end]?.type ?? '') === context) end++;
      await this.as(context).publish(events.slice(start, end));
      start = end;
    }
  }

  override async sendRaw(topic: string, message: Parameters<EventPublisher['sendRaw']>[1]): Promise<void> {
    const owner = /^([a-z]+)\.events$/.exec(topic.startsWith(this.prefix) ? topic.slice(this.prefix.length) : '')?.[1];
    const principal = owner && ['catalog', 'pool', 'contracts', 'points'].includes(owner) ? (owner as Context) : 'operator';
    await this.as(principal).sendRaw(topic, message);
  }

  override async disconnect(): Promise<void> {
    await Promise.all([...this.publishers.values()].map((publisher) => publisher.disconnect()));
  }
}

/**
 * A publisher and an admin client on the run's Kafka, under a test file's topic prefix: events
 * go out as the service that owns their topic; the admin is the operator's.
 */
export function testKafka(names: ReturnType<typeof uniqueNames>, env: TestKafkaEnv = process.env): { publisher: EventPublisher; admin: Admin } {
  return { publisher: new OwnerPublisher(names.prefix, env), admin: testKafkaClient('operator', env).admin() };
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
