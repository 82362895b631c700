import type { Context } from '@licensing/events';
import { InjectConfig, InjectLogger, LOGGER, Metrics, Readiness, SERVICE_CONFIG, type Logger, type PlatformConfig } from '@licensing/platform';
import { Global, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Kafka, type Admin } from 'kafkajs';
import { CloudEventsTransport } from './cloud-events.transport';
import { ConsumerGroups } from './consumer-groups';
import { createKafka, ensureTopics, topicName, type TopicsReport } from './kafka';
import { OutboxRelay } from './outbox-relay';
import { retryWhileRetriable } from './startup';
import { EventPublisher } from './publisher';

/** The deployment's topic policy settings (topology.ts). */
const topicSettings = (config: PlatformConfig) => ({ topicPartitions: config.topicPartitions, eventsRetentionMs: config.eventsRetentionMs });

/** One log line per topic start-up created or corrected. */
function logTopics(log: Logger, report: TopicsReport): void {
  if (report.created.length > 0) log.info({ topics: report.created }, 'created the topics with their declared policy');
  for (const { topic, before, after } of report.corrected)
    log.warn({ topic, before, after }, 'corrected a topic whose settings drifted from its declared policy');
}

/**
 * Opens the Kafka connections, brings the service's own topics to their declared policy
 * (topology.ts: created, drift corrected, too few partitions refused), and closes them: the relay
 * finishes its flushes (stopping it twice is harmless) before the producer it uses disconnects.
 */
@Injectable()
class MessagingLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly publisher: EventPublisher,
    private readonly relay: OutboxRelay,
    private readonly transport: CloudEventsTransport,
    private readonly readiness: Readiness,
    private readonly kafka: Kafka,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  private admin?: Admin;

  /**
   * A first start meets a broker still starting, topics other instances are creating at the same
   * moment, coordinators loading: each step is tried again while its error is retriable.
   */
  async onModuleInit(): Promise<void> {
    const admin = this.kafka.admin();
    this.admin = admin;
    const log = this.logger.child({ component: 'kafka-start' });
    await retryWhileRetriable(
      'creating the service topic',
      async () => {
        await admin.connect();
        const service = this.config.service as Context;
        logTopics(log, await ensureTopics(admin, [topicName(this.config, service)], topicSettings(this.config), { owner: service }));
      },
      log,
    );
    await retryWhileRetriable('connecting the producer', () => this.publisher.connect(), log);
    this.readiness.add('kafka', async () => {
      await admin.describeCluster();
    });
    this.readiness.add('consumers', async () => {
      const reason = this.config.role === 'worker' ? undefined : this.transport.notReady();
      if (reason) throw new Error(reason);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.publisher.disconnect();
    await this.admin?.disconnect();
  }
}

/**
 * Kafka for a service: the idempotent publisher, the outbox relay, and the CloudEvents
 * transport that serves its `@EventPattern` handlers (connected by the bootstrap in the api role).
 */
@Global()
@Module({
  providers: [
    { provide: Kafka, inject: [SERVICE_CONFIG, LOGGER], useFactory: (config: PlatformConfig, logger: Logger) => createKafka(config, logger) },
    {
      provide: EventPublisher,
      inject: [Kafka, SERVICE_CONFIG, Metrics],
      useFactory: (kafka: Kafka, config: PlatformConfig, metrics: Metrics) => new EventPublisher(kafka, config, metrics),
    },
    {
      provide: OutboxRelay,
      inject: [EventPublisher, LOGGER, SERVICE_CONFIG, Metrics],
      useFactory: (publisher: EventPublisher, logger: Logger, config: PlatformConfig, metrics: Metrics) =>
        new OutboxRelay(publisher, logger.child({ component: 'outbox-relay' }), { sweepMs: config.outboxSweepMs, metrics }),
    },
    ConsumerGroups,
    {
      provide: CloudEventsTransport,
      inject: [Kafka, EventPublisher, SERVICE_CONFIG, LOGGER, Metrics, ConsumerGroups],
      useFactory: (kafka: Kafka, publisher: EventPublisher, config: PlatformConfig, logger: Logger, metrics: Metrics, groups: ConsumerGroups) => {
        const admin = kafka.admin();
        return new CloudEventsTransport(
          kafka,
          publisher,
          {
            service: config.service,
            topicPrefix: config.topicPrefix,
            maxAttempts: config.consumerMaxAttempts,
            partitionsConcurrently: config.consumerConcurrency,
            batchSize: config.consumerBatchSize,
            sessionTimeoutMs: config.consumerSessionTimeoutMs,
            heartbeatIntervalMs: config.consumerHeartbeatIntervalMs,
            rebalanceTimeoutMs: config.consumerRebalanceTimeoutMs,
          },
          logger,
          metrics,
          (group) => groups.get(group),
          (topics) =>
            retryWhileRetriable(
              'creating the topics it consumes',
              async () => {
                await admin.connect();
                try {
                  const report = await ensureTopics(admin, topics, topicSettings(config), { owner: config.service as Context });
                  logTopics(logger.child({ component: 'kafka-start' }), report);
                } finally {
                  await admin.disconnect();
                }
              },
              logger.child({ component: 'kafka-start' }),
            ),
        );
      },
    },
    MessagingLifecycle,
  ],
  exports: [Kafka, EventPublisher, OutboxRelay, ConsumerGroups, CloudEventsTransport],
})
export class MessagingModule {}
