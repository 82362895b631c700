import type { CloudEvent, CommitRejectedV1 } from '@licensing/events';
import { InjectClock, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { cancelUnbackedContracts, clientKey } from '../../domain/client.aggregate';
import { ClientRepository } from '../../infrastructure/client.repository';

/**
 * DESIGN §5: an activation the pool could not back (its reservation was released and the stock
 * is gone) cancels the contracts it names, with no recovery; a contract-ended (cancelled, with
 * the pool's code as its cause and nothing to unassign) says so.
 */
@Injectable()
export class CancelUnbackedContractsHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent<CommitRejectedV1>, logger: Logger): Promise<void> {
    const { partnerId, assignmentId, contractIds, code, reason } = event.data;
    const clientId = await this.clients.clientOfAssignment(partnerId, assignmentId);
    if (clientId === undefined) {
      logger.error({ assignmentId, contractIds, code }, 'the pool could not back contracts of an assignment no client holds');
      return;
    }
    const outcome = await this.clients.decideOnEvent<string[]>(event, clientKey(partnerId, clientId), this.clock, [], (client, ctx) =>
      cancelUnbackedContracts(client, assignmentId, contractIds, { code, reason }, ctx),
    );
    if (!outcome.duplicate && outcome.result.length > 0) {
      logger.warn(
        { assignmentId, clientId, cancelled: outcome.result, code, reason },
        'contracts cancelled: the pool could not back their activation',
      );
    }
  }
}
