import { InjectLogger, type Logger } from '@licensing/platform';
import { Deadlines } from '@licensing/service-kit';
import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { RENEWALS_QUEUE } from '../../infrastructure/points.queues';
import { RenewMonthHandler, type RenewalSummary } from './renew-month.handler';

/**
 * The monthly renewal (M4) by itself: on the 1st at 00:00 UTC, and a daily catch-up run for the
 * current month (a missed 1st, an exchange completed after the month's run). Both are safe to repeat.
 */
@Processor(RENEWALS_QUEUE, { concurrency: 4 })
export class RenewalsProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly handler: RenewMonthHandler,
    @InjectQueue(RENEWALS_QUEUE) private readonly queue: Queue,
    @InjectLogger() logger: Logger,
    private readonly deadlines: Deadlines,
  ) {
    super();
    this.log = logger.child({ component: 'points-jobs' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deadlines.repeat(this.queue, 'monthly-renewal', { pattern: '0 0 1 * *', tz: 'UTC' }, 'monthly-renewal', {});
    await this.deadlines.repeat(this.queue, 'renewal-catch-up', { pattern: '0 6 * * *', tz: 'UTC' }, 'renewal-catch-up', {});
  }

  async process(): Promise<RenewalSummary> {
    const summary = await this.handler.execute(this.handler.currentMonth());
    this.log.info({ ...summary }, 'monthly renewal run');
    return summary;
  }
}
