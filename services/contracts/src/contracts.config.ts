import { loadConfig, readPlatformConfig, type PlatformConfig } from '@licensing/platform';

export interface ContractsConfig extends PlatformConfig {
  /** CONTRACTS_ASSIGNMENT_TIMEOUT_MS: how long an assignment waits for the pool; shorter than the pool's reservation timeout. */
  assignmentTimeoutMs: number;
  /** CONTRACTS_ASSIGNMENT_SWEEP_MS: how often the worker looks for assignments past their deadline that a lost reminder missed. */
  assignmentSweepMs: number;
  /** CONTRACTS_MAX_WAIT_SECONDS: the longest `Prefer: wait` honoured. */
  maxWaitSeconds: number;
  /** CONTRACTS_REMINDER_DAYS: days before an end date when C11 reminders go out, comma-separated (default 30,7,1). */
  reminderDays: number[];
  /** CONTRACTS_LIFECYCLE_SWEEP_MS: how often the worker looks for clients with something due (ends, grace, expiry, reminders, trials). */
  lifecycleSweepMs: number;
}

/** "30,7,1" → [30, 7, 1]: distinct days, largest first. */
const reminderDays = (value: string): number[] => [...new Set(value.split(',').map(Number))].filter((d) => d >= 1).sort((a, b) => b - a);

export const contractsConfig = (source: Record<string, string | undefined> = process.env): ContractsConfig =>
  loadConfig(
    (env) => ({
      ...readPlatformConfig(env, 'contracts', 3003),
      assignmentTimeoutMs: env.int('CONTRACTS_ASSIGNMENT_TIMEOUT_MS', { default: 30_000, min: 100, max: 7 * 24 * 3600 * 1000 }),
      assignmentSweepMs: env.int('CONTRACTS_ASSIGNMENT_SWEEP_MS', { default: 30_000, min: 100, max: 3600 * 1000 }),
      maxWaitSeconds: env.int('CONTRACTS_MAX_WAIT_SECONDS', { default: 20, min: 0, max: 60 }),
      reminderDays: reminderDays(env.string('CONTRACTS_REMINDER_DAYS', { default: '30,7,1', pattern: /^([1-9][0-9]{0,2})(,[1-9][0-9]{0,2}){0,9}$/ })),
      lifecycleSweepMs: env.int('CONTRACTS_LIFECYCLE_SWEEP_MS', { default: 60_000, min: 100, max: 3600 * 1000 }),
    }),
    source,
  );
