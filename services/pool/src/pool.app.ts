import { ServiceRuntime, type CatalogReadModel } from '@licensing/messaging';
import { createLogger, type Lifecycle } from '@licensing/platform';
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { Pool } from './domain/pool.aggregate';
import { registerPoolRoutes } from './http/pool.http.controller';
import { RESERVATIONS_QUEUE, ReservationTimeouts, reservationTimeoutProcessor, type ReservationJob } from './jobs/reservation-timeout.processor';
import { Ledger } from './ledger/ledger.projection';
import { poolMessageHandlers } from './messaging/pool.message.controller';
import type { PoolConfig } from './pool.config';
import { PoolService } from './pool.service';

export const POOL_API_DESCRIPTION =
  'Partner license pools: stock per sku and term, purchases, reservations for assignments, credits, the movement ledger.';

export { poolConfig, type PoolConfig } from './pool.config';

export interface PoolApp {
  runtime: ServiceRuntime;
  pool: PoolService;
  ledger: Ledger;
  catalog: CatalogReadModel;
  queue: Queue<ReservationJob>;
  app: FastifyInstance;
}

/** Consumer groups, before the deployment's topic prefix. */
export const PoolGroups = { catalog: 'pool-catalog', commands: 'pool', ledger: 'pool-ledger' } as const;

/** Builds and starts the pool for its role; everything it opens closes with `lifecycle`. */
export async function startPool(config: PoolConfig, lifecycle: Lifecycle): Promise<PoolApp> {
  const logger = createLogger('pool', config.logLevel);
  const runtime = await ServiceRuntime.create(config, logger, lifecycle);
  await runtime.ensureTopics('pool', 'catalog', 'contracts', 'points');

  // The pool's own copy of the catalog, from catalog.events alone (rebuilt when empty).
  const catalog = await runtime.catalogReadModel(PoolGroups.catalog);
  const ledger = new Ledger(runtime.mongo.db);
  await ledger.ensureIndexes();
  const pool = new PoolService(runtime.repository<Pool>('pools'), catalog, ledger, { reservationTimeoutMs: config.reservationTimeoutMs });
  const queue = runtime.queue<ReservationJob>(RESERVATIONS_QUEUE);
  const timeouts = new ReservationTimeouts(queue);

  runtime.consumer({
    groupId: PoolGroups.commands,
    topics: [runtime.topic('contracts'), runtime.topic('points')],
    handlers: poolMessageHandlers(pool, timeouts),
  });
  runtime.consumer({ groupId: PoolGroups.ledger, topics: [runtime.topic('pool')], handlers: ledger.handlers() });

  runtime.worker<ReservationJob>(RESERVATIONS_QUEUE, reservationTimeoutProcessor(pool, logger.child({ component: 'reservation-timeouts' })));
  if (runtime.runsWorker) await timeouts.scheduleSweep(config.reservationSweepMs);

  const app = await runtime.http(POOL_API_DESCRIPTION, (http) => {
    if (runtime.runsApi) registerPoolRoutes(http, pool);
  });
  await runtime.start(app);
  return { runtime, pool, ledger, catalog, queue, app };
}
