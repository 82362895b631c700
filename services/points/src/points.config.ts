import { loadConfig, readPlatformConfig, type PlatformConfig } from '@licensing/platform';

export interface PointsConfig extends PlatformConfig {
  /** POINTS_EXCHANGE_TIMEOUT_MS: after this long without the pool's answer an exchange is flagged stalled. */
  exchangeTimeoutMs: number;
  /** POINTS_MAX_WAIT_SECONDS: the longest `Prefer: wait` honoured. */
  maxWaitSeconds: number;
}

export const pointsConfig = (source: Record<string, string | undefined> = process.env): PointsConfig =>
  loadConfig(
    (env) => ({
      ...readPlatformConfig(env, 'points', 3004),
      exchangeTimeoutMs: env.int('POINTS_EXCHANGE_TIMEOUT_MS', { default: 10 * 60_000, min: 1000 }),
      maxWaitSeconds: env.int('POINTS_MAX_WAIT_SECONDS', { default: 20, min: 0, max: 60 }),
    }),
    source,
  );
