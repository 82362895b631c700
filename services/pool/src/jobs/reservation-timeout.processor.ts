import type { Logger } from '@licensing/platform';
import type { Job, Processor, Queue } from 'bullmq';
import type { PoolService } from '../pool.service';

export const RESERVATIONS_QUEUE = 'pool-reservations';

/** `timeout`: look at one partner's reservations; `sweep`: look at every pool. */
export type ReservationJob = { kind: 'timeout'; partnerId: string; assignmentId: string } | { kind: 'sweep' };

const SWEEP_SCHEDULER = 'reservation-sweep';
// A delayed job may fire a little before the deadline as another clock sees it; the sweep catches
// what a job found not yet due, and this margin makes that rare.
const DEADLINE_MARGIN_MS = 250;

/**
 * Deadlines live in the pool document (`expiresAt`); a BullMQ job is only a reminder to look
 * (DESIGN.md §4), keyed by the reservation so scheduling twice is harmless.
 */
export class ReservationTimeouts {
  constructor(private readonly queue: Queue<ReservationJob>) {}

  async schedule(expiresAt: string, partnerId: string, assignmentId: string): Promise<void> {
    const delay = Math.max(0, Date.parse(expiresAt) - Date.now()) + DEADLINE_MARGIN_MS;
    // BullMQ job ids may not contain ':'; encoding keeps (partner, assignment) pairs distinct.
    const jobId = `timeout/${encodeURIComponent(partnerId)}/${encodeURIComponent(assignmentId)}`;
    await this.queue.add('timeout', { kind: 'timeout', partnerId, assignmentId }, { jobId, delay, removeOnComplete: true, removeOnFail: 1000 });
  }

  /** The periodic sweep; one scheduler however many workers run. */
  async scheduleSweep(everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(
      SWEEP_SCHEDULER,
      { every: everyMs },
      { name: 'sweep', data: { kind: 'sweep' }, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}

/** Re-reads the pool and releases only what is still open and past its deadline. */
export function reservationTimeoutProcessor(pool: PoolService, logger: Logger): Processor<ReservationJob> {
  return async (job: Job<ReservationJob>) => {
    if (job.data.kind === 'timeout') {
      const result = await pool.releaseExpired(job.data.partnerId);
      if (result.outcome === 'released')
        logger.info({ partnerId: job.data.partnerId, assignmentIds: result.assignmentIds }, 'reservations timed out');
      return;
    }
    for (const partnerId of await pool.partnersWithExpiredReservations()) {
      const result = await pool.releaseExpired(partnerId);
      if (result.outcome === 'released') logger.warn({ partnerId, assignmentIds: result.assignmentIds }, 'sweep released expired reservations');
    }
  };
}
