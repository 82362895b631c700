import { InjectClock, InjectConfig, InjectLogger, Metrics, Readiness, type Clock, type Logger, type PlatformConfig } from '@licensing/platform';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PlatformClock } from './clock';
import { redisOptions } from './redis';

/** BullMQ job ids may not contain ':'; encoding keeps the parts of a business key distinct. */
export const jobIdOf = (...parts: string[]): string => parts.map(encodeURIComponent).join('/');

type Repeat = { every: number } | { pattern: string; tz?: string };

/**
 * The one way a deadline is scheduled. The deadline itself lives in the aggregate (DESIGN.md
 * §4); a delayed job is only a reminder to look, keyed by the business key so scheduling it
 * twice is harmless, and a periodic sweep catches whatever a lost job missed. When the platform
 * clock is moved forward, every sweep this process declared runs at once (DESIGN §8), so what
 * fell due is handled within seconds whatever the delayed jobs think.
 */
@Injectable()
export class Deadlines implements OnModuleInit {
  private readonly sweeps: { queue: Queue; schedulerId: string; name: string; data: unknown }[] = [];

  constructor(
    @InjectClock() private readonly clock: Clock,
    private readonly platformClock: PlatformClock,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.platformClock.onAdvance((offsetMs) => void this.sweepNow(offsetMs));
  }

  /**
   * A reminder at `at`, as the platform clock reads it (it may run ahead of the system clock),
   * plus a small margin: another process may see the deadline a little later.
   */
  async remind<T>(queue: Queue<T>, name: string, jobId: string, at: Date | string, data: T): Promise<void> {
    const delay = Math.max(0, new Date(at).getTime() - this.clock().getTime()) + 250;
    const options: JobsOptions = { jobId, delay, removeOnComplete: true, removeOnFail: 1000 };
    await (queue as Queue).add(name, data, options);
  }

  /**
   * A periodic job (a sweep, a monthly run): `{ every: ms }` or a cron `{ pattern, tz }`. Upserted
   * by id, so every worker instance declaring it leaves one scheduler.
   */
  async repeat<T>(queue: Queue<T>, schedulerId: string, repeat: Repeat, name: string, data: T): Promise<void> {
    await (queue as Queue).upsertJobScheduler(schedulerId, repeat, { name, data, opts: { removeOnComplete: 100, removeOnFail: 100 } });
    this.sweeps.push({ queue: queue as Queue, schedulerId, name, data });
  }

  /** One run of each sweep per advance, however many instances saw it (the job id says which advance). */
  private async sweepNow(offsetMs: number): Promise<void> {
    for (const { queue, schedulerId, name, data } of this.sweeps) {
      const jobId = jobIdOf(schedulerId, 'clock-advance', String(offsetMs));
      await queue.add(name, data, { jobId, removeOnComplete: 100, removeOnFail: 100 }).catch((error: unknown) => {
        this.logger.warn({ err: error, schedulerId }, 'could not run a sweep after the clock advanced');
      });
    }
  }
}

const QUEUE_NAMES = 'QUEUE_NAMES';

/** Readiness of Redis and the depth of every queue of the service, sampled for /metrics. */
@Injectable()
class QueuesLifecycle implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly redis: Redis;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly moduleRef: ModuleRef,
    @Inject(QUEUE_NAMES) private readonly queueNames: string[],
  ) {
    // Its own connection, bounded per command, so a health check never waits on BullMQ's.
    this.redis = new Redis({ ...redisOptions(config.redisUrl), maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  async onModuleInit(): Promise<void> {
    await this.redis.connect();
    this.readiness.add('redis', async () => {
      if ((await this.redis.ping()) !== 'PONG') throw new Error('redis did not answer PONG');
    });
    this.timer = setInterval(() => void this.sample(), 10_000);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    for (const name of this.queueNames) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => undefined);
      for (const [state, count] of Object.entries(counts ?? {})) this.metrics.queueDepth.set({ queue: name, state }, count);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.redis.disconnect();
  }
}

/** BullMQ through @nestjs/bullmq: one connection setting and key prefix for the process, and the service's queues. */
@Module({})
export class QueuesModule {
  static forRoot(config: PlatformConfig, queues: string[]): DynamicModule {
    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRoot({ connection: redisOptions(config.redisUrl), prefix: config.queuePrefix }),
        BullModule.registerQueue(...queues.map((name) => ({ name }))),
      ],
      providers: [{ provide: QUEUE_NAMES, useValue: queues }, QueuesLifecycle],
      exports: [BullModule],
    };
  }
}
