import { InjectConfig, InjectLogger, type Logger } from '@licensing/platform';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { RESERVATIONS_QUEUE, ReservationDeadlines, type ReservationJob } from '../../infrastructure/reservation-deadlines';
import type { PoolConfig } from '../../pool.config';
import { ReleaseExpiredReservationsHandler } from './release-expired-reservations.handler';

/** The reservation reminders and the periodic sweep (expired reservations, lapses whose month has begun), in the worker role. */
@Processor(RESERVATIONS_QUEUE, { concurrency: 4 })
export class ReservationTimeoutProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    private readonly handler: ReleaseExpiredReservationsHandler,
    private readonly deadlines: ReservationDeadlines,
    @InjectConfig() private readonly config: PoolConfig,
    @InjectLogger() logger: Logger,
  ) {
    super();
    this.logger = logger.child({ component: 'reservation-timeouts' });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.deadlines.sweepEvery(this.config.reservationSweepMs);
  }

  async process(job: Job<ReservationJob>): Promise<void> {
    if (job.data.kind === 'timeout') {
      const released = await this.handler.forPartner(job.data.partnerId);
      if (released) this.logger.info(released, 'reservations timed out');
      return;
    }
    // What a lost job missed: worth a warning.
    for (const released of await this.handler.sweep()) this.logger.warn(released, 'sweep released expired reservations');
    // Lapses wait for their month: the sweep is what applies them (DESIGN §8: within seconds of a clock move).
    for (const lapsed of await this.handler.sweepLapses()) this.logger.info(lapsed, 'monthly licenses lapsed at the start of their month');
  }
}
