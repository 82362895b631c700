import type { CloudEvent } from '@licensing/events';
import { testKafkaClient, type TestKafkaEnv } from '@licensing/testing';
import type { Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** An event seen on a topic, with the time Kafka stamped on it (the producer's send time) and when the harness read it. */
export interface Seen<T = unknown> {
  event: CloudEvent<T>;
  /** Kafka's CreateTime: when the service's relay sent it (same machine, same clock as the harness). */
  at: number;
  readAt: number;
}

type Listener = (seen: Seen) => void;

/**
 * Reads topics from their beginning as the operator (a consumer group of its own) and hands each
 * CloudEvent to the listeners of its type. Unlike the tests' EventTap it keeps nothing itself,
 * so a run of 100,000 events costs no more than the listeners keep.
 */
export class EventWatch {
  private readonly listeners = new Map<string, Set<Listener>>();
  count = 0;

  private constructor(private readonly consumer: Consumer) {}

  static async start(topics: string[], env: TestKafkaEnv): Promise<EventWatch> {
    const consumer = testKafkaClient('operator', env).consumer({ groupId: `bench-watch-${randomUUID()}`, maxWaitTimeInMs: 50 });
    const watch = new EventWatch(consumer);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        const readAt = Date.now();
        for (const message of batch.messages) {
          watch.count++;
          let event: CloudEvent | undefined;
          try {
            event = JSON.parse(message.value?.toString('utf8') ?? 'null') as CloudEvent;
          } catch {
            continue;
          }
          const listeners = event?.type ? watch.listeners.get(event.type) : undefined;
          if (!listeners) continue;
          const seen: Seen = { event, at: Number(message.timestamp), readAt };
          for (const listener of listeners) listener(seen);
        }
      },
    });
    await joined;
    return watch;
  }

  /** Calls `listener` for every event of `type`; returns the function that stops it. */
  on<T>(type: string, listener: (seen: Seen<T>) => void): () => void {
    const set = this.listeners.get(type) ?? new Set<Listener>();
    set.add(listener as Listener);
    this.listeners.set(type, set);
    return () => set.delete(listener as Listener);
  }

  /** Indexes events of `type` by the key(s) `keyOf` returns, keeping the first sighting of each. */
  index<T>(type: string, keyOf: (data: T) => string | string[]): { seen: Map<string, Seen<T>>; stop: () => void } {
    const seen = new Map<string, Seen<T>>();
    const stop = this.on<T>(type, (s) => {
      const keys = keyOf(s.event.data);
      for (const key of Array.isArray(keys) ? keys : [keys]) if (!seen.has(key)) seen.set(key, s);
    });
    return { seen, stop };
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Polls `done` every 100 ms until it is true, reporting progress; false when `timeoutMs` passes first. */
export async function until(done: () => boolean, timeoutMs: number, report?: () => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    report?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
