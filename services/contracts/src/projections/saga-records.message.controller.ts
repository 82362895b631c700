import { ContractsEvents, type AssignmentRejectedV1, type AssignmentRequestedV1, type CloudEvent, type ContractActivatedV1 } from '@licensing/events';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { SagaRecords } from '../infrastructure/saga-records';

/** The saga records' consumer group (`contracts-records`): it lags or is rebuilt on its own. */
export const RECORDS_GROUP = 'records';

/** Keeps every saga's final state from the service's own events, so its id is honoured once, ever. */
@Controller()
export class SagaRecordsMessageController {
  constructor(private readonly records: SagaRecords) {}

  @EventPattern(ContractsEvents.assignmentRequested, { group: RECORDS_GROUP })
  requested(@Payload() { data }: CloudEvent<AssignmentRequestedV1>): Promise<void> {
    return this.records.seen(data.assignmentId, data.partnerId, data.clientId, {});
  }

  @EventPattern(ContractsEvents.contractActivated, { group: RECORDS_GROUP })
  activated(@Payload() { data }: CloudEvent<ContractActivatedV1>): Promise<void> {
    return this.records.seen(data.assignmentId, data.partnerId, data.clientId, {
      status: 'activated',
      contractIds: data.contracts.map((c) => c.contractId),
      settledAt: data.activatedAt,
    });
  }

  @EventPattern(ContractsEvents.assignmentRejected, { group: RECORDS_GROUP })
  rejected(@Payload() { data }: CloudEvent<AssignmentRejectedV1>): Promise<void> {
    return this.records.seen(data.assignmentId, data.partnerId, data.clientId ?? '', {
      status: 'rejected',
      code: data.code,
      reason: data.reason,
      settledAt: data.rejectedAt,
    });
  }
}
