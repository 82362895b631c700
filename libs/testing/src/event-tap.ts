import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { TestKafkaEnv } from './kafka-probe';

export interface TappedMessage {
  topic: string;
  partition: number;
  /** Its offset in the partition (a string, as kafkajs gives it): how far a tap has read. */
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** The parsed value when it is JSON. */
  json: unknown;
}

const headersOf = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v?.toString() ?? '')]));

/**
 * A plain Kafka consumer (no project code) that records every message on some topics from the
 * beginning, and waits for the ones a test expects. It reads as the operator, who may read
 * every topic.
 */
export class EventTap {
  readonly messages: TappedMessage[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly consumer: Consumer) {}

  static async start(topics: string[], env: TestKafkaEnv = process.env): Promise<EventTap> {
    const { KAFKA_BROKERS = '', KAFKA_OPERATOR_USERNAME = 'operator', KAFKA_OPERATOR_PASSWORD } = env;
    const kafka = new Kafka({
      clientId: 'event-tap',
      brokers: KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
      ...(KAFKA_OPERATOR_PASSWORD
        ? { sasl: { mechanism: 'scram-sha-512', username: KAFKA_OPERATOR_USERNAME, password: KAFKA_OPERATOR_PASSWORD } }
        : {}),
    });
    const consumer = kafka.consumer({ groupId: `tap-${randomUUID()}` });
    const tap = new EventTap(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString('utf8') ?? null;
        let json: unknown;
        try {
          json = value === null ? undefined : JSON.parse(value);
        } catch {
          json = undefined;
        }
        tap.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value,
          headers: headersOf(message.headers),
          json,
        });
        for (const wake of tap.waiters) wake();
      },
    });
    return tap;
  }

  /** Resolves with the first `count` messages matching, or rejects after `timeoutMs`. */
  async waitFor(predicate: (m: TappedMessage) => boolean, options: { count?: number; timeoutMs?: number } = {}): Promise<TappedMessage[]> {
    const count = options.count ?? 1;
    const timeoutMs = options.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.filter(predicate);
        if (found.length >= count) {
          cleanup();
          resolve(found.slice(0, count));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `waited ${timeoutMs} ms for ${count} message(s); saw ${this.messages.filter(predicate).length} matching of ${this.messages.length}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** CloudEvents (parsed JSON values) on the tapped topics matching the predicate. */
  events<T = Record<string, unknown>>(
    predicate: (e: T & { type: string; id: string }) => boolean = () => true,
  ): (T & { type: string; id: string })[] {
    return this.messages.map((m) => m.json as T & { type: string; id: string }).filter((e) => e !== undefined && predicate(e));
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Polls until `check` returns a truthy value (or `timeoutMs` passes). */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
