import { CatalogCopyModule } from '@licensing/catalog-copy';
import type { Clock } from '@licensing/platform';
import { forRole, ServiceKitModule, startService, type RunningService } from '@licensing/service-kit';
import { Module, type DynamicModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ActivateAssignmentHandler } from './commands/activate-assignment/activate-assignment.handler';
import { ActivateAssignmentMessageController } from './commands/activate-assignment/activate-assignment.message.controller';
import { CancelUnbackedContractsHandler } from './commands/cancel-unbacked-contracts/cancel-unbacked-contracts.handler';
import { CancelUnbackedContractsMessageController } from './commands/cancel-unbacked-contracts/cancel-unbacked-contracts.message.controller';
import { CreateClientHandler } from './commands/create-client/create-client.handler';
import { CreateClientHttpController } from './commands/create-client/create-client.http.controller';
import { RejectAssignmentHandler } from './commands/reject-assignment/reject-assignment.handler';
import { RejectAssignmentMessageController } from './commands/reject-assignment/reject-assignment.message.controller';
import { RequestAssignmentHandler } from './commands/request-assignment/request-assignment.handler';
import { RequestAssignmentHttpController } from './commands/request-assignment/request-assignment.http.controller';
import { ApplyMonthlyHandler } from './commands/apply-monthly/apply-monthly.handler';
import { ApplyMonthlyMessageController } from './commands/apply-monthly/apply-monthly.message.controller';
import { ManageDevicesHandler } from './commands/manage-devices/manage-devices.handler';
import { ManageDevicesHttpController } from './commands/manage-devices/manage-devices.http.controller';
import { ManageServiceHandler } from './commands/manage-service/manage-service.handler';
import { ManageServiceHttpController } from './commands/manage-service/manage-service.http.controller';
import { ManageTrialsHandler } from './commands/manage-trials/manage-trials.handler';
import { ManageTrialsHttpController } from './commands/manage-trials/manage-trials.http.controller';
import { LifecycleProcessor } from './commands/run-lifecycle/lifecycle.processor';
import { RunLifecycleHandler } from './commands/run-lifecycle/run-lifecycle.handler';
import { ServiceSagasHandler } from './commands/service-sagas/service-sagas.handler';
import { ServiceSagasHttpController } from './commands/service-sagas/service-sagas.http.controller';
import { SagaStarter } from './commands/start-saga/saga-starter';
import { AssignmentTimeoutsProcessor } from './commands/time-out-assignments/assignment-timeouts.processor';
import { TimeOutAssignmentsHandler } from './commands/time-out-assignments/time-out-assignments.handler';
import type { ContractsConfig } from './contracts.config';
import { clientModel, ClientRepository } from './infrastructure/client.repository';
import { SagaRecords, sagaRecordModel } from './infrastructure/saga-records';
import { SagaRecordsMessageController } from './projections/saga-records.message.controller';
import { ASSIGNMENT_TIMEOUTS_QUEUE, LIFECYCLE_QUEUE } from './infrastructure/contracts.queues';
import { GetAssignmentHandler } from './queries/get-assignment/get-assignment.handler';
import { GetAssignmentHttpController } from './queries/get-assignment/get-assignment.http.controller';
import { GetClientsHandler } from './queries/get-clients/get-clients.handler';
import { GetClientsHttpController } from './queries/get-clients/get-clients.http.controller';

export { contractsConfig, type ContractsConfig } from './contracts.config';

/** The service's description in its OpenAPI document. */
export const CONTRACTS_API_DESCRIPTION =
  "Partners' clients, their services and license contracts, and the assignment saga that takes licenses from the partner's pool.";

/**
 * Contracts: one document per client. Its consumer groups: `contracts-catalog` (its copy of the
 * catalog) and `contracts` (the pool's answers to its sagas, the pool's monthly lapses and the
 * points' monthly renewals).
 */
@Module({})
export class ContractsModule {
  static forRole(config: ContractsConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ContractsModule,
      imports: [
        ServiceKitModule.forRoot(config, { queues: [ASSIGNMENT_TIMEOUTS_QUEUE, LIFECYCLE_QUEUE], ...options }),
        MongooseModule.forFeature([clientModel, sagaRecordModel]),
        CatalogCopyModule,
      ],
      ...forRole(config, {
        controllers: [
          CreateClientHttpController,
          GetClientsHttpController,
          RequestAssignmentHttpController,
          GetAssignmentHttpController,
          ActivateAssignmentMessageController,
          RejectAssignmentMessageController,
          CancelUnbackedContractsMessageController,
          ServiceSagasHttpController,
          ManageServiceHttpController,
          ManageDevicesHttpController,
          ManageTrialsHttpController,
          ApplyMonthlyMessageController,
          SagaRecordsMessageController,
        ],
        providers: [
          ClientRepository,
          SagaRecords,
          CreateClientHandler,
          GetClientsHandler,
          RequestAssignmentHandler,
          GetAssignmentHandler,
          ActivateAssignmentHandler,
          RejectAssignmentHandler,
          CancelUnbackedContractsHandler,
          TimeOutAssignmentsHandler,
          SagaStarter,
          ServiceSagasHandler,
          ManageServiceHandler,
          ManageDevicesHandler,
          ManageTrialsHandler,
          ApplyMonthlyHandler,
          RunLifecycleHandler,
        ],
        processors: [AssignmentTimeoutsProcessor, LifecycleProcessor],
      }),
    };
  }
}

export const startContracts = (config: ContractsConfig, options: { clock?: Clock } = {}): Promise<RunningService> =>
  startService(ContractsModule.forRole(config, options), config, CONTRACTS_API_DESCRIPTION);
