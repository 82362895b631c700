import type { ServiceRuntime } from '@licensing/messaging';
import type { Job, Queue } from 'bullmq';
import { monthOf } from '../domain/points.rules';
import type { ExchangeTimeoutJob, PointsService } from '../points.service';

export const EXCHANGE_TIMEOUTS_QUEUE = 'points-exchange-timeouts';
export const RENEWALS_QUEUE = 'points-renewals';

/** How often the sweep looks for pending exchanges whose timeout job was lost. */
const EXCHANGE_SWEEP_EVERY_MS = 5 * 60_000;

/**
 * The worker role's BullMQ side. Jobs are reminders to look: each processor re-reads the wallets
 * and does nothing when the work is done (DESIGN.md §4).
 * - exchange timeouts: one delayed job per exchange, plus a sweep every few minutes;
 * - monthly renewal (M4): on the 1st at 00:00 UTC, and a daily catch-up run for the current
 *   month (a missed 1st, an exchange completed after the month's run). Both are safe to repeat.
 */
export async function registerPointsJobs(
  runtime: ServiceRuntime,
  points: PointsService,
  queues: { timeouts: Queue; renewals: Queue },
  clock: () => Date,
): Promise<void> {
  const log = runtime.logger.child({ component: 'points-jobs' });
  runtime.worker<ExchangeTimeoutJob | Record<string, never>>(EXCHANGE_TIMEOUTS_QUEUE, async (job: Job) => {
    if (job.name === 'exchange-sweep') return { flagged: await points.sweepStalledExchanges(log) };
    const { partnerId, exchangeId } = job.data as ExchangeTimeoutJob;
    return { stalled: await points.checkExchangeTimeout(partnerId, exchangeId, log) };
  });
  runtime.worker(RENEWALS_QUEUE, async () => {
    const month = monthOf(clock());
    const summary = await points.renewMonth(month, `renewal:${month}`);
    log.info({ ...summary }, 'monthly renewal run');
    return summary;
  });
  if (!runtime.runsWorker) return;
  // Schedulers are upserted by id, so every worker instance declaring them leaves one of each.
  await queues.timeouts.upsertJobScheduler(
    'exchange-sweep',
    { every: EXCHANGE_SWEEP_EVERY_MS },
    { name: 'exchange-sweep', opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
  const opts = { removeOnComplete: 100, removeOnFail: 100 };
  await queues.renewals.upsertJobScheduler('monthly-renewal', { pattern: '0 0 1 * *', tz: 'UTC' }, { name: 'monthly-renewal', opts });
  await queues.renewals.upsertJobScheduler('renewal-catch-up', { pattern: '0 6 * * *', tz: 'UTC' }, { name: 'renewal-catch-up', opts });
}
