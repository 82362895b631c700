import { loadConfig, readPlatformConfig, type PlatformConfig } from '@licensing/platform';

export interface PoolConfig extends PlatformConfig {
  /** How long reserved licenses wait for the contracts' answer before they are released. */
  reservationTimeoutMs: number;
  /** How often the worker looks for reservations past their deadline that a lost job missed. */
  reservationSweepMs: number;
}

export const poolConfig = (source: Record<string, string | undefined> = process.env): PoolConfig =>
  loadConfig(
    (env) => ({
      ...readPlatformConfig(env, 'pool', 3002),
      reservationTimeoutMs: env.int('POOL_RESERVATION_TIMEOUT_MS', { default: 60_000, min: 100, max: 7 * 24 * 3600 * 1000 }),
      reservationSweepMs: env.int('POOL_RESERVATION_SWEEP_MS', { default: 30_000, min: 100, max: 3600 * 1000 }),
    }),
    source,
  );
