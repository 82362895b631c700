import { createHash } from 'node:crypto';
import { CatalogCopy } from '@licensing/catalog-copy';
import { InjectClock, InjectConfig, InjectLogger, orThrow, type Clock, type Logger } from '@licensing/platform';
import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { ContractsConfig } from '../../contracts.config';
import { assignmentView, type AssignmentView } from '../../contracts.views';
import { clientKey, requestAssignment, type Assignment, type AssignmentRequest } from '../../domain/client.aggregate';
import { ClientRepository, refusalAsResult } from '../../infrastructure/client.repository';
import { ASSIGNMENT_TIMEOUT_JOB, ASSIGNMENT_TIMEOUTS_QUEUE, type AssignmentTimeoutJob } from '../../infrastructure/contracts.queues';
import { skuLookup } from '../../infrastructure/sku-lookup';
import { GetAssignmentHandler } from '../../queries/get-assignment/get-assignment.handler';

/** The same Idempotency-Key for the same client always names the same assignment. */
export const assignmentIdFor = (partnerId: string, clientId: string, idempotencyKey: string): string => {
  const hex = createHash('sha256').update(`${partnerId}\n${clientId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/** C1, C2, C7: checks an assignment inside the client document and starts its saga with the pool. */
@Injectable()
export class RequestAssignmentHandler {
  constructor(
    private readonly clients: ClientRepository,
    private readonly catalog: CatalogCopy,
    private readonly assignments: GetAssignmentHandler,
    @InjectQueue(ASSIGNMENT_TIMEOUTS_QUEUE) private readonly timeouts: Queue<AssignmentTimeoutJob>,
    @InjectConfig() private readonly config: ContractsConfig,
    @InjectClock() private readonly clock: Clock,
    private readonly deadlines: Deadlines,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  /** Starts the saga (or finds the one this key started), then waits up to `waitMs` for its end. */
  async execute(
    partnerId: string,
    clientId: string,
    request: AssignmentRequest,
    idempotencyKey: string,
    correlationId: string,
    waitMs = 0,
  ): Promise<{ assignment: AssignmentView; replayed: boolean }> {
    const assignmentId = assignmentIdFor(partnerId, clientId, idempotencyKey);
    const lookup = await skuLookup(this.catalog, [request.sku, ...request.modules.map((m) => m.sku)]);
    const outcome = await this.clients.decide(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      refusalAsResult(requestAssignment(client, assignmentId, request, lookup, this.config.assignmentTimeoutMs, ctx)),
    );
    const { assignment, replayed } = orThrow(outcome.result);
    // Also on a replay: the first request may have saved and died before scheduling.
    if (assignment.status === 'pending') await this.remindDeadline(partnerId, clientId, assignment);
    if (waitMs > 0 && assignment.status === 'pending') {
      return { assignment: await this.assignments.execute(partnerId, clientId, assignmentId, waitMs), replayed };
    }
    return { assignment: assignmentView(outcome.state as NonNullable<typeof outcome.state>, assignment, this.clock()), replayed };
  }

  /** A reminder to look once the deadline has come, never the deadline itself: the processor re-reads the client. */
  private async remindDeadline(partnerId: string, clientId: string, assignment: Assignment): Promise<void> {
    const { assignmentId, deadline } = assignment;
    try {
      await this.deadlines.remind(this.timeouts, ASSIGNMENT_TIMEOUT_JOB, jobIdOf('assignment', partnerId, clientId, assignmentId), deadline, {
        partnerId,
        clientId,
        assignmentId,
      });
    } catch (error) {
      // The deadline is saved with the assignment; the periodic sweep finds it.
      this.logger.warn({ err: error, assignmentId }, 'could not schedule the assignment deadline');
    }
  }
}
