import { dlqTopicOf, validateEvent, type CloudEvent } from '@licensing/events';
import type { Logger, Metrics } from '@licensing/platform';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { EventPublisher } from './publisher';

export interface HandlerContext {
  logger: Logger;
  topic: string;
  partition: number;
  offset: string;
}

export type EventHandler = (event: CloudEvent, context: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  /** By event type (with version). Types not listed are valid but not this consumer's concern. */
  handlers: Record<string, EventHandler>;
  /** Attempts per message before it is dead-lettered. */
  maxAttempts: number;
  fromBeginning?: boolean;
  /** Called before the first fetch; e.g. to rewind the group when a read model is empty. */
  beforeStart?: () => Promise<void>;
  retryBackoffMs?: number;
  /** Partitions handled at once; order within a partition (one partner) is kept. */
  partitionsConcurrently?: number;
  /** How long the group waits for a silent member (a crashed one) before it moves its partitions. */
  sessionTimeoutMs?: number;
}

/** Why a message was dead-lettered, in the DLQ message's headers. */
export const DlqHeaders = {
  error: 'dlq-error',
  reason: 'dlq-reason',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-consumer-group',
  attempts: 'dlq-attempts',
  at: 'dlq-at',
} as const;

/**
 * The one way a service consumes events: each message is parsed and validated (envelope and
 * payload schema) before any handler sees it; an invalid one, or one whose handler still fails
 * after `maxAttempts`, goes to the topic's `.dlq` twin with the error, and the partition moves
 * on. Nothing is dropped: if even the DLQ cannot be written, the offset is not committed.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly log: Logger;

  constructor(
    kafka: Kafka,
    private readonly options: EventConsumerOptions,
    private readonly publisher: EventPublisher,
    logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.log = logger.child({ component: 'consumer', group: options.groupId });
    // A short fetch wait keeps shutdown quick: stopping waits for the fetch in flight.
    const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout,
      heartbeatInterval: Math.floor(sessionTimeout / 10),
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      this.metrics?.consumerLag.set(
        { topic: payload.topic, partition: String(payload.partition), group: options.groupId },
        Number(payload.offsetLag),
      );
    });
  }

  async start(): Promise<void> {
    await this.options.beforeStart?.();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message, heartbeat }) => this.handle(topic, partition, message, heartbeat),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async handle(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch {
      return this.deadLetter(topic, partition, message, 'malformed', 'the message is not JSON', 0);
    }
    const validation = validateEvent(parsed);
    if (!validation.ok) {
      const unknownType = validation.error.startsWith('unknown event type');
      return this.deadLetter(topic, partition, message, unknownType ? 'unknown-type' : 'invalid', validation.error, 0);
    }
    const event = parsed as CloudEvent;
    const handler = this.options.handlers[event.type];
    if (!handler) {
      this.metrics?.eventsIn.inc({ topic, type: event.type, outcome: 'ignored' });
      return;
    }
    const logger = this.log.child({ correlationId: event.correlationid, eventId: event.id, type: event.type });
    const backoff = this.options.retryBackoffMs ?? 200;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        await handler(event, { logger, topic, partition, offset: message.offset });
        this.metrics?.eventsIn.inc({ topic, type: event.type, outcome: 'handled' });
        return;
      } catch (error) {
        lastError = error;
        logger.warn({ err: error, attempt }, 'handler failed');
        if (attempt < this.options.maxAttempts) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(backoff * 2 ** (attempt - 1), 5000)));
          await heartbeat();
        }
      }
    }
    const error = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    return this.deadLetter(topic, partition, message, 'handler-failed', error, this.options.maxAttempts, event.type);
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
    error: string,
    attempts: number,
    type = 'unknown',
  ): Promise<void> {
    this.log.error({ topic, partition, offset: message.offset, reason, error }, 'dead-lettering message');
    const headers: Record<string, string | Buffer> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value !== undefined && !Array.isArray(value)) headers[name] = value;
    }
    Object.assign(headers, {
      [DlqHeaders.error]: error.slice(0, 4000),
      [DlqHeaders.reason]: reason,
      [DlqHeaders.topic]: topic,
      [DlqHeaders.partition]: String(partition),
      [DlqHeaders.offset]: message.offset,
      [DlqHeaders.group]: this.options.groupId,
      [DlqHeaders.attempts]: String(attempts),
      [DlqHeaders.at]: new Date().toISOString(),
    });
    await this.publisher.sendRaw(dlqTopicOf(topic), { key: message.key, value: message.value, headers });
    this.metrics?.eventsIn.inc({ topic, type, outcome: 'dead-lettered' });
  }
}
