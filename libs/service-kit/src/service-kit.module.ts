import { MessagingModule } from '@licensing/messaging';
import { PersistenceModule } from '@licensing/persistence';
import { createLogger, PlatformModule, Readiness, type Clock, type PlatformConfig } from '@licensing/platform';
import { Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
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
        PlatformModule.forRoot(config, createLogger(config.service, config.logLevel), options.clock),
        PersistenceModule.forRoot(config),
        MessagingModule,
        QueuesModule.forRoot(config, options.queues ?? []),
      ],
      providers: [MongoReadiness],
      exports: [PersistenceModule, QueuesModule],
    };
  }
}
