import type { CloudEvent, ReservationRejectedV1 } from '@licensing/events';
import { InjectClock, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, rejectAssignment, type SettleResult } from '../../domain/client.aggregate';
import { SAGAS } from '../../domain/client.sagas';
import { ClientRepository } from '../../infrastructure/client.repository';

/** The pool could not reserve every line: the saga ends with the pool's code (e.g. POOL.INSUFFICIENT_STOCK). */
@Injectable()
export class RejectAssignmentHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
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
    if (!outcome.duplicate) logger.info({ assignmentId, clientId, code, result: outcome.result }, 'the pool refused the licenses of an assignment');
  }
}
