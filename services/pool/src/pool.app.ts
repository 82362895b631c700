import { randomUUID } from 'node:crypto';
import { CatalogReadModel, ServiceRuntime } from '@licensing/messaging';
import { createLogger, type Lifecycle } from '@licensing/platform';
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Pool } from './domain/pool.aggregate';
import { registerPoolRoutes } from './http/pool.http.controller';
import { RESERVATIONS_QUEUE, ReservationTimeouts, reservationTimeoutProcessor, type ReservationJob } from './jobs/reservation-timeout.processor';
import { Ledger } from './ledger/ledger.projection';
import { poolMessageHandlers } from './messaging/pool.message.controller';
import type { PoolConfig } from './pool.config';
import { PoolService } from './pool.service';

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

  const catalog = new CatalogReadModel(runtime.mongo.db);
  const ledger = new Ledger(runtime.mongo.db);
  await ledger.ensureIndexes();
  const pool = new PoolService(runtime.repository<Pool>('pools'), catalog, ledger, { reservationTimeoutMs: config.reservationTimeoutMs });
  const queue = runtime.queue<ReservationJob>(RESERVATIONS_QUEUE);
  const timeouts = new ReservationTimeouts(queue);

  // The pool's copy of the catalog comes from catalog.events alone. An empty copy is rebuilt by
  // reading the topic from its start in a group of its own: rewinding the shared group would
  // need it empty of members, which it is not while another instance runs or, after a crash,
  // until the dead member's session expires. Catalog events carry whole versioned states, so
  // reading them again is harmless.
  const catalogGroup = (await catalog.isEmpty()) ? `${PoolGroups.catalog}-rebuild-${randomUUID()}` : PoolGroups.catalog;
  const consumers = [
    runtime.consumer({ groupId: catalogGroup, topics: [runtime.topic('catalog')], handlers: catalog.handlers(), fromBeginning: true }),
    runtime.consumer({ groupId: PoolGroups.commands, topics: [runtime.topic('contracts'), runtime.topic('points')], handlers: poolMessageHandlers(pool, timeouts) }),
    runtime.consumer({ groupId: PoolGroups.ledger, topics: [runtime.topic('pool')], handlers: ledger.handlers() }),
  ];

  const worker = runtime.worker<ReservationJob>(RESERVATIONS_QUEUE, reservationTimeoutProcessor(pool, logger.child({ component: 'reservation-timeouts' })));
  // Workaround for a ServiceRuntime leak: it gives the worker a duplicated Redis connection that
  // BullMQ treats as shared and nobody closes. Registered before start(), so it runs after the
  // runtime has closed the worker.
  if (worker) lifecycle.onClose('reservation-worker-redis', async () => (worker.opts.connection as Redis).disconnect());
  if (runtime.runsWorker) await timeouts.scheduleSweep(config.reservationSweepMs);

  const app = await runtime.http('Partner license pools: stock per sku and term, purchases, reservations for assignments, credits, the movement ledger.', (http) => {
    if (runtime.runsApi) registerPoolRoutes(http, pool);
  });
  await runtime.start(app);
  // Workaround: the runtime stops consumers one after another and each waits for its fetch
  // (up to 5 s); stopping them together first keeps shutdown well inside the grace period.
  lifecycle.onClose('pool-consumers', async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  });
  return { runtime, pool, ledger, catalog, queue, app };
}
