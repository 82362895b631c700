import { createHash } from 'node:crypto';
import type { Decision, Refusal } from '@licensing/domain';
import { CatalogCopy } from '@licensing/catalog-copy';
import { conflict, InjectClock, InjectConfig, InjectLogger, orThrow, type Clock, type Logger } from '@licensing/platform';
import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { ContractsConfig } from '../../contracts.config';
import { assignmentView, type AssignmentView } from '../../contracts.views';
import { clientKey, type Assignment, type ChangeContext, type Client, type Requested, type SkuLookup } from '../../domain/client.aggregate';
import { ClientRepository, refusalAsResult } from '../../infrastructure/client.repository';
import { ASSIGNMENT_TIMEOUT_JOB, ASSIGNMENT_TIMEOUTS_QUEUE, type AssignmentTimeoutJob } from '../../infrastructure/contracts.queues';
import { requestDigest, SagaRecords, type SagaRecord } from '../../infrastructure/saga-records';
import { skuLookup } from '../../infrastructure/sku-lookup';
import { GetAssignmentHandler } from '../../queries/get-assignment/get-assignment.handler';

/** The same Idempotency-Key for the same client always names the same saga. */
export const assignmentIdFor = (partnerId: string, clientId: string, idempotencyKey: string): string => {
  const hex = createHash('sha256').update(`${partnerId}\n${clientId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/** A request that takes licenses from the pool, as the domain decides it. */
export type SagaDecision = (
  client: Client | null,
  assignmentId: string,
  lookup: SkuLookup,
  timeoutMs: number,
  ctx: ChangeContext,
) => Decision<Client, Requested> | Refusal;

/** What every request that takes licenses from the pool shares: the saga id from the Idempotency-Key, its deadline, the wait. */
export interface SagaRequest {
  partnerId: string;
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  waitMs: number;
  /** The skus the decision looks up in the catalog copy. */
  skus: string[];
  /** What was asked, to tell a replay from another request under the same key past the document's window. */
  route: string;
  body: unknown;
}

/**
 * Starts a saga with the pool (an assignment, a renewal, a change, a module) or finds the one
 * its key started, reminds its deadline, then waits up to `waitMs` for its end.
 */
@Injectable()
export class SagaStarter {
  constructor(
    private readonly clients: ClientRepository,
    private readonly catalog: CatalogCopy,
    private readonly assignments: GetAssignmentHandler,
    @InjectQueue(ASSIGNMENT_TIMEOUTS_QUEUE) private readonly timeouts: Queue<AssignmentTimeoutJob>,
    @InjectConfig() private readonly config: ContractsConfig,
    @InjectClock() private readonly clock: Clock,
    private readonly deadlines: Deadlines,
    @InjectLogger() private readonly logger: Logger,
    private readonly records: SagaRecords,
  ) {}

  async start(request: SagaRequest, decide: SagaDecision): Promise<{ assignment: AssignmentView; replayed: boolean }> {
    const { partnerId, clientId, idempotencyKey, correlationId, waitMs } = request;
    const assignmentId = assignmentIdFor(partnerId, clientId, idempotencyKey);
    const digest = requestDigest(request.route, request.body);
    const [lookup, record] = await Promise.all([skuLookup(this.catalog, request.skus), this.records.find(assignmentId)]);
    const outcome = await this.clients.decide<Requested | Refusal | 'archived'>(
      clientKey(partnerId, clientId),
      this.clock,
      { correlationId },
      (client, ctx) =>
        // A saga the document no longer keeps is answered from its durable record, never started again.
        record && client && !client.assignments.some((a) => a.assignmentId === assignmentId)
          ? { result: 'archived' }
          : refusalAsResult(decide(client, assignmentId, lookup, this.config.assignmentTimeoutMs, ctx)),
    );
    if (outcome.result === 'archived') return { assignment: archived(record as SagaRecord, digest), replayed: true };
    const { assignment, replayed } = orThrow(outcome.result);
    const view = assignmentView(outcome.state as Client, assignment, this.clock());
    if (!replayed) {
      try {
        await this.records.started(view, partnerId, digest);
      } catch (error) {
        // The client document still holds the saga; the records projection writes its status from the events.
        this.logger.warn({ err: error, assignmentId }, 'could not write the saga record');
      }
    }
    // Also on a replay: the first request may have saved and died before scheduling.
    if (assignment.status === 'pending') await this.remindDeadline(partnerId, clientId, assignment);
    if (waitMs > 0 && assignment.status === 'pending') {
      return { assignment: await this.assignments.execute(partnerId, clientId, assignmentId, waitMs), replayed };
    }
    return { assignment: view, replayed };
  }

  /** A reminder to look once the deadline has come, never the deadline itself: the processor re-reads the client. */
  async remindDeadline(partnerId: string, clientId: string, assignment: Assignment): Promise<void> {
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

/** A saga past the document's window: the same request answers its recorded state; another under its key is refused. */
export function archived(record: SagaRecord, digest?: string): AssignmentView {
  if (digest !== undefined && record.digest !== null && record.digest !== digest) {
    throw conflict('CONTRACTS.IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', { assignmentId: record._id });
  }
  const base = record.view ?? ({ assignmentId: record._id, clientId: record.clientId } as AssignmentView);
  const view: AssignmentView = { ...base, status: record.status };
  delete view.contracts;
  if (record.code !== null) view.code = record.code;
  if (record.reason !== null) view.reason = record.reason;
  if (record.settledAt !== null) view.settledAt = record.settledAt;
  return view;
}
