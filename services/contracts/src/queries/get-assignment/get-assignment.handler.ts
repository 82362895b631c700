import { InjectClock, notFound, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { ContractsCodes } from '../../domain/contracts.errors';
import { assignmentView, type AssignmentView } from '../../contracts.views';
import { ClientRepository } from '../../infrastructure/client.repository';
import { SagaRecords } from '../../infrastructure/saga-records';
import { archived } from '../../commands/start-saga/saga-starter';

/** How often a `Prefer: wait` re-reads the assignment. */
const WAIT_POLL_MS = 100;

@Injectable()
export class GetAssignmentHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
    private readonly records: SagaRecords,
  ) {}

  async find(partnerId: string, clientId: string, assignmentId: string): Promise<AssignmentView> {
    const doc = await this.clients.get(partnerId, clientId);
    if (!doc) throw notFound(ContractsCodes.clientNotFound, `partner ${partnerId} has no client ${clientId}`);
    const assignment = doc.state.assignments.find((a) => a.assignmentId === assignmentId);
    const record = assignment ? null : await this.records.find(assignmentId);
    if (record && record.partnerId === partnerId && record.clientId === clientId) return archived(record);
    if (!assignment) throw notFound(ContractsCodes.assignmentNotFound, `client ${clientId} has no assignment ${assignmentId}`);
    return assignmentView(doc.state, assignment, this.clock());
  }

  /** The assignment, after waiting up to `waitMs` for it to be final (the Prefer: wait contract). */
  async execute(partnerId: string, clientId: string, assignmentId: string, waitMs = 0): Promise<AssignmentView> {
    // A time budget for the HTTP answer, not a business decision: measured on the system clock.
    const deadline = Date.now() + waitMs;
    for (;;) {
      const assignment = await this.find(partnerId, clientId, assignmentId);
      if (assignment.status !== 'pending' || Date.now() >= deadline) return assignment;
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }
}
