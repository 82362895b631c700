import { InjectClock, Metrics, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, timeOutAssignments } from '../../domain/client.aggregate';
import { SAGAS } from '../../domain/client.sagas';
import { ClientRepository } from '../../infrastructure/client.repository';
import { observeSagaEnd } from '../../infrastructure/saga-metrics';

/**
 * The saga's deadline (DESIGN §5): an assignment the pool has not answered in time is rejected
 * with CONTRACTS.TIMEOUT, and the pool is told so it releases whatever it reserved meanwhile.
 */
@Injectable()
export class TimeOutAssignmentsHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** Times out the client's overdue assignments; returns how many. */
  async check(partnerId: string, clientId: string, logger: Logger): Promise<number> {
    const outcome = await this.clients.decide<string[]>(clientKey(partnerId, clientId), this.clock, {}, (client, ctx) =>
      client ? timeOutAssignments(client, ctx, SAGAS) : { result: [] },
    );
    for (const assignmentId of outcome.result) {
      observeSagaEnd(this.metrics, outcome.state, assignmentId);
      logger.warn({ partnerId, clientId, assignmentId }, 'assignment timed out: the pool did not answer in time');
    }
    return outcome.result.length;
  }

  /** The sweep behind the reminders: every client with an overdue assignment, whatever happened to its reminder. */
  async sweep(logger: Logger): Promise<number> {
    let timedOut = 0;
    for (const { partnerId, clientId } of await this.clients.withOverdueAssignments(this.clock()))
      timedOut += await this.check(partnerId, clientId, logger);
    return timedOut;
  }
}
