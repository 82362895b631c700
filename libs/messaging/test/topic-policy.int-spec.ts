import { testKafkaClient, uniqueNames } from '@licensing/testing';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { DLQ_RETENTION_MS, ensureTopics, provisionKafkaAcls, TopicPolicyError } from '../src';

/**
 * Issue 11: the services bring their topics to the declared policy at start-up (topology.ts),
 * signed in as themselves on the run's real broker: missing topics are created with it, a drifted
 * setting of their own topics is corrected (keeping the topic's other settings), another service's
 * topic is left to its owner, and too few partitions stop the start with a clear error.
 */
const names = uniqueNames(__filename);
const topic = (name: string) => names.prefix + name;
const settings = { topicPartitions: 3, eventsRetentionMs: -1 };
let operator: Admin;
let pool: Admin;

const configOf = async (name: string): Promise<Record<string, string>> => {
  const described = await operator.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name }] });
  return Object.fromEntries((described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
};
const partitionsOf = async (name: string) => (await operator.fetchTopicMetadata({ topics: [name] })).topics[0]?.partitions.length;

beforeAll(async () => {
  operator = testKafkaClient('operator').admin();
  pool = testKafkaClient('pool').admin();
  await Promise.all([operator.connect(), pool.connect()]);
});

afterAll(async () => {
  await Promise.all([operator.disconnect(), pool.disconnect()]);
});

describe('topic policy at start-up', () => {
  it('creates missing topics and their .dlq twins with their declared policy, whoever creates them', async () => {
    const report = await ensureTopics(pool, [topic('pool.events'), topic('catalog.events')], settings, { owner: 'pool' });
    expect(report.created.sort()).toEqual(
      [topic('catalog.events'), topic('catalog.events.dlq'), topic('pool.events'), topic('pool.events.dlq')].sort(),
    );
    expect(await configOf(topic('catalog.events'))).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(await configOf(topic('pool.events'))).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
    expect(await configOf(topic('pool.events.dlq'))).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': String(DLQ_RETENTION_MS) });
    expect(await partitionsOf(topic('catalog.events.dlq'))).toBe(3);
    expect(await ensureTopics(pool, [topic('pool.events'), topic('catalog.events')], settings, { owner: 'pool' })).toEqual({
      created: [],
      corrected: [],
    });
  });

  it("corrects a drifted retention of the service's own topic and keeps the topic's other settings; leaves another owner's topic alone", async () => {
    for (const [name, entries] of [
      [topic('pool.events'), { 'retention.ms': '604800000', 'segment.ms': '3600000' }],
      [topic('catalog.events'), { 'cleanup.policy': 'delete' }],
    ] as const) {
      await operator.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configEntries: Object.entries(entries).map(([n, value]) => ({ name: n, value })) }],
      });
    }
    const report = await ensureTopics(pool, [topic('pool.events'), topic('catalog.events')], settings, { owner: 'pool' });
    expect(report.corrected).toEqual([{ topic: topic('pool.events'), before: { 'retention.ms': '604800000' }, after: { 'retention.ms': '-1' } }]);
    expect(await configOf(topic('pool.events'))).toMatchObject({ 'retention.ms': '-1', 'segment.ms': '3600000', 'cleanup.policy': 'delete' });
    // The catalog corrects its own topic when it starts; the pool is not allowed to, and does not try.
    expect(await configOf(topic('catalog.events'))).toMatchObject({ 'cleanup.policy': 'delete' });
  });

  it('refuses a topic of its own with fewer partitions than declared, naming the topic and the way out', async () => {
    await operator.createTopics({
      topics: [
        { topic: topic('points.events'), numPartitions: 2 },
        { topic: topic('points.events.dlq'), numPartitions: 3 },
      ],
    });
    const points = testKafkaClient('points').admin();
    await points.connect();
    try {
      const attempt = ensureTopics(points, [topic('points.events')], settings, { owner: 'points' });
      await expect(attempt).rejects.toBeInstanceOf(TopicPolicyError);
      await expect(attempt).rejects.toThrow(`topic ${topic('points.events')} has 2 partitions, fewer than the 3 declared (KAFKA_TOPIC_PARTITIONS)`);
      // More partitions than declared are fine.
      await expect(ensureTopics(points, [topic('points.events')], { ...settings, topicPartitions: 2 }, { owner: 'points' })).resolves.toMatchObject({
        created: [],
      });
    } finally {
      await points.disconnect();
    }
  });

  it("is applied by the deployment's provisioning too (npm start, the kafka-acls jobs), which refuses too few partitions the same way", async () => {
    const prefix = `${names.prefix}deploy.`;
    const env = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      KAFKA_SASL_USERNAME: process.env.KAFKA_OPERATOR_USERNAME ?? 'operator',
      KAFKA_SASL_PASSWORD: process.env.KAFKA_OPERATOR_PASSWORD,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      LOG_LEVEL: 'silent',
    };
    await provisionKafkaAcls(env);
    expect(await configOf(`${prefix}catalog.events`)).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(await configOf(`${prefix}contracts.events`)).toMatchObject({ 'retention.ms': '-1' });
    expect(await partitionsOf(`${prefix}points.events.dlq`)).toBe(2);
    await expect(provisionKafkaAcls({ ...env, KAFKA_TOPIC_PARTITIONS: '3' })).rejects.toBeInstanceOf(TopicPolicyError);
  });
});
