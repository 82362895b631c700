import { CatalogCopyModule } from '@licensing/catalog-copy';
import type { Clock } from '@licensing/platform';
import { forRole, ServiceKitModule, startService, type RunningService } from '@licensing/service-kit';
import { Module, type DynamicModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CheckExchangeTimeoutHandler } from './commands/check-exchange-timeout/check-exchange-timeout.handler';
import { ExchangeTimeoutsProcessor } from './commands/check-exchange-timeout/exchange-timeouts.processor';
import { CreditPointsHandler } from './commands/credit-points/credit-points.handler';
import { CreditPointsHttpController } from './commands/credit-points/credit-points.http.controller';
import { EnrolHandler } from './commands/enrol/enrol.handler';
import { EnrolHttpController } from './commands/enrol/enrol.http.controller';
import { ExchangeHandler } from './commands/exchange/exchange.handler';
import { ExchangeHttpController } from './commands/exchange/exchange.http.controller';
import { ReleaseMonthlyHandler } from './commands/release-monthly/release-monthly.handler';
import { ReleaseMonthlyHttpController } from './commands/release-monthly/release-monthly.http.controller';
import { SettleReleaseHandler } from './commands/release-monthly/settle-release.handler';
import { SettleReleaseMessageController } from './commands/release-monthly/settle-release.message.controller';
import { RenewMonthHandler } from './commands/renew-month/renew-month.handler';
import { RenewMonthHttpController } from './commands/renew-month/renew-month.http.controller';
import { RenewalsProcessor } from './commands/renew-month/renewals.processor';
import { SettleExchangeHandler } from './commands/settle-exchange/settle-exchange.handler';
import { SettleExchangeMessageController } from './commands/settle-exchange/settle-exchange.message.controller';
import { PointsMetrics } from './infrastructure/points.metrics';
import { EXCHANGE_TIMEOUTS_QUEUE, RENEWALS_QUEUE } from './infrastructure/points.queues';
import { walletModel, WalletRepository } from './infrastructure/wallet.repository';
import type { PointsConfig } from './points.config';
import { exchangeHistoryModel, ExchangeHistoryRepository } from './projections/exchange-history.repository';
import { ledgerModel, LedgerRepository } from './projections/ledger.repository';
import { PointsProjectionsMessageController } from './projections/points-projections.message.controller';
import { GetExchangeHandler } from './queries/get-exchange/get-exchange.handler';
import { GetExchangeHttpController } from './queries/get-exchange/get-exchange.http.controller';
import { GetLedgerHandler } from './queries/get-ledger/get-ledger.handler';
import { GetLedgerHttpController } from './queries/get-ledger/get-ledger.http.controller';
import { GetReleaseHandler } from './queries/get-release/get-release.handler';
import { GetReleaseHttpController } from './queries/get-release/get-release.http.controller';
import { GetWalletHandler } from './queries/get-wallet/get-wallet.handler';
import { GetWalletHttpController } from './queries/get-wallet/get-wallet.http.controller';

export { pointsConfig, type PointsConfig } from './points.config';

/** The service's description in its OpenAPI document. */
export const POINTS_API_DESCRIPTION = 'MSSP Points wallets, the MSSP Command exchange (points for monthly licenses) and the monthly renewal.';

/** MSSP Points: one wallet per partner, the exchange saga with the pool, the monthly renewal. */
@Module({})
export class PointsModule {
  static forRole(config: PointsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: PointsModule,
      imports: [
        ServiceKitModule.forRoot(config, { queues: [EXCHANGE_TIMEOUTS_QUEUE, RENEWALS_QUEUE], ...options }),
        MongooseModule.forFeature([walletModel, ledgerModel, exchangeHistoryModel]),
        CatalogCopyModule,
      ],
      ...forRole(config, {
        controllers: [
          GetWalletHttpController,
          EnrolHttpController,
          CreditPointsHttpController,
          ExchangeHttpController,
          GetExchangeHttpController,
          GetLedgerHttpController,
          RenewMonthHttpController,
          ReleaseMonthlyHttpController,
          GetReleaseHttpController,
          SettleExchangeMessageController,
          SettleReleaseMessageController,
          PointsProjectionsMessageController,
        ],
        providers: [
          WalletRepository,
          LedgerRepository,
          ExchangeHistoryRepository,
          PointsMetrics,
          GetWalletHandler,
          GetExchangeHandler,
          GetLedgerHandler,
          EnrolHandler,
          CreditPointsHandler,
          ExchangeHandler,
          SettleExchangeHandler,
          CheckExchangeTimeoutHandler,
          RenewMonthHandler,
          ReleaseMonthlyHandler,
          SettleReleaseHandler,
          GetReleaseHandler,
        ],
        processors: [ExchangeTimeoutsProcessor, RenewalsProcessor],
      }),
    };
  }
}

export const startPoints = (config: PointsConfig, options: { clock?: Clock } = {}): Promise<RunningService> =>
  startService(PointsModule.forRole(config, options), config, POINTS_API_DESCRIPTION);
