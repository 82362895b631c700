import { MessagingModule, OutboxRelay } from '@licensing/messaging';
import { PersistenceModule } from '@licensing/persistence';
import {
  CLOCK,
  createLogger,
  errorKey,
  InjectLogger,
  LogThrottle,
  PlatformModule,
  Readiness,
  type Clock,
  type Logger,
  type PlatformConfig,
} from '@licensing/platform';
import { WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { ClockController, PlatformClock } from './clock';
import { SchemasController } from './schemas';
import { Deadlines, QueuesModule } from './queues';

@Injectable()
class MongoReadiness implements OnModuleInit {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly readiness: Readiness,
  ) {}

  onModuleInit(): void {
    this.readiness.add('mongo', async () => {
      if (!this.connection.db) throw new Error('not connected');
      await this.connection.db.command({ ping: 1 });
    });
  }
}

/**
 * The BullMQ workers of the process (its `@Processor` classes): failed jobs are logged, and the
 * shutdown order is kept. After Nest has closed HTTP and the consumers, the workers finish their
 * jobs, then the relay its flushes; the connections close last, in the deeper modules' own hooks
 * (Nest runs shutdown hooks from the root module outwards, and this module is the kit's nearest
 * to the root).
 */
@Injectable()
class Workers implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly relay: OutboxRelay,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  private hosts(): WorkerHost[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
  }

  onApplicationBootstrap(): void {
    // A worker's errors (Redis away: one per reconnection attempt) through the logger, throttled, not raw on stderr.
    const throttle = new LogThrottle(this.logger.child({ component: 'bullmq' }));
    for (const host of this.hosts()) {
      const queue = host.worker.name;
      host.worker.on('failed', (job, error) => this.logger.warn({ err: error, queue, jobId: job?.id }, 'job failed'));
      host.worker.on('error', (error) => throttle.log('warn', `worker/${queue}/${errorKey(error)}`, { err: error, queue }, 'BullMQ worker error'));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.hosts().map((host) => host.worker.close()));
    await this.relay.stop();
  }
}

export interface KitOptions {
  /** The service's BullMQ queues. */
  queues?: string[];
  /** 'Now' for business decisions, for a test that sets it by hand; else the platform clock. */
  clock?: Clock;
}

/**
 * What every service is built on, in one import: config, logs, metrics, auth and health
 * (PlatformModule), one mongoose connection (PersistenceModule), Kafka with the publisher, the
 * outbox relay and the CloudEvents transport (MessagingModule), and BullMQ (QueuesModule).
 */
@Module({})
export class ServiceKitModule {
  static forRoot(config: PlatformConfig, options: KitOptions = {}): DynamicModule {
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        DiscoveryModule,
        PlatformModule.forRoot(config, createLogger(config.service, config.logLevel)),
        PersistenceModule.forRoot(config),
        MessagingModule,
        QueuesModule.forRoot(config, options.queues ?? []),
      ],
      controllers: [ClockController, SchemasController],
      providers: [
        MongoReadiness,
        Workers,
        PlatformClock,
        { provide: CLOCK, inject: [PlatformClock], useFactory: (clock: PlatformClock): Clock => options.clock ?? (() => clock.now()) },
        Deadlines,
      ],
      exports: [PersistenceModule, QueuesModule, PlatformClock, CLOCK, Deadlines],
    };
  }
}
