import type { CloudEvent, LicensesReservedV1 } from '@licensing/events';
import { InjectClock, Metrics, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { activateAssignment, clientKey, type ActivationResult } from '../../domain/client.aggregate';
import { SAGAS } from '../../domain/client.sagas';
import { ClientRepository } from '../../infrastructure/client.repository';
import { observeSagaEnd } from '../../infrastructure/saga-metrics';

/**
 * C2, the saga's second step: the pool reserved every line, so the contracts start, unless the
 * saga has ended meanwhile (then the pool is told again, so it releases).
 */
@Injectable()
export class ActivateAssignmentHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  async execute(event: CloudEvent<LicensesReservedV1>, logger: Logger): Promise<void> {
    const { partnerId, assignmentId } = event.data;
    const clientId = event.data.clientId ?? (await this.clients.clientOfAssignment(partnerId, assignmentId));
    if (clientId === undefined) {
      // No client document to answer from: the pool releases the reservation at its own deadline.
      logger.error({ assignmentId }, 'the pool reserved licenses for an assignment no client asked for');
      return;
    }
    const outcome = await this.clients.decideOnEvent<ActivationResult | { outcome: 'no-client' }>(
      event,
      clientKey(partnerId, clientId),
      this.clock,
      { outcome: 'no-client' },
      (client, ctx) => activateAssignment(client, assignmentId, ctx, SAGAS),
    );
    if (outcome.duplicate) return;
    const { result } = outcome;
    if (result.outcome === 'activated' || result.outcome === 'rejected') observeSagaEnd(this.metrics, outcome.state, assignmentId);
    if (result.outcome === 'no-client')
      logger.error({ assignmentId, clientId }, 'the pool reserved licenses for a client this service does not know');
    else logger.info({ assignmentId, clientId, outcome: result.outcome }, 'the pool reserved the licenses of an assignment');
  }
}
