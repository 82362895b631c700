import { InjectLogger, type Logger } from '@licensing/platform';
import { Deadlines } from '@licensing/service-kit';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { Chase } from '../../domain/wallet.aggregate';
import { EXCHANGE_TIMEOUTS_QUEUE, type ExchangeTimeoutJob } from '../../infrastructure/points.queues';
import { CheckExchangeTimeoutHandler } from './check-exchange-timeout.handler';

const SWEEP = 'exchange-sweep';
/** How often the sweep looks for pending exchanges whose reminder was lost. */
const SWEEP_EVERY_MS = 5 * 60_000;

/** Reminders to look at one exchange, and the periodic sweep (also run when the platform clock moves); both re-read the wallets (DESIGN.md §4). */
@Processor(EXCHANGE_TIMEOUTS_QUEUE, { concurrency: 4 })
export class ExchangeTimeoutsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly handler: CheckExchangeTimeoutHandler,
    @InjectQueue(EXCHANGE_TIMEOUTS_QUEUE) private readonly queue: Queue,
    @InjectLogger() logger: Logger,
    private readonly deadlines: Deadlines,
  ) {
    super();
    this.log = logger.child({ component: 'points-jobs' });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.deadlines.repeat(this.queue, SWEEP, { every: SWEEP_EVERY_MS }, SWEEP, {});
  }

  async process(job: Job<ExchangeTimeoutJob>): Promise<{ chased: number } | Chase> {
    if (job.name === SWEEP) return { chased: await this.handler.sweep(this.log) };
    return this.handler.check(job.data.partnerId, job.data.exchangeId, this.log);
  }
}
