import { contextOf, dlqTopicOf, validateEnvelope, validateEvent, type CloudEvent } from '@licensing/events';
import { WriteBatch } from '@licensing/persistence';
import { isTransient, type Logger, type Metrics } from '@licensing/platform';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { topicName } from './kafka';
import type { EventPublisher } from './publisher';
import { isRetriableKafkaError, retryWhileRetriable } from './startup';

/** What an event handler gets besides the event (`@Ctx()`). */
export interface EventContext {
  logger: Logger;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The second argument of `@EventPattern(type, extras)`: the consumer group (within the service)
 * that handles it. Handlers of one group share a consumer and its offsets; a projection gets a
 * group of its own so it is rebuilt or lags on its own.
 */
export interface EventHandlerExtras {
  group?: string;
}

/** How a group starts: from the topic's beginning or not, and under which id. */
export interface GroupSettings {
  fromBeginning?: boolean;
  /** Resolves the group id at start (a catalog copy that is empty reads in a fresh group). */
  groupId?: (defaultId: string) => Promise<string>;
}

export interface TransportSettings {
  service: string;
  topicPrefix: string;
  maxAttempts: number;
  partitionsConcurrently: number;
  /** Messages of a batch handled together, their writes grouped (WriteBatch); 1 or unset: one by one. */
  batchSize?: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  retryBackoffMs?: number;
  /** Longest pause of a partition waiting for a dependency to come back. */
  maxPauseMs?: number;
  /** Longest wait before a crashed consumer is started again (the first is after a second). */
  maxRestartDelayMs?: number;
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
  /** Set when the message was too large to dead-letter whole: the value is its first bytes. */
  truncated: 'dlq-truncated',
  size: 'dlq-original-size',
} as const;

/** What a dead letter keeps of a message too large to copy whole (the broker's limit is ~1 MB). */
const TRUNCATED_BYTES = 64 * 1024;
const isTooLarge = (error: unknown): boolean =>
  (error as { type?: string } | null)?.type === 'MESSAGE_TOO_LARGE' || /too large/i.test((error as Error | null)?.message ?? '');

type Handler = MessageHandler<CloudEvent, EventContext>;
type Outcome = 'done' | 'wait';

/**
 * The CloudEvents transport: serves the `@EventPattern('<type>')` handlers of a service from
 * Kafka, one consumer group per handler group, subscribed to the topics of the types it handles.
 *
 * A bad message and a bad moment are told apart (DESIGN.md §4). A message that is not JSON,
 * fails its envelope or payload schema, or whose handler keeps failing goes to the topic's
 * `.dlq` twin with the reason, and the partition moves on. A type no handler of the group knows
 * (a newer version, another context's event) is skipped and counted. A dependency that is away
 * (`isTransient`) pauses the partition and retries it with backoff, however long it takes:
 * offsets are resolved one message at a time, so nothing after the failed message is lost.
 */
export class CloudEventsTransport extends Server implements CustomTransportStrategy {
  /** Each handler group's current consumer, whether it is in its group, and its restarts so far. */
  private readonly members = new Map<string, { consumer: Consumer; groupId: string; up: boolean; restarts: number; restart?: NodeJS.Timeout }>();
  private readonly groups = new Map<string, Map<string, Handler>>();
  private readonly waits = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private joined = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly publisher: EventPublisher,
    private readonly settings: TransportSettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly groupSettings: (group: string) => GroupSettings = () => ({}),
    private readonly ensureTopics: (topics: string[]) => Promise<void> = async () => undefined,
  ) {
    super();
  }

  /** True once every consumer has joined its group, and while none is down (readiness). */
  get ready(): boolean {
    return this.notReady() === undefined;
  }

  /** Why the consumers are not ready: not joined yet, or which groups lost their consumer. */
  notReady(): string | undefined {
    if (!this.joined) return 'consumers have not joined their groups yet';
    const down = [...this.members].filter(([, member]) => !member.up).map(([group]) => group);
    return down.length > 0 ? `consumer down in group(s) ${down.join(', ')}` : undefined;
  }

  /** Topics this process consumes, by group (known once Nest has registered the handlers). */
  subscriptions(): Map<string, string[]> {
    const byGroup = new Map<string, string[]>();
    for (const [group, handlers] of this.handlersByGroup()) {
      byGroup.set(group, [...new Set([...handlers.keys()].map((type) => topicName(this.settings, contextOf(type))))].sort());
    }
    return byGroup;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.running = true;
      const subscriptions = this.subscriptions();
      await this.ensureTopics([...new Set([...subscriptions.values()].flat())]);
      // Together: after a crash each join may wait out the dead member's session.
      await Promise.all([...subscriptions].map(([group, topics]) => this.startGroup(group, topics)));
      this.joined = true;
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Leaves every group (kafkajs sends LeaveGroup), so the partitions move at once, not after a session. */
  async close(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    for (const member of this.members.values()) clearTimeout(member.restart);
    // Together: each waits out its fetch in flight.
    await Promise.all([...this.members.values()].map((member) => member.consumer.disconnect()));
  }

  on(): void {
    throw new Error('the CloudEvents transport has no events to listen to');
  }

  unwrap<T>(): T {
    return [...this.members.values()].map((member) => member.consumer) as T;
  }

  private handlersByGroup(): Map<string, Map<string, Handler>> {
    if (this.groups.size > 0) return this.groups;
    for (const [type, head] of this.getHandlers()) {
      for (let handler: Handler | undefined = head as Handler; handler; handler = handler.next as Handler | undefined) {
        const group = (handler.extras as EventHandlerExtras | undefined)?.group ?? 'default';
        const handlers = this.groups.get(group) ?? new Map<string, Handler>();
        if (handlers.has(type)) throw new Error(`two handlers of ${type} in consumer group ${group}`);
        handlers.set(type, handler);
        this.groups.set(group, handlers);
      }
    }
    return this.groups;
  }

  /**
   * Starts the group's consumer. kafkajs never restarts a crashed consumer itself here: the
   * transport does, whatever the error, with a fresh consumer and a growing delay, and readiness
   * says the group is down meanwhile (a consumer that crashed for good used to leave the
   * partition stopped and the service ready).
   */
  private async startGroup(group: string, topics: string[]): Promise<void> {
    const options = this.groupSettings(group);
    const previous = this.members.get(group);
    const defaultId = `${this.settings.topicPrefix}${this.settings.service}${group === 'default' ? '' : `-${group}`}`;
    // Resolved once: a restart rejoins the same group (a rebuild group must not change under it).
    const groupId = previous?.groupId ?? (options.groupId ? await options.groupId(defaultId) : defaultId);
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: this.settings.heartbeatIntervalMs,
      rebalanceTimeout: this.settings.rebalanceTimeoutMs,
      // A short fetch wait keeps shutdown quick (stopping waits for the fetch in flight) and the
      // heartbeats, sent between fetches, regular.
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
    });
    const member = { consumer, groupId, up: false, restarts: previous?.restarts ?? 0 };
    this.members.set(group, member);
    const log = this.log.child({ component: 'consumer', group: groupId });
    // The partitions this consumer reported lag for: a rebalance may move them to another process,
    // whose figure is the one to trust, so their gauges are dropped when the group is joined again.
    const lagged = new Set<string>();
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      lagged.add(`${payload.topic}\n${payload.partition}`);
      this.metrics.consumerLag.set({ topic: payload.topic, partition: String(payload.partition), group: groupId }, Number(payload.offsetLag));
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const key of lagged) {
        const [topic = '', partition = ''] = key.split('\n');
        this.metrics.consumerLag.remove({ topic, partition, group: groupId });
      }
      lagged.clear();
      if (member.restarts > 0) log.info({ restarts: member.restarts }, 'consumer is back in its group');
      member.up = true;
      member.restarts = 0;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      member.up = false;
      if (!this.running || this.members.get(group) !== member) return;
      // A coordinator still loading (a first start) is a warning; anything else an error.
      log[isRetriableKafkaError(payload.error) ? 'warn' : 'error']({ err: payload.error }, 'consumer crashed; the transport restarts it');
      this.restartLater(group, topics, member);
    });
    const handlers = this.groups.get(group) ?? new Map<string, Handler>();
    try {
      // Topics another instance has just created may have no leader yet: retriable.
      await retryWhileRetriable(
        `joining consumer group ${groupId}`,
        async () => {
          await consumer.connect();
          await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
        },
        log,
      );
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.settings.partitionsConcurrently,
        eachBatch: (payload) => this.eachBatch(payload, handlers, groupId, log),
      });
    } catch (error) {
      // A restart that fails before it runs is tried again; the first start reports to Nest.
      if (!previous) throw error;
      log.error({ err: error }, 'consumer could not start again; retrying');
      await consumer.disconnect().catch(() => undefined);
      this.restartLater(group, topics, member);
    }
  }

  private restartLater(group: string, topics: string[], member: { restarts: number; restart?: NodeJS.Timeout }): void {
    if (member.restart || !this.running) return;
    member.restarts++;
    const delay = Math.min(1000 * 2 ** (member.restarts - 1), this.settings.maxRestartDelayMs ?? 30_000);
    member.restart = setTimeout(() => {
      member.restart = undefined;
      if (this.running) void this.startGroup(group, topics);
    }, delay);
  }

  /**
   * Handles a partition's batch in slices of `batchSize` messages, each slice at once under one
   * WriteBatch: the slice's writes to one aggregate become one version-checked save, its inserts
   * one bulk insert (libs/persistence write-batch.ts). Offsets are resolved in order up to the
   * first message that must wait; the partition is fetched again from there, and what the slice
   * applied after it is recognised by event id when it comes back.
   */
  private async eachBatch(payload: EachBatchPayload, handlers: Map<string, Handler>, groupId: string, log: Logger): Promise<void> {
    const { batch, resolveOffset, heartbeat, pause, isRunning, isStale } = payload;
    const key = `${groupId}/${batch.topic}/${batch.partition}`;
    const size = Math.max(1, this.settings.batchSize ?? 1);
    for (let start = 0; start < batch.messages.length; start += size) {
      if (!this.running || !isRunning() || isStale()) return;
      const slice = batch.messages.slice(start, start + size);
      const writes = new WriteBatch();
      // A slice may take long (its messages waiting out a dependency's retries): the member keeps
      // its place in the group meanwhile (kafkajs sends a heartbeat at most once per interval).
      const beat = setInterval(() => void heartbeat().catch(() => undefined), this.settings.heartbeatIntervalMs);
      let outcomes: Outcome[];
      try {
        outcomes =
          slice.length === 1
            ? [await this.handle(batch, slice[0] as KafkaMessage, handlers, groupId, log)]
            : await Promise.all(
                slice.map((message, seq) =>
                  writes.run(
                    seq,
                    message.key?.toString('utf8'),
                    () => this.handle(batch, message, handlers, groupId, log),
                    (outcome) => outcome === 'wait',
                  ),
                ),
              );
      } finally {
        clearInterval(beat);
      }
      for (const [index, message] of slice.entries()) {
        if (outcomes[index] === 'wait') {
          this.pauseFor(key, pause, log, batch);
          return;
        }
        this.waits.delete(key);
        resolveOffset(message.offset);
      }
      await heartbeat();
    }
  }

  /** Stops fetching the partition for a while; it is fetched again from the unresolved message. */
  private pauseFor(key: string, pause: () => () => void, log: Logger, batch: Batch): void {
    const attempt = (this.waits.get(key) ?? 0) + 1;
    this.waits.set(key, attempt);
    const delay = Math.min((this.settings.retryBackoffMs ?? 200) * 2 ** (attempt - 1), this.settings.maxPauseMs ?? 5000);
    log.warn({ topic: batch.topic, partition: batch.partition, attempt, delayMs: delay }, 'a dependency is away: partition paused');
    const resume = pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.running) resume();
    }, delay);
    this.timers.add(timer);
  }

  private async handle(batch: Batch, message: KafkaMessage, handlers: Map<string, Handler>, groupId: string, log: Logger): Promise<Outcome> {
    const { topic, partition } = batch;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch {
      return this.deadLetter({ topic, partition, message, groupId, log }, 'malformed', 'the message is not JSON', 0);
    }
    const envelope = validateEnvelope(parsed);
    if (!envelope.ok) return this.deadLetter({ topic, partition, message, groupId, log }, 'invalid', envelope.error, 0);
    const type = (parsed as CloudEvent).type;
    const handler = handlers.get(type);
    if (!handler) {
      this.metrics.eventsIn.inc({ topic, type, outcome: 'skipped' });
      return 'done';
    }
    const validation = validateEvent(parsed);
    if (!validation.ok) return this.deadLetter({ topic, partition, message, groupId, log }, 'invalid', validation.error, 0, type);
    const event = parsed as CloudEvent;
    const logger = log.child({ correlationId: event.correlationid, eventId: event.id, type });
    const context: EventContext = { logger, topic, partition, offset: message.offset };
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      try {
        await lastValueFrom(this.transformToObservable(await handler(event, context)), { defaultValue: undefined });
        this.metrics.eventsIn.inc({ topic, type, outcome: 'handled' });
        return 'done';
      } catch (error) {
        if (isTransient(error)) {
          logger.warn({ err: error }, 'handler met a dependency that is away; will retry');
          return 'wait';
        }
        lastError = error;
        logger.warn({ err: error, attempt }, 'handler failed');
        if (attempt < this.settings.maxAttempts && this.running) {
          await WriteBatch.idle(
            new Promise((resolve) => setTimeout(resolve, Math.min((this.settings.retryBackoffMs ?? 200) * 2 ** (attempt - 1), 5000))),
          );
        }
      }
    }
    const error = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    return this.deadLetter({ topic, partition, message, groupId, log }, 'handler-failed', error, this.settings.maxAttempts, type);
  }

  private async deadLetter(
    origin: { topic: string; partition: number; message: KafkaMessage; groupId: string; log: Logger },
    reason: string,
    error: string,
    attempts: number,
    type = 'unknown',
  ): Promise<Outcome> {
    const { topic, partition, message, groupId, log } = origin;
    log.error({ topic, partition, offset: message.offset, reason, error }, 'dead-lettering message');
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
      [DlqHeaders.group]: groupId,
      [DlqHeaders.attempts]: String(attempts),
      [DlqHeaders.at]: new Date().toISOString(),
    });
    try {
      await this.publisher.sendRaw(dlqTopicOf(topic), { key: message.key, value: message.value, headers });
    } catch (error) {
      let failure: unknown = error;
      if (isTooLarge(failure)) {
        // The copy with its headers is over the broker's limit: a poison message must not stop
        // the partition, so the dead letter keeps where it came from, its size and its first bytes.
        const value = message.value ?? Buffer.alloc(0);
        Object.assign(headers, { [DlqHeaders.truncated]: 'true', [DlqHeaders.size]: String(value.length) });
        try {
          await this.publisher.sendRaw(dlqTopicOf(topic), { key: message.key, value: value.subarray(0, TRUNCATED_BYTES), headers });
          this.metrics.eventsIn.inc({ topic, type, outcome: 'dead-lettered' });
          return 'done';
        } catch (again) {
          failure = again;
        }
      }
      // Nothing is dropped: without the DLQ the offset stays, and the message is tried again.
      log.warn({ err: failure }, 'the dead-letter topic could not be written; will retry');
      return 'wait';
    }
    this.metrics.eventsIn.inc({ topic, type, outcome: 'dead-lettered' });
    return 'done';
  }
}
