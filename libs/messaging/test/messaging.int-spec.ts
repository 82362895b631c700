import {
  CatalogEvents,
  createEvent,
  dlqTopicOf,
  type CloudEvent,
  type EventDraft,
  type FamilyUpdatedV1,
  type ProductUpdatedV1,
} from '@licensing/events';
import { AggregateRepository, connectMongo, type MongoConnection } from '@licensing/persistence';
import { createLogger, Metrics } from '@licensing/platform';
import { EventTap, eventually, productUpdated, uniqueNames } from '@licensing/testing';
import type { Kafka, Producer } from 'kafkajs';
import { CatalogReadModel, createKafka, ensureTopics, EventConsumer, EventPublisher, OutboxRelay, DlqHeaders } from '../src';

const names = uniqueNames(__filename);
const logger = createLogger('messaging-test', 'silent');
const topic = `${names.prefix}catalog.events`;
let mongo: MongoConnection;
let kafka: Kafka;
let publisher: EventPublisher;
let producer: Producer;
let tap: EventTap;
const closers: (() => Promise<unknown>)[] = [];

const product = (sku: string): ProductUpdatedV1 => productUpdated(sku, { terms: [12] });

const familyDraft = (code: string): EventDraft<FamilyUpdatedV1> => ({
  type: CatalogEvents.familyUpdated,
  subject: code,
  data: { code, name: code, version: 1, updatedAt: new Date().toISOString() },
});
const family = (code: string): CloudEvent<FamilyUpdatedV1> => createEvent(familyDraft(code));

const send = (value: string, key = 'k') => producer.send({ topic, messages: [{ key, value }] });

beforeAll(async () => {
  mongo = await connectMongo(process.env.MONGO_URL ?? '', names.database);
  kafka = createKafka(
    { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), clientId: 'messaging-test', topicPrefix: names.prefix, partitions: 3 },
    logger,
  );
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topic], 3);
  await admin.disconnect();
  publisher = new EventPublisher(kafka, { topicPrefix: names.prefix });
  producer = kafka.producer();
  await producer.connect();
  tap = await EventTap.start([topic, dlqTopicOf(topic)]);
  closers.push(
    () => tap.stop(),
    () => producer.disconnect(),
    () => publisher.disconnect(),
    () => mongo.close(),
  );
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('outbox relay', () => {
  it('publishes an event saved while the relay was stopped exactly once when a relay starts again', async () => {
    const repository = new AggregateRepository<{ n: number }>(mongo.db, 'tallies');
    const first = new OutboxRelay([repository.collection as never], publisher, logger, { sweepMs: 200 });
    repository.onEventsSaved = (id) => first.trigger(repository.collection as never, id);
    first.start();
    await first.stop();

    const saved = await repository.execute('t-1', () => ({ state: { n: 1 }, events: [familyDraft('outbox-family')], result: 'saved' }));
    const eventId = !saved.duplicate ? saved.events[0]?.id : undefined;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(tap.messages.filter((m) => (m.json as CloudEvent).id === eventId)).toHaveLength(0);
    expect((await repository.load('t-1'))?.outbox).toHaveLength(1);

    const second = new OutboxRelay([repository.collection as never], publisher, logger, { sweepMs: 200 });
    second.start();
    closers.push(() => second.stop());
    await tap.waitFor((m) => (m.json as CloudEvent).id === eventId);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // several more sweeps
    expect(tap.messages.filter((m) => (m.json as CloudEvent).id === eventId)).toHaveLength(1);
    expect((await repository.load('t-1'))?.outbox).toEqual([]);
  });
});

describe('event consumer', () => {
  const readModel = () => new CatalogReadModel(mongo.db, 'catalog_skus');
  let handled = 0;
  let failures = 0;

  beforeAll(async () => {
    const tallies = new AggregateRepository<{ count: number }>(mongo.db, 'family_tallies');
    const consumer = new EventConsumer(
      kafka,
      {
        groupId: `${names.prefix}reader`,
        topics: [topic],
        maxAttempts: 3,
        retryBackoffMs: 20,
        handlers: {
          ...readModel().handlers(),
          // Counts each family event once, however often it is delivered (dedupe by event id).
          [CatalogEvents.familyUpdated]: async (event) => {
            if (event.subject === 'always-fails') {
              failures++;
              throw new Error('this handler always fails');
            }
            await tallies.execute(event.subject, (state) => ({ state: { count: (state?.count ?? 0) + 1 }, result: null }), event.id);
            handled++;
          },
        },
      },
      publisher,
      logger,
      new Metrics('messaging-test'),
    );
    await consumer.start();
    closers.push(() => consumer.stop());
  });

  it('handles a redelivered event (same id) once', async () => {
    const event = family('redelivered');
    await send(JSON.stringify(event), 'redelivered');
    await send(JSON.stringify(event), 'redelivered');
    await eventually(async () => handled >= 2);
    const tally = await mongo.db.collection('family_tallies').findOne({ _id: 'redelivered' as never });
    expect(tally?.state).toEqual({ count: 1 });
    expect(tally?.handled).toEqual([event.id]);
  });

  it('dead-letters malformed, unknown-version and invalid events with the error, and keeps consuming what follows', async () => {
    const unknownVersion = {
      ...createEvent({ type: CatalogEvents.productUpdated, subject: 'X-1', data: product('X-1') }),
      type: 'catalog.product-updated.v9',
    };
    const invalid = createEvent({ type: CatalogEvents.productUpdated, subject: 'X-2', data: { ...product('X-2'), terms: ['twelve'] } });
    const following = createEvent({ type: CatalogEvents.productUpdated, subject: 'AFTER-BAD', data: product('AFTER-BAD') });
    await send('{"this is": not json', 'dlq');
    await send(JSON.stringify(unknownVersion), 'dlq');
    await send(JSON.stringify(invalid), 'dlq');
    await send(JSON.stringify(following), 'dlq');

    const dead = await tap.waitFor((m) => m.topic === dlqTopicOf(topic) && m.headers[DlqHeaders.reason] !== 'handler-failed', { count: 3 });
    expect(dead.map((m) => m.headers[DlqHeaders.reason])).toEqual(['malformed', 'unknown-type', 'invalid']);
    expect(dead[0]?.value).toBe('{"this is": not json');
    expect(dead[1]?.headers[DlqHeaders.error]).toBe('unknown event type or version: catalog.product-updated.v9');
    expect(dead[2]?.headers[DlqHeaders.error]).toContain('data/terms/0');
    expect(dead.every((m) => m.headers[DlqHeaders.topic] === topic && m.headers[DlqHeaders.group] === `${names.prefix}reader`)).toBe(true);
    await eventually(() => readModel().get('AFTER-BAD'));
    expect(await readModel().get('X-2')).toBeNull();
  });

  it('dead-letters an event whose handler keeps failing after its bounded attempts, and moves on', async () => {
    await send(JSON.stringify(family('always-fails')), 'fails');
    const next = family('after-failure');
    await send(JSON.stringify(next), 'fails');
    const [dead] = await tap.waitFor((m) => m.topic === dlqTopicOf(topic) && m.headers[DlqHeaders.reason] === 'handler-failed');
    expect(dead?.headers[DlqHeaders.error]).toBe('Error: this handler always fails');
    expect(dead?.headers[DlqHeaders.attempts]).toBe('3');
    expect(failures).toBe(3);
    await eventually(() => mongo.db.collection('family_tallies').findOne({ _id: 'after-failure' as never }));
  });
});
