import { createEvent, dlqTopicOf, PointsEvents, topicOf, type Context, type ExchangeDebitedV1 } from '@licensing/events';
import { EventTap, testKafkaClient, testKafkaSasl, uniqueNames } from '@licensing/testing';
import { Kafka, logLevel, type Admin, type Consumer, type LogEntry } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { ensureTopics, EventPublisher, kafkajsSasl } from '../src';

/**
 * Issue 9 item 1: Kafka lets nobody in without credentials, and each service's principal only
 * where its ACLs (serviceAcls, granted under this file's prefix before it runs) say. Against the
 * run's real broker: SASL/SCRAM-SHA-512 and the StandardAuthorizer, nothing allowed without an ACL.
 */
const names = uniqueNames(__filename);
const topic = (context: Context) => names.prefix + topicOf(context);
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
let admin: Admin;
let tap: EventTap;
const closers: (() => Promise<unknown>)[] = [];

/** What the attacker published by hand: a schema-valid debit for a partner never enrolled. */
const handMadeDebit = () =>
  createEvent<ExchangeDebitedV1>({
    type: PointsEvents.exchangeDebited,
    subject: 'never-enrolled',
    partnerId: 'never-enrolled',
    data: {
      exchangeId: randomUUID(),
      partnerId: 'never-enrolled',
      lines: [{ sku: 'EP-M', termMonths: 1, quantity: 1000, pointsPerLicense: 5 }],
      totalPoints: 5000,
      debitedAt: new Date().toISOString(),
    },
  });

const publisherAs = (as: Context) => {
  const publisher = new EventPublisher(testKafkaClient(as), { topicPrefix: names.prefix });
  closers.push(() => publisher.disconnect());
  return publisher;
};

/** A consumer signed in as `as`, with kafkajs' own log kept: it names the broker's error codes that its thrown errors hide. */
const consumerAs = (as: Context, groupId: string): { consumer: Consumer; log: LogEntry[] } => {
  const log: LogEntry[] = [];
  const sasl = testKafkaSasl(as);
  const kafka = new Kafka({
    clientId: `acl-test-${as}`,
    brokers,
    ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
    retry: { retries: 0 },
    logLevel: logLevel.DEBUG,
    logCreator: () => (entry) => void log.push(entry),
  });
  const consumer = kafka.consumer({ groupId, retry: { retries: 0 } });
  closers.push(() => consumer.disconnect());
  return { consumer, log };
};

const crashOf = (consumer: Consumer) => new Promise<Error>((resolve) => consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error)));

/** The broker's error code behind a kafkajs error (a non-retriable error wraps it as its cause). */
const brokerCode = (error: unknown): string | undefined => {
  const { type, cause } = error as { type?: string; cause?: { type?: string } };
  return type ?? cause?.type;
};

const brokerErrors = (log: LogEntry[]) => log.map((entry) => (entry.log as { error?: { type?: string } }).error?.type).filter(Boolean);

beforeAll(async () => {
  admin = testKafkaClient('operator').admin();
  await admin.connect();
  closers.push(() => admin.disconnect());
  await ensureTopics(admin, (['catalog', 'pool', 'contracts', 'points'] as const).map(topic), 1);
  tap = await EventTap.start([topic('points'), dlqTopicOf(topic('points'))]);
  closers.push(() => tap.stop());
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

describe('Kafka authentication', () => {
  it('refuses a client that does not sign in', async () => {
    const anonymous = new Kafka({ clientId: 'anonymous', brokers, retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    await anonymous.disconnect();
  });

  it('refuses a service user with a wrong password', async () => {
    const sasl = testKafkaSasl('points');
    if (!sasl) throw new Error('the run gives no Kafka credentials: the broker must authenticate its clients');
    const impostor = new Kafka({
      clientId: 'impostor',
      brokers,
      sasl: kafkajsSasl({ ...sasl, password: `${sasl.password}x` }),
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    await expect(impostor.admin().connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
  });
});

describe('Kafka authorisation: each service writes only its own topic', () => {
  it("refuses the pool's principal writing points.events: the hand-made exchange-debited of the issue never lands", async () => {
    const forged = handMadeDebit();
    await expect(publisherAs('pool').publish([forged]).catch(brokerCode)).resolves.toBe('TOPIC_AUTHORIZATION_FAILED');
    await expect(publisherAs('contracts').publish([forged]).catch(brokerCode)).resolves.toBe('TOPIC_AUTHORIZATION_FAILED');

    // The points principal may write it; once its own event is read, nothing came before it.
    const genuine = handMadeDebit();
    await publisherAs('points').publish([genuine]);
    await tap.waitFor((m) => (m.json as { id?: string } | undefined)?.id === genuine.id);
    expect(tap.events((e) => e.id === forged.id)).toEqual([]);
  });

  it('lets a consumer dead-letter to the .dlq twin of a topic it reads, and write nothing else of that context', async () => {
    const pool = publisherAs('pool');
    await pool.sendRaw(dlqTopicOf(topic('points')), { key: 'k', value: 'dead letter from the pool', headers: {} });
    await tap.waitFor((m) => m.topic === dlqTopicOf(topic('points')) && m.value === 'dead letter from the pool');
    await expect(pool.sendRaw(topic('catalog'), { key: 'k', value: 'not the catalog', headers: {} }).catch(brokerCode)).resolves.toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    // The catalog consumes nothing: it may not dead-letter into another context's twin either.
    const catalog = publisherAs('catalog');
    await expect(catalog.sendRaw(dlqTopicOf(topic('points')), { key: 'k', value: 'x', headers: {} }).catch(brokerCode)).resolves.toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });
});

describe('Kafka authorisation: each service reads what it consumes, in its own groups', () => {
  it("refuses the pool's principal joining the points service's consumer group", async () => {
    const { consumer, log } = consumerAs('pool', `${names.prefix}points`);
    const crashed = crashOf(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic('points')], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await crashed;
    expect(brokerErrors(log)).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('lets the pool read points.events in a group of its own', async () => {
    const { consumer } = consumerAs('pool', `${names.prefix}pool-acl-test`);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic('points')], fromBeginning: true });
    const first = new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ topic: read }) => resolve(read) }));
    await publisherAs('points').publish([handMadeDebit()]);
    expect(await first).toBe(topic('points'));
  });

  it('refuses a service reading a topic it does not consume (the catalog reading pool.events)', async () => {
    const { consumer, log } = consumerAs('catalog', `${names.prefix}catalog`);
    const crashed = crashOf(consumer);
    const error = await (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic('pool')], fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
      return crashed;
    })().catch((thrown: Error) => thrown);
    expect([brokerCode(error), ...brokerErrors(log)]).toContain('TOPIC_AUTHORIZATION_FAILED');
  });
});
