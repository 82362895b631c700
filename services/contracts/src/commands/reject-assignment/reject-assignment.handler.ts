import type { CloudEvent, ReservationRejectedV1 } from '@licensing/events';
import { InjectClock, Metrics, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, rejectAssignment, type SettleResult } from '../../domain/client.aggregate';
import { SAGAS } from '../../domain/client.sagas';
import { ClientRepository } from '../../infrastructure/client.repository';
import { observeSagaEnd } from '../../infrastructure/saga-metrics';

/** The pool could not reserve every line: the saga ends with the pool's code (e.g. POOL.INSUFFICIENT_STOCK). */
@Injectable()
export class RejectAssignmentHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async execute(event: CloudEvent<ReservationRejectedV1>, logger: Logger): Promise<void> {
    const { partnerId, assignmentId, code, reason } = event.data;
    const clientId = event.data.clientId ?? (await this.clients.clientOfAssignment(partnerId, assignmentId));
    if (clientId === undefined) {
      logger.warn({ assignmentId, code }, 'the pool refused an assignment no client asked for');
      return;
    }
    const outcome = await this.clients.decideOnEvent<SettleResult>(event, clientKey(partnerId, clientId), this.clock, 'unknown', (client, ctx) =>
      rejectAssignment(client, assignmentId, { code, reason }, ctx, SAGAS),
    );
    if (!outcome.duplicate && outcome.result === 'rejected') observeSagaEnd(this.metrics, outcome.state, assignmentId);
    if (!outcome.duplicate) logger.info({ assignmentId, clientId, code, result: outcome.result }, 'the pool refused the licenses of an assignment');
  }
}
