import { randomUUID } from 'node:crypto';
import type { Context } from '@licensing/events';
import { AggregateRepository, connectMongo, type MongoConnection } from '@licensing/persistence';
import { Authenticator, createHttpApp, Metrics, type Lifecycle, type Logger, type PlatformConfig } from '@licensing/platform';
import { Queue, Worker, type ConnectionOptions, type Processor, type WorkerOptions } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { CatalogReadModel } from './catalog-read-model';
import { EventConsumer, type EventConsumerOptions } from './event-consumer';
import { createKafka, ensureTopics, kafkaCheck, topicName } from './kafka';
import { OutboxRelay } from './outbox-relay';
import { EventPublisher } from './publisher';

/**
 * Everything a service process is made of, wired the same way in all four services: Mongo,
 * Kafka (topics, publisher, consumers), the outbox relay, Redis with BullMQ, and the HTTP edge.
 * `api` serves HTTP and consumes events; `worker` runs the relay sweep and the BullMQ
 * processors; `all` does both (local runs).
 */
export class ServiceRuntime {
  readonly metrics: Metrics;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly publisher: EventPublisher;
  readonly redis: Redis;
  readonly relay: OutboxRelay;
  private readonly repositories: AggregateRepository<unknown>[] = [];
  private readonly consumers: EventConsumer[] = [];
  private readonly queues: Queue[] = [];
  private readonly workers: Worker[] = [];
  /** BullMQ treats a connection it is given as shared and never closes it: we do, after the workers. */
  private readonly workerConnections: Redis[] = [];
  private consumersStarted = false;

  private constructor(
    readonly config: PlatformConfig,
    readonly logger: Logger,
    readonly mongo: MongoConnection,
    private readonly lifecycle: Lifecycle,
  ) {
    this.metrics = new Metrics(config.service);
    this.kafka = createKafka(
      { brokers: config.kafkaBrokers, clientId: config.service, topicPrefix: config.topicPrefix, partitions: config.topicPartitions },
      logger,
    );
    this.admin = this.kafka.admin();
    this.publisher = new EventPublisher(this.kafka, config, this.metrics);
    // BullMQ needs maxRetriesPerRequest null; the health check bounds its own wait instead.
    this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    this.redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis connection error'));
    this.relay = new OutboxRelay([], this.publisher, logger.child({ component: 'outbox-relay' }), {
      sweepMs: config.outboxSweepMs,
      metrics: this.metrics,
    });
  }

  static async create(config: PlatformConfig, logger: Logger, lifecycle: Lifecycle): Promise<ServiceRuntime> {
    const mongo = await connectMongo(config.mongoUrl, config.mongoDatabase);
    lifecycle.onClose('mongo', () => mongo.close());
    const runtime = new ServiceRuntime(config, logger, mongo, lifecycle);
    lifecycle.onClose('redis', async () => {
      runtime.redis.disconnect();
    });
    await runtime.redis.connect();
    lifecycle.onClose('kafka-admin', () => runtime.admin.disconnect());
    await runtime.admin.connect();
    lifecycle.onClose('publisher', () => runtime.publisher.disconnect());
    await runtime.publisher.connect();
    return runtime;
  }

  get runsApi(): boolean {
    return this.config.role !== 'worker';
  }

  get runsWorker(): boolean {
    return this.config.role !== 'api';
  }

  topic(context: Context): string {
    return topicName(this.config, context);
  }

  /** Creates this service's topic (and `.dlq`) and any it consumes, when missing. */
  ensureTopics(...contexts: Context[]): Promise<void> {
    return ensureTopics(
      this.admin,
      contexts.map((c) => this.topic(c)),
      this.config.topicPartitions,
    );
  }

  /** An aggregate repository whose saves trigger the outbox relay. */
  repository<S>(collectionName: string): AggregateRepository<S> {
    const repository = new AggregateRepository<S>(this.mongo.db, collectionName);
    repository.onEventsSaved = (id) => this.relay.trigger(repository.collection as never, id);
    this.repositories.push(repository as AggregateRepository<unknown>);
    this.relay.watch(repository.collection as never);
    return repository;
  }

  /**
   * The local copy of the catalog, fed by a consumer of catalog.events. An empty copy (a new
   * database) is rebuilt by reading the topic from its start in a group of its own: rewinding
   * the shared group would need it free of members, which it is not while another instance
   * runs. Catalog events carry whole versioned states, so reading them again is harmless.
   */
  async catalogReadModel(groupId: string): Promise<CatalogReadModel> {
    const catalog = new CatalogReadModel(this.mongo.db);
    const group = (await catalog.isEmpty()) ? `${groupId}-rebuild-${randomUUID()}` : groupId;
    this.consumer({ groupId: group, topics: [this.topic('catalog')], handlers: catalog.handlers(), fromBeginning: true });
    return catalog;
  }

  consumer(options: Omit<EventConsumerOptions, 'maxAttempts'> & { maxAttempts?: number }): EventConsumer {
    const consumer = new EventConsumer(
      this.kafka,
      {
        ...options,
        groupId: this.config.topicPrefix + options.groupId,
        maxAttempts: options.maxAttempts ?? this.config.consumerMaxAttempts,
        partitionsConcurrently: options.partitionsConcurrently ?? this.config.consumerConcurrency,
        sessionTimeoutMs: options.sessionTimeoutMs ?? this.config.consumerSessionTimeoutMs,
      },
      this.publisher,
      this.logger,
      this.metrics,
    );
    this.consumers.push(consumer);
    return consumer;
  }

  get queueConnection(): ConnectionOptions {
    return this.redis;
  }

  queue<T = unknown>(name: string): Queue<T> {
    const queue = new Queue<T>(name, { connection: this.redis, prefix: this.config.queuePrefix }) as Queue<T>;
    this.queues.push(queue as Queue);
    return queue;
  }

  /** A BullMQ worker; only started in the worker role. Its own connection, as BullMQ requires for blocking reads. */
  worker<T>(name: string, processor: Processor<T>, options: Partial<WorkerOptions> = {}): Worker<T> | undefined {
    if (!this.runsWorker) return undefined;
    const connection = this.redis.duplicate();
    this.workerConnections.push(connection);
    const worker = new Worker<T>(name, processor, {
      connection,
      prefix: this.config.queuePrefix,
      concurrency: 4,
      ...options,
    });
    worker.on('failed', (job, error) => this.logger.warn({ err: error, queue: name, jobId: job?.id }, 'job failed'));
    this.workers.push(worker as Worker);
    return worker;
  }

  readiness(): Record<string, () => Promise<void>> {
    return {
      consumers: async () => {
        if (!this.consumersStarted) throw new Error('consumers have not joined their groups yet');
      },
      mongo: this.mongo.ping,
      kafka: kafkaCheck(this.admin),
      redis: async () => {
        if ((await this.redis.ping()) !== 'PONG') throw new Error('redis did not answer PONG');
      },
    };
  }

  async http(description: string, register: (app: FastifyInstance) => Promise<void> | void): Promise<FastifyInstance> {
    const app = await createHttpApp({
      service: this.config.service,
      description,
      logger: this.logger,
      metrics: this.metrics,
      authenticator: new Authenticator(this.config.auth),
      readiness: this.readiness(),
    });
    await register(app);
    return app;
  }

  /**
   * Starts consumers, the relay sweep and workers for this role, then HTTP; closing happens in
   * the reverse order (HTTP and consumers stop first, then workers and the relay finish).
   */
  async start(app?: FastifyInstance): Promise<void> {
    this.lifecycle.onClose('relay', () => this.relay.stop());
    if (this.runsWorker) this.relay.start();
    this.lifecycle.onClose('queues', async () => {
      await Promise.all(this.workers.map((w) => w.close()));
      await Promise.all(this.queues.map((q) => q.close()));
      for (const connection of this.workerConnections) connection.disconnect();
    });
    // Together: each consumer waits out its current fetch when it stops.
    this.lifecycle.onClose('consumers', async () => {
      await Promise.all(this.consumers.map((c) => c.stop()));
    });
    const queueMetrics = setInterval(() => void this.sampleQueues(), 10_000);
    queueMetrics.unref();
    this.lifecycle.onClose('queue-metrics', async () => clearInterval(queueMetrics));
    if (app) this.lifecycle.onClose('http', () => app.close());
    // Listen first: joining consumer groups can take a session timeout after a crash, and
    // health and metrics must answer meanwhile (readiness says "consumers" until joined).
    if (app) await app.listen({ host: this.config.host, port: this.config.port });
    if (this.runsApi) for (const consumer of this.consumers) await consumer.start();
    this.consumersStarted = true;
  }

  private async sampleQueues(): Promise<void> {
    for (const queue of this.queues) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => undefined);
      for (const [state, count] of Object.entries(counts ?? {})) this.metrics.queueDepth.set({ queue: queue.name, state }, count);
    }
  }
}
