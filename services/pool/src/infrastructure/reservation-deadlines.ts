import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Reservation } from '../domain/pool.aggregate';

export const RESERVATIONS_QUEUE = 'pool-reservations';
const SWEEP_SCHEDULER = 'reservation-sweep';

/** `timeout`: look at one partner's reservations; `sweep`: look at every pool. */
export type ReservationJob = { kind: 'timeout'; partnerId: string; assignmentId: string } | { kind: 'sweep' };

/**
 * Reminders to look at reservations. The deadline itself is the reservation's `expiresAt`
 * (DESIGN.md §4); a job keyed by the reservation only says when to look, and the sweep
 * catches whatever a lost job missed.
 */
@Injectable()
export class ReservationDeadlines {
  constructor(
    @InjectQueue(RESERVATIONS_QUEUE) private readonly queue: Queue<ReservationJob>,
    private readonly deadlines: Deadlines,
  ) {}

  remind(partnerId: string, reservation: Pick<Reservation, 'assignmentId' | 'expiresAt'>): Promise<void> {
    const { assignmentId, expiresAt } = reservation;
    const jobId = jobIdOf('timeout', partnerId, assignmentId);
    return this.deadlines.remind(this.queue, 'timeout', jobId, expiresAt, { kind: 'timeout', partnerId, assignmentId });
  }

  /** One scheduler however many workers declare it. */
  sweepEvery(ms: number): Promise<void> {
    return this.deadlines.repeat(this.queue, SWEEP_SCHEDULER, { every: ms }, 'sweep', { kind: 'sweep' });
  }
}
