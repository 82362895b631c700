import { PoolEvents, type CloudEvent, type CreditRejectedV1, type StockCreditedV1 } from '@licensing/events';
import { ServiceRuntime, type CatalogReadModel } from '@licensing/messaging';
import { createLogger, loadConfig, readPlatformConfig, type Lifecycle, type PlatformConfig } from '@licensing/platform';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { Wallet } from './domain/wallet.aggregate';
import { registerPointsRoutes } from './http/points.http.controller';
import { EXCHANGE_TIMEOUTS_QUEUE, registerPointsJobs, RENEWALS_QUEUE } from './jobs/points.processors';
import { PointsService, type ExchangeTimeoutJob } from './points.service';
import { PointsProjections } from './projections/points.projections';

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

/** The service's description in its OpenAPI document. */
export const POINTS_API_DESCRIPTION = 'MSSP Points wallets, the MSSP Command exchange (points for monthly licenses) and the monthly renewal.';

/** Consumer groups, before the deployment's topic prefix. */
export const PointsGroups = { catalog: 'points-catalog', saga: 'points-exchange-saga', projections: 'points-projections' } as const;

export interface PointsApp {
  runtime: ServiceRuntime;
  points: PointsService;
  catalog: CatalogReadModel;
  app: FastifyInstance;
}

/** Builds and starts the points service for its role; everything it opens closes with `lifecycle`. */
export async function startPoints(config: PointsConfig, lifecycle: Lifecycle, options: { clock?: () => Date } = {}): Promise<PointsApp> {
  const clock = options.clock ?? (() => new Date());
  const logger = createLogger('points', config.logLevel);
  const runtime = await ServiceRuntime.create(config, logger, lifecycle);
  await runtime.ensureTopics('points', 'catalog', 'pool');

  const catalog = await runtime.catalogReadModel(PointsGroups.catalog);
  const projections = new PointsProjections(runtime.mongo.db);
  await projections.ensureIndexes();
  const timeouts = runtime.queue<ExchangeTimeoutJob>(EXCHANGE_TIMEOUTS_QUEUE);
  const renewals = runtime.queue(RENEWALS_QUEUE);
  const stalled = new Counter({
    name: 'points_exchanges_stalled_total',
    help: 'Exchanges the pool did not answer within POINTS_EXCHANGE_TIMEOUT_MS',
    registers: [runtime.metrics.registry],
  });
  const points = new PointsService(runtime.repository<Wallet>('wallets'), catalog, projections, timeouts, {
    clock,
    exchangeTimeoutMs: config.exchangeTimeoutMs,
    logger,
    onStalled: () => stalled.inc(),
  });

  runtime.consumer({
    groupId: PointsGroups.saga,
    topics: [runtime.topic('pool')],
    handlers: {
      [PoolEvents.stockCredited]: (event, ctx) => points.onStockCredited(event as CloudEvent<StockCreditedV1>, ctx.logger),
      [PoolEvents.creditRejected]: (event, ctx) => points.onCreditRejected(event as CloudEvent<CreditRejectedV1>, ctx.logger),
    },
  });
  runtime.consumer({ groupId: PointsGroups.projections, topics: [runtime.topic('points')], handlers: projections.handlers() });
  await registerPointsJobs(runtime, points, { timeouts, renewals }, clock);

  const app = await runtime.http(POINTS_API_DESCRIPTION, (http) => {
    if (runtime.runsApi) registerPointsRoutes(http, points, { maxWaitSeconds: config.maxWaitSeconds });
  });
  await runtime.start(app);
  return { runtime, points, catalog, app };
}
