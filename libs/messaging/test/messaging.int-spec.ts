import { CatalogCopy, CatalogCopyModule } from '@licensing/catalog-copy';
import {
  CatalogEvents,
  createEvent,
  dlqTopicOf,
  type CloudEvent,
  type EventDraft,
  type FamilyUpdatedV1,
  type ProductUpdatedV1,
} from '@licensing/events';
import { AggregateRepository, aggregateSchema, type AggregateDocument } from '@licensing/persistence';
import { createLogger, loadConfig, Metrics, readPlatformConfig } from '@licensing/platform';
import { ServiceKitModule, startService, type RunningService } from '@licensing/service-kit';
import {
  EventTap,
  eventually,
  LocalInfrastructure,
  productUpdated,
  serviceEnv,
  testKafka,
  testKafkaClient,
  topicEnd,
  uniqueNames,
} from '@licensing/testing';
import { Controller, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InjectModel, MongooseModule } from '@nestjs/mongoose';
import type { Admin, Producer } from 'kafkajs';
import mongoose, { type Connection, type Model } from 'mongoose';
import { CATALOG_COPY_GROUP } from '@licensing/catalog-copy';
import { DlqHeaders, EventPublisher, OutboxRelay } from '../src';

const names = uniqueNames(__filename);
const logger = createLogger('messaging-test', 'silent');
const topic = `${names.prefix}catalog.events`;
const dlq = dlqTopicOf(topic);
let connection: Connection;
let publisher: EventPublisher;
let producer: Producer;
let admin: Admin;
let tap: EventTap;
let app: RunningService;
// Its own Mongo server, which one test stops and starts again.
let mongo: LocalInfrastructure;
const closers: (() => Promise<unknown>)[] = [];

const product = (sku: string): ProductUpdatedV1 => productUpdated(sku, { terms: [12] });
const familyDraft = (code: string): EventDraft<FamilyUpdatedV1> => ({
  type: CatalogEvents.familyUpdated,
  subject: code,
  data: { code, name: code, version: 1, updatedAt: new Date().toISOString() },
});
const family = (code: string): CloudEvent<FamilyUpdatedV1> => createEvent(familyDraft(code));
const send = (value: string, key = 'k') => producer.send({ topic, messages: [{ key, value }] });
const isEvent = (id: string | undefined) => (m: { json: unknown }) => (m.json as CloudEvent | undefined)?.id === id;

// ---------------------------------------------------------------- a service made of the kit alone

const handledTimes = { count: 0, failures: 0 };

@Injectable()
class TallyRepository extends AggregateRepository<{ count: number }> {
  constructor(@InjectModel('family_tallies') model: Model<AggregateDocument<{ count: number }>>, relay: OutboxRelay) {
    super(model, relay);
  }
}

/** Counts each family event once, however often it is delivered (dedupe by event id). */
@Controller()
class TallyMessageController {
  constructor(private readonly tallies: TallyRepository) {}

  // In the catalog copy's group: one consumer reads the topic, so a bad message is dead-lettered once.
  @EventPattern(CatalogEvents.familyUpdated, { group: CATALOG_COPY_GROUP })
  async familyUpdated(@Payload() event: CloudEvent<FamilyUpdatedV1>): Promise<void> {
    if (event.subject === 'always-fails') {
      handledTimes.failures++;
      throw new Error('this handler always fails');
    }
    await this.tallies.execute(event.subject, (state) => ({ state: { count: (state?.count ?? 0) + 1 }, result: null }), event.id);
    handledTimes.count++;
  }
}

@Module({})
class MessagingTestModule {
  static forRoot(env: Record<string, string>): DynamicModule {
    const config = loadConfig((reader) => readPlatformConfig(reader, 'pool', 0), env);
    return {
      module: MessagingTestModule,
      imports: [
        ServiceKitModule.forRoot(config),
        MongooseModule.forFeature([{ name: 'family_tallies', schema: aggregateSchema('family_tallies') }]),
        CatalogCopyModule,
      ],
      controllers: [TallyMessageController],
      providers: [TallyRepository],
    };
  }
}

beforeAll(async () => {
  mongo = await LocalInfrastructure.start(`messaging-${names.id}`, ['mongo']);
  const env = serviceEnv(names, { CONSUMER_MAX_ATTEMPTS: '3', MONGO_URL: mongo.urls().MONGO_URL });
  connection = await mongoose.createConnection(env.MONGO_URL ?? '', { dbName: names.database }).asPromise();
  // This file writes catalog.events as the catalog would, with the catalog's credentials.
  const kafka = testKafkaClient('catalog');
  publisher = new EventPublisher(kafka, { topicPrefix: names.prefix });
  producer = kafka.producer();
  await producer.connect();
  admin = testKafka(names).admin;
  await admin.connect();
  app = await startService(
    MessagingTestModule.forRoot(env),
    loadConfig((reader) => readPlatformConfig(reader, 'pool', 0), env),
    'messaging test',
  );
  tap = await EventTap.start([topic, dlq]);
  closers.push(
    () => app.close(),
    () => tap.stop(),
    () => producer.disconnect(),
    () => publisher.disconnect(),
    () => admin.disconnect(),
    () => connection.close(),
  );
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  // The server this file started stops last, even when something before it failed to close.
  await mongo?.stopServers(['mongo'], true);
});

describe('outbox relay', () => {
  it('publishes an event saved while the relay was stopped exactly once when a relay starts again', async () => {
    const model = connection.model<AggregateDocument<{ n: number }>>('tallies', aggregateSchema('tallies'));
    const first = new OutboxRelay(publisher, logger, { sweepMs: 200 });
    const repository = new AggregateRepository<{ n: number }>(model, first);
    first.start();
    await first.stop();

    const saved = await repository.execute('t-1', () => ({ state: { n: 1 }, events: [familyDraft('outbox-family')], result: 'saved' }));
    const eventId = !saved.duplicate ? saved.events[0]?.id : undefined;
    // A marker on the same key, published after the save: once it is read, nothing came before it.
    const before = createEvent(familyDraft('outbox-family'));
    await publisher.publish([before]);
    await tap.waitFor(isEvent(before.id));
    expect(tap.messages.filter(isEvent(eventId))).toHaveLength(0);
    expect((await repository.load('t-1'))?.outbox).toHaveLength(1);

    const second = new OutboxRelay(publisher, logger, { sweepMs: 100 });
    second.watch(model as never);
    second.start();
    closers.unshift(() => second.stop()); // before the app and the publisher it uses
    await tap.waitFor(isEvent(eventId));
    await eventually(async () => (await repository.load('t-1'))?.outbox.length === 0);
    await second.sweep();
    const after = createEvent(familyDraft('outbox-family'));
    await publisher.publish([after]);
    await tap.waitFor(isEvent(after.id));
    expect(tap.messages.filter(isEvent(eventId))).toHaveLength(1);
  });
});

describe('CloudEvents transport', () => {
  const catalog = () => app.get(CatalogCopy);
  const dlqMessages = (predicate: (reason: string | undefined) => boolean = () => true) =>
    tap.messages.filter((m) => m.topic === dlq && predicate(m.headers[DlqHeaders.reason]));

  it('handles a redelivered event (same id) once', async () => {
    const event = family('redelivered');
    await send(JSON.stringify(event), 'redelivered');
    await send(JSON.stringify(event), 'redelivered');
    const marker = family('redelivered-marker');
    await send(JSON.stringify(marker), 'redelivered');
    await eventually(() => app.db.collection('family_tallies').findOne({ _id: 'redelivered-marker' as never }));
    const tally = await app.db.collection('family_tallies').findOne({ _id: 'redelivered' as never });
    expect(tally?.state).toEqual({ count: 1 });
    expect(tally?.handled).toEqual([event.id]);
  });

  it('dead-letters malformed and invalid events with the error, skips types it has no handler for, and keeps consuming what follows', async () => {
    const dlqBefore = await topicEnd(admin, dlq);
    const unknownVersion = {
      ...createEvent({ type: CatalogEvents.productUpdated, subject: 'X-1', data: product('X-1') }),
      type: 'catalog.product-updated.v9',
    };
    const otherContext = {
      ...createEvent({ type: CatalogEvents.productUpdated, subject: 'X-3', data: product('X-3') }),
      type: 'pool.stock-counted.v2',
    };
    const invalid = createEvent({ type: CatalogEvents.productUpdated, subject: 'X-2', data: { ...product('X-2'), terms: ['twelve'] } });
    const following = createEvent({ type: CatalogEvents.productUpdated, subject: 'AFTER-BAD', data: product('AFTER-BAD') });
    const skippedBefore = await skipped('catalog.product-updated.v9');
    await send('{"this is": not json', 'dlq');
    await send(JSON.stringify(unknownVersion), 'dlq');
    await send(JSON.stringify(otherContext), 'dlq');
    await send(JSON.stringify(invalid), 'dlq');
    await send(JSON.stringify(following), 'dlq');

    // One partition keeps the order: once AFTER-BAD is applied, everything before it was dealt with.
    await eventually(() => catalog().get('AFTER-BAD'));
    expect(await catalog().get('X-2')).toBeNull();
    expect(await catalog().get('X-1')).toBeNull();
    expect(await topicEnd(admin, dlq)).toBe(dlqBefore + 2);
    const dead = await tap.waitFor((m) => m.topic === dlq && m.headers[DlqHeaders.reason] !== 'handler-failed', { count: 2 });
    expect(dead.map((m) => m.headers[DlqHeaders.reason])).toEqual(['malformed', 'invalid']);
    expect(dead[0]?.value).toBe('{"this is": not json');
    expect(dead[1]?.headers[DlqHeaders.error]).toContain('data/terms/0');
    expect(dead.every((m) => m.headers[DlqHeaders.topic] === topic && m.headers[DlqHeaders.group]?.startsWith(`${names.prefix}pool-catalog`))).toBe(
      true,
    );
    expect(await skipped('catalog.product-updated.v9')).toBe(skippedBefore + 1);
    expect(await skipped('pool.stock-counted.v2')).toBe(1);
  });

  it('dead-letters an event whose handler keeps failing after its bounded attempts, and moves on', async () => {
    await send(JSON.stringify(family('always-fails')), 'fails');
    await send(JSON.stringify(family('after-failure')), 'fails');
    const [dead] = await tap.waitFor((m) => m.topic === dlq && m.headers[DlqHeaders.reason] === 'handler-failed');
    expect(dead?.headers[DlqHeaders.error]).toBe('Error: this handler always fails');
    expect(dead?.headers[DlqHeaders.attempts]).toBe('3');
    expect(handledTimes.failures).toBe(3);
    await eventually(() => app.db.collection('family_tallies').findOne({ _id: 'after-failure' as never }));
    expect(dlqMessages((reason) => reason === 'handler-failed')).toHaveLength(1);
  });
});

describe('issue 9, item 6: a message just under the broker limit', () => {
  it('is dead-lettered as a truncated copy with its origin and size, and the consumer moves on', async () => {
    // The broker takes at most 1,048,588 bytes per batch: the message fits, its dead letter with
    // the dlq-* headers does not.
    const value = Buffer.alloc(1_048_588 - 250, 'x');
    await producer.send({ topic, messages: [{ key: 'huge', value }] });
    await send(JSON.stringify(family('after-huge')), 'huge');
    const [dead] = await tap.waitFor((m) => m.topic === dlq && m.headers[DlqHeaders.truncated] === 'true', { timeoutMs: 30_000 });
    expect(dead?.headers).toMatchObject({ [DlqHeaders.reason]: 'malformed', [DlqHeaders.size]: String(value.length), [DlqHeaders.topic]: topic });
    expect(dead?.value?.length).toBe(64 * 1024);
    await eventually(() => app.db.collection('family_tallies').findOne({ _id: 'after-huge' as never }));
  });
});

describe('a bad moment is not a bad message', () => {
  it('keeps events that arrive while Mongo is away for 10 s: nothing is dead-lettered, each is applied once when it is back', async () => {
    const dlqBefore = await topicEnd(admin, dlq);
    const events = Array.from({ length: 20 }, (_, i) => family(`outage-${i}`));
    await mongo.stopServers(['mongo']);
    const stoppedAt = Date.now();
    for (const event of events) await send(JSON.stringify(event), event.subject);
    // Some delivered twice, as a producer retry would.
    for (const event of events.slice(0, 5)) await send(JSON.stringify(event), event.subject);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt)))); // the outage itself
    await mongo.startServers(['mongo']);
    await eventually(async () => (await app.db.collection('family_tallies').countDocuments({ _id: { $regex: '^outage-' } } as never)) === 20, 60_000);
    const tallies = await app.db
      .collection('family_tallies')
      .find({ _id: { $regex: '^outage-' } } as never)
      .toArray();
    expect(tallies.map((t) => t.state)).toEqual(Array.from({ length: 20 }, () => ({ count: 1 })));
    expect(await topicEnd(admin, dlq)).toBe(dlqBefore);
  }, 120_000);
});

/** The transport's count of events it skipped, from /metrics. */
async function skipped(type: string): Promise<number> {
  const metrics = await app.get(Metrics).registry.getSingleMetric('events_consumed_total')?.get();
  return (metrics?.values ?? []).filter((v) => v.labels.type === type && v.labels.outcome === 'skipped').reduce((n, v) => n + v.value, 0);
}
