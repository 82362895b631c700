import { MessagingModule, OutboxRelay } from '@licensing/messaging';
import { PersistenceModule } from '@licensing/persistence';
import { createLogger, PlatformModule, Readiness, type Clock, type PlatformConfig } from '@licensing/platform';
import { WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { QueuesModule } from './queues';

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
 * The shutdown order, after Nest has closed HTTP and the consumers: the BullMQ workers finish
 * their jobs, then the relay its flushes; the connections close last, in the deeper modules'
 * own hooks (Nest runs shutdown hooks from the root module outwards, and this module is the
 * nearest to the root of the kit's).
 */
@Injectable()
class ShutdownSequence implements OnApplicationShutdown {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly relay: OutboxRelay,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const workers = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    await Promise.all(workers.map((host) => host.worker?.close()));
    await this.relay.stop();
  }
}

export interface KitOptions {
  /** The service's BullMQ queues. */
  queues?: string[];
  /** 'Now' for business decisions; the system clock unless a test moves it. */
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
      imports: [
        DiscoveryModule,
        PlatformModule.forRoot(config, createLogger(config.service, config.logLevel), options.clock),
        PersistenceModule.forRoot(config),
        MessagingModule,
        QueuesModule.forRoot(config, options.queues ?? []),
      ],
      providers: [MongoReadiness, ShutdownSequence],
      exports: [PersistenceModule, QueuesModule],
    };
  }
}
