import { Injectable } from '@nestjs/common';
import type { AssignmentView } from '../../contracts.views';
import { requestAssignment, type AssignmentRequest } from '../../domain/client.aggregate';
import { SagaStarter } from '../start-saga/saga-starter';

export { assignmentIdFor } from '../start-saga/saga-starter';

/** C1, C2, C7: checks an assignment inside the client document and starts its saga with the pool. */
@Injectable()
export class RequestAssignmentHandler {
  constructor(private readonly sagas: SagaStarter) {}

  /** Starts the saga (or finds the one this key started), then waits up to `waitMs` for its end. */
  execute(
    partnerId: string,
    clientId: string,
    request: AssignmentRequest,
    idempotencyKey: string,
    correlationId: string,
    waitMs = 0,
  ): Promise<{ assignment: AssignmentView; replayed: boolean }> {
    return this.sagas.start(
      {
        partnerId,
        clientId,
        idempotencyKey,
        correlationId,
        waitMs,
        skus: [request.sku, ...request.modules.map((m) => m.sku)],
        route: 'assignments',
        body: { ...request, modules: [...request.modules].sort((a, b) => (a.sku < b.sku ? -1 : 1)) },
      },
      (client, assignmentId, lookup, timeoutMs, ctx) => requestAssignment(client, assignmentId, request, lookup, timeoutMs, ctx),
    );
  }
}
