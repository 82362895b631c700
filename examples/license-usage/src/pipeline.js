'use strict';
/**
 * license-usage: a daily table per partner of licenses bought, assigned, recovered and expired,
 * and points spent, built from the licensing platform's event stream with public packages only
 * (kafkajs and the CloudEvents SDK). See ../README.md.
 *
 * Exactly-once effect on at-least-once delivery: the table, the last applied offset of each
 * partition and the ids of the events already counted are saved together in one state file
 * (written to a temporary file, then renamed), and only then are the offsets committed to Kafka.
 * After a crash the group resumes from its committed offsets; messages at or before the saved
 * offsets are skipped, and an event published twice (same id) counts once.
 */
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { Kafka: KafkaBinding } = require('cloudevents');
const { Kafka, logLevel } = require('kafkajs');

/** The topics read, without the deployment's prefix. */
const TOPICS = ['pool.events', 'contracts.events', 'points.events'];

const sum = (items, of) => (items ?? []).reduce((total, item) => total + of(item), 0);

/**
 * What each event type adds to its partner's row of the day. Unknown types (other events, newer
 * versions) add nothing: a new version comes beside the old one and is added here when needed.
 */
const MEASURES = {
  // Licenses that entered the pool by a purchase or a points exchange (not a recovery).
  'pool.stock-credited.v1': (data) =>
    data.source === 'purchase' || data.source === 'points' ? { licensesBought: sum(data.lines, (line) => line.quantity) } : {},
  // Monthly licenses that lapsed and left the pool (those it still held).
  'pool.stock-expired.v1': (data) => ({ licensesExpired: sum(data.lines, (line) => line.removed) }),
  // Every assignment, renewal, change or module addition takes licenses from the pool.
  'contracts.contract-activated.v1': (data) => ({ licensesAssigned: sum(data.contracts, (contract) => contract.quantity) }),
  'contracts.licenses-recovered.v1': (data) => ({ licensesRecovered: sum(data.lines, (line) => line.quantity) }),
  'points.exchange-debited.v1': (data) => ({ pointsSpent: data.totalPoints }),
  // A refund gives back what its exchange spent.
  'points.exchange-refunded.v1': (data) => ({ pointsSpent: -data.amount }),
  // The monthly renewal's amount is the (negative) ledger amount.
  'points.monthly-renewed.v1': (data) => ({ pointsSpent: -data.amount }),
};

const COLUMNS = ['licensesBought', 'licensesAssigned', 'licensesRecovered', 'licensesExpired', 'pointsSpent'];

const emptyState = () => ({ rows: {}, applied: {}, seen: [] });

function loadState(file) {
  try {
    return { ...emptyState(), ...JSON.parse(readFileSync(file, 'utf8')) };
  } catch (error) {
    if (error.code === 'ENOENT') return emptyState();
    throw error;
  }
}

function saveState(file, state) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

/** kafkajs gives header values as Buffers; the CloudEvents binding wants strings. */
const stringHeaders = (headers) =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(',') : String(value)]),
  );

class LicenseUsage {
  /**
   * @param {{ brokers: string[], sasl?: { mechanism: string, username: string, password: string }, ssl?: boolean,
   *   topicPrefix?: string, groupId?: string, stateFile: string, log?: (line: string) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.topics = TOPICS.map((topic) => (options.topicPrefix ?? '') + topic);
    this.kafka = new Kafka({
      clientId: 'license-usage',
      brokers: options.brokers,
      sasl: options.sasl,
      ssl: options.ssl ?? false,
      logLevel: logLevel.WARN,
    });
    this.state = loadState(options.stateFile);
    this.seen = new Set(this.state.seen);
    this.counts = { read: 0, counted: 0, duplicates: 0, skipped: 0, invalid: 0 };
  }

  /** Applies one Kafka message; returns whether it changed the table. */
  apply(message) {
    this.counts.read++;
    let event;
    try {
      event = KafkaBinding.toEvent({
        key: message.key?.toString('utf8') ?? '',
        value: message.value?.toString('utf8'),
        headers: stringHeaders(message.headers),
      });
      event.validate();
    } catch (error) {
      this.counts.invalid++;
      this.options.log?.(`not a CloudEvent, skipped: ${error.message}`);
      return false;
    }
    const measure = MEASURES[event.type];
    if (!measure) {
      this.counts.skipped++;
      return false;
    }
    if (this.seen.has(event.id)) {
      this.counts.duplicates++;
      return false;
    }
    this.seen.add(event.id);
    const measured = Object.entries(measure(event.data)).filter(([, value]) => value !== 0);
    if (measured.length === 0) {
      this.counts.skipped++;
      return false;
    }
    const day = new Date(event.time).toISOString().slice(0, 10);
    const partnerId = event.partnerid;
    const key = `${day}|${partnerId}`;
    const row = (this.state.rows[key] ??= { day, partnerId, ...Object.fromEntries(COLUMNS.map((column) => [column, 0])) });
    for (const [column, value] of measured) row[column] += value;
    this.counts.counted++;
    return true;
  }

  /** The table: a row per day and partner, in order. */
  table() {
    return Object.values(this.state.rows).sort((a, b) => (a.day === b.day ? a.partnerId.localeCompare(b.partnerId) : a.day.localeCompare(b.day)));
  }

  /**
   * Reads from the group's committed offsets (the beginning, the first time). With `follow` it
   * runs until `stop()`; otherwise it stops once it has read what the topics held when it started.
   */
  async run({ follow = false } = {}) {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map();
    try {
      for (const topic of this.topics) {
        for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
          if (Number(high) > Number(low)) ends.set(`${topic}:${partition}`, Number(high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({ groupId: this.options.groupId ?? `${this.options.topicPrefix ?? ''}license-usage` });
    this.consumer = consumer;
    const committed = await this.committedOffsets();
    const pending = new Set([...ends].filter(([key, end]) => (committed.get(key) ?? 0) < end).map(([key]) => key));
    let finish;
    let fail;
    const finished = new Promise((resolve, reject) => ((finish = resolve), (fail = reject)));
    consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const key = `${batch.topic}:${batch.partition}`;
        const applied = this.state.applied[key] ?? -1;
        for (const message of batch.messages) {
          if (Number(message.offset) <= applied) continue;
          this.apply(message);
          this.state.applied[key] = Number(message.offset);
        }
        if (batch.messages.length > 0) {
          this.state.seen = [...this.seen];
          saveState(this.options.stateFile, this.state);
          const next = Number(batch.lastOffset()) + 1;
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }]);
          if (next >= (ends.get(key) ?? 0)) pending.delete(key);
        }
        await heartbeat();
        if (!follow && pending.size === 0) finish();
      },
    });
    if (!follow && pending.size === 0) finish();
    try {
      await finished;
    } finally {
      await consumer.disconnect();
    }
    return this.table();
  }

  async stop() {
    await this.consumer?.disconnect();
  }

  /** The group's committed offsets (`topic:partition` → next offset to read). */
  async committedOffsets() {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const groupId = this.options.groupId ?? `${this.options.topicPrefix ?? ''}license-usage`;
      const offsets = new Map();
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: this.topics })) {
        for (const { partition, offset } of partitions) if (Number(offset) >= 0) offsets.set(`${topic}:${partition}`, Number(offset));
      }
      return offsets;
    } finally {
      await admin.disconnect();
    }
  }
}

/** The table as CSV, one row per day and partner. */
const toCsv = (rows) =>
  [['day', 'partnerId', ...COLUMNS].join(','), ...rows.map((row) => [row.day, row.partnerId, ...COLUMNS.map((c) => row[c])].join(','))].join('\n');

module.exports = { LicenseUsage, MEASURES, COLUMNS, TOPICS, toCsv };
