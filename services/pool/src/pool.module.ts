import { CatalogCopyModule } from '@licensing/catalog-copy';
import type { Clock } from '@licensing/platform';
import { forRole, ServiceKitModule, startService, type RunningService } from '@licensing/service-kit';
import { Module, type DynamicModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CommitReservationHandler } from './commands/commit-reservation/commit-reservation.handler';
import { CommitReservationMessageController } from './commands/commit-reservation/commit-reservation.message.controller';
import { CreditStockHandler } from './commands/credit-stock/credit-stock.handler';
import { CreditStockMessageController } from './commands/credit-stock/credit-stock.message.controller';
import { ExpireLapsedHandler } from './commands/expire-lapsed/expire-lapsed.handler';
import { ExpireLapsedMessageController } from './commands/expire-lapsed/expire-lapsed.message.controller';
import { PurchaseStockHandler } from './commands/purchase-stock/purchase-stock.handler';
import { PurchaseStockHttpController } from './commands/purchase-stock/purchase-stock.http.controller';
import { ReleaseExpiredReservationsHandler } from './commands/release-expired-reservations/release-expired-reservations.handler';
import { ReservationTimeoutProcessor } from './commands/release-expired-reservations/reservation-timeout.processor';
import { ReleaseMonthlyHandler } from './commands/release-monthly/release-monthly.handler';
import { ReleaseMonthlyMessageController } from './commands/release-monthly/release-monthly.message.controller';
import { ReleaseReservationHandler } from './commands/release-reservation/release-reservation.handler';
import { ReleaseReservationMessageController } from './commands/release-reservation/release-reservation.message.controller';
import { ReserveLicensesHandler } from './commands/reserve-licenses/reserve-licenses.handler';
import { ReserveLicensesMessageController } from './commands/reserve-licenses/reserve-licenses.message.controller';
import { SetThresholdHandler } from './commands/set-threshold/set-threshold.handler';
import { SetThresholdHttpController } from './commands/set-threshold/set-threshold.http.controller';
import { UnassignLicensesHandler } from './commands/unassign-licenses/unassign-licenses.handler';
import { UnassignLicensesMessageController } from './commands/unassign-licenses/unassign-licenses.message.controller';
import { POOLS, PoolRepository, poolSchema } from './infrastructure/pool.repository';
import { RESERVATIONS_QUEUE, ReservationDeadlines } from './infrastructure/reservation-deadlines';
import type { PoolConfig } from './pool.config';
import { LedgerMessageController } from './projections/ledger.message.controller';
import { LedgerRepository, movementSchema, MOVEMENTS } from './projections/ledger.repository';
import { GetMovementsHandler } from './queries/get-movements/get-movements.handler';
import { GetMovementsHttpController } from './queries/get-movements/get-movements.http.controller';
import { GetPoolHandler } from './queries/get-pool/get-pool.handler';
import { GetPoolHttpController } from './queries/get-pool/get-pool.http.controller';

export { poolConfig, type PoolConfig } from './pool.config';

export const POOL_API_DESCRIPTION =
  'Partner license pools: stock per sku and term, purchases, reservations for assignments, credits, the movement ledger.';

/**
 * The pool: one document per partner's stock. Its consumer groups: `pool-catalog` (its copy of
 * the catalog), `pool` (the contracts' and points' events it acts on) and `pool-ledger` (the
 * movement ledger from its own events).
 */
@Module({})
export class PoolModule {
  static forRole(config: PoolConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: PoolModule,
      imports: [
        ServiceKitModule.forRoot(config, { queues: [RESERVATIONS_QUEUE], clock: options.clock }),
        MongooseModule.forFeature([
          { name: POOLS, schema: poolSchema },
          { name: MOVEMENTS, schema: movementSchema },
        ]),
        CatalogCopyModule,
      ],
      ...forRole(config, {
        controllers: [
          PurchaseStockHttpController,
          SetThresholdHttpController,
          GetPoolHttpController,
          GetMovementsHttpController,
          ReserveLicensesMessageController,
          CommitReservationMessageController,
          ReleaseReservationMessageController,
          CreditStockMessageController,
          ExpireLapsedMessageController,
          ReleaseMonthlyMessageController,
          UnassignLicensesMessageController,
          LedgerMessageController,
        ],
        providers: [
          PoolRepository,
          LedgerRepository,
          ReservationDeadlines,
          PurchaseStockHandler,
          SetThresholdHandler,
          ReserveLicensesHandler,
          CommitReservationHandler,
          ReleaseReservationHandler,
          CreditStockHandler,
          ExpireLapsedHandler,
          ReleaseMonthlyHandler,
          UnassignLicensesHandler,
          ReleaseExpiredReservationsHandler,
          GetPoolHandler,
          GetMovementsHandler,
        ],
        processors: [ReservationTimeoutProcessor],
      }),
    };
  }
}

export const startPool = (config: PoolConfig, options: { clock?: Clock } = {}): Promise<RunningService> =>
  startService(PoolModule.forRole(config, options), config, POOL_API_DESCRIPTION);
