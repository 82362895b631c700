import {
  errorKey,
  InjectClock,
  InjectConfig,
  InjectLogger,
  LogThrottle,
  Metrics,
  Readiness,
  type Clock,
  type Logger,
  type PlatformConfig,
} from '@licensing/platform';
import { WriteBatch } from '@licensing/persistence';
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

/** A periodic job a process declared: what it re-asserts whenever Redis may have lost it. */
interface Declared {
  queue: Queue;
  schedulerId: string;
  repeat: Repeat;
  name: string;
  data: unknown;
}

/**
 * The one way a deadline is scheduled. The deadline itself lives in the aggregate (DESIGN.md
 * §4); a delayed job is only a reminder to look, keyed by the business key so scheduling it
 * twice is harmless, and a periodic sweep catches whatever a lost job missed. When the platform
 * clock is moved forward, every sweep this process declared runs at once (DESIGN §8), so what
 * fell due is handled within seconds whatever the delayed jobs think.
 *
 * The sweeps must not live only in Redis: a Redis that restarts empty (or is flushed) loses every
 * job scheduler, and nothing would re-create them until a process restarts. So each process
 * re-asserts the schedulers it declared when its Redis connection is ready again after a loss,
 * and every `schedulersCheckMs` (an existence check, an upsert only when one is missing).
 */
@Injectable()
export class Deadlines implements OnModuleInit, OnApplicationShutdown {
  private readonly declared: Declared[] = [];
  private readonly watched = new Set<Queue>();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    @InjectClock() private readonly clock: Clock,
    private readonly platformClock: PlatformClock,
    @InjectConfig() private readonly config: PlatformConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.platformClock.onAdvance((offsetMs) => void this.sweepNow(offsetMs));
    this.timer = setInterval(() => void this.reassert('periodic check'), this.config.schedulersCheckMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * A reminder at `at`, as the platform clock reads it (it may run ahead of the system clock),
   * plus a small margin: another process may see the deadline a little later.
   */
  async remind<T>(queue: Queue<T>, name: string, jobId: string, at: Date | string, data: T): Promise<void> {
    const delay = Math.max(0, new Date(at).getTime() - this.clock().getTime()) + 250;
    const options: JobsOptions = { jobId, delay, removeOnComplete: true, removeOnFail: 1000 };
    // In a consumer's batch, the batch's reminders go to Redis in one addBulk (WriteBatch).
    const job = { name, data: data as unknown, opts: options };
    await (WriteBatch.enqueue<typeof job, void>(`deadlines:${(queue as Queue).qualifiedName}`, job, async (queued) => {
      await (queue as Queue).addBulk(queued.map((q) => q.item));
      for (const q of queued) q.resolve();
    }) ?? (queue as Queue).add(name, data, options));
  }

  /**
   * A periodic job (a sweep, a monthly run): `{ every: ms }` or a cron `{ pattern, tz }`. Upserted
   * by id, so every worker instance declaring it leaves one scheduler; re-asserted by this
   * process for as long as it runs.
   */
  async repeat<T>(queue: Queue<T>, schedulerId: string, repeat: Repeat, name: string, data: T): Promise<void> {
    const entry: Declared = { queue: queue as Queue, schedulerId, repeat, name, data };
    await this.upsert(entry);
    this.declared.push(entry);
    await this.watch(entry.queue);
  }

  /** The scheduler ids this process keeps alive (for tests and diagnostics). */
  get schedulers(): string[] {
    return this.declared.map((d) => `${d.queue.name}/${d.schedulerId}`);
  }

  /** Creates each declared scheduler that Redis no longer has; one run at a time. */
  reassert(why: string): Promise<void> {
    this.checking ??= (async () => {
      try {
        for (const entry of this.declared) {
          if (await entry.queue.getJobScheduler(entry.schedulerId)) continue;
          await this.upsert(entry);
          this.logger.warn({ queue: entry.queue.name, schedulerId: entry.schedulerId, why }, 'job scheduler was missing in Redis: re-created');
        }
      } catch (error) {
        // Redis is still away: the next reconnection or check tries again.
        this.logger.debug({ err: error, why }, 'could not re-assert the job schedulers yet');
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private upsert({ queue, schedulerId, repeat, name, data }: Declared): Promise<unknown> {
    return queue.upsertJobScheduler(schedulerId, repeat, { name, data, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }

  /** Every 'ready' of the queue's connection after the first follows a lost connection. */
  private async watch(queue: Queue): Promise<void> {
    if (this.watched.has(queue)) return;
    this.watched.add(queue);
    (await queue.client).on('ready', () => void this.reassert('redis reconnected'));
  }

  /** One run of each sweep per advance, however many instances saw it (the job id says which advance). */
  private async sweepNow(offsetMs: number): Promise<void> {
    for (const { queue, schedulerId, name, data } of this.declared) {
      const jobId = jobIdOf(schedulerId, 'clock-advance', String(offsetMs));
      await queue.add(name, data, { jobId, removeOnComplete: 100, removeOnFail: 100 }).catch((error: unknown) => {
        this.logger.warn({ err: error, schedulerId }, 'could not run a sweep after the clock advanced');
      });
    }
  }
}

const QUEUE_NAMES = 'QUEUE_NAMES';

/**
 * Readiness of Redis and the depth of every queue of the service, sampled for /metrics. A queue's
 * connection errors (Redis away) are logged through the service's logger, throttled: BullMQ
 * would otherwise print each one raw to stderr.
 */
@Injectable()
class QueuesLifecycle implements OnModuleInit, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly redis: Redis;
  private readonly throttle: LogThrottle;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    private readonly moduleRef: ModuleRef,
    @Inject(QUEUE_NAMES) private readonly queueNames: string[],
    @InjectLogger() logger: Logger,
  ) {
    this.throttle = new LogThrottle(logger.child({ component: 'bullmq' }));
    // Its own connection, bounded per command, so a health check never waits on BullMQ's.
    this.redis = new Redis({ ...redisOptions(config.redisUrl), maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  async onModuleInit(): Promise<void> {
    for (const name of this.queueNames) {
      this.queue(name).on('error', (error: Error) =>
        this.throttle.log('warn', `queue/${name}/${errorKey(error)}`, { err: error, queue: name }, 'BullMQ queue error'),
      );
    }
    await this.redis.connect();
    this.readiness.add('redis', async () => {
      if ((await this.redis.ping()) !== 'PONG') throw new Error('redis did not answer PONG');
    });
    this.timer = setInterval(() => void this.sample(), 10_000);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    for (const name of this.queueNames) {
      const counts = await this.queue(name)
        .getJobCounts('waiting', 'active', 'delayed', 'failed')
        .catch(() => undefined);
      for (const [state, count] of Object.entries(counts ?? {})) this.metrics.queueDepth.set({ queue: name, state }, count);
    }
  }

  private queue(name: string): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
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
