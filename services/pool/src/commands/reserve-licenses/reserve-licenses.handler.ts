import { CatalogCopy } from '@licensing/catalog-copy';
import type { AssignmentRequestedV1, CloudEvent } from '@licensing/events';
import { InjectClock, InjectConfig, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { outcomeOf, reserve, type ReserveResult } from '../../domain/pool.aggregate';
import { assignmentDigest, pastUse, poolKey } from '../../infrastructure/pool-keys';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';
import { ReservationDeadlines } from '../../infrastructure/reservation-deadlines';
import { skuLookup } from '../../infrastructure/sku-lookup';
import type { PoolConfig } from '../../pool.config';

/** P3, the assignment saga's first step: every line of the request is reserved, or none. */
@Injectable()
export class ReserveLicensesHandler {
  constructor(
    private readonly pools: PoolRepository,
    private readonly catalog: CatalogCopy,
    private readonly deadlines: ReservationDeadlines,
    @InjectConfig() private readonly config: PoolConfig,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** An assignmentId is used once, ever: the durable records answer for one the pool document has forgotten. */
  async execute(event: CloudEvent<AssignmentRequestedV1>): Promise<ReserveResult | 'duplicate'> {
    const { partnerId, assignmentId, clientId, lines } = event.data;
    const lookup = await skuLookup(
      this.catalog,
      lines.map((l) => l.sku),
    );
    const key = poolKey.assignment(partnerId, assignmentId);
    const digest = assignmentDigest(clientId, lines);
    const past = pastUse(await this.pools.keys.check(key, digest));
    const outcome = await this.pools.decide(
      partnerId,
      this.clock,
      causeOf(event),
      (pool, ctx) => reserve(pool, partnerId, { assignmentId, clientId, lines }, lookup, ctx, this.config.reservationTimeoutMs, past),
      event.id,
    );
    const result = resultOf(outcome);
    // Also for a duplicate: the first attempt may have saved and died before recording.
    if (result === 'duplicate' || result.outcome !== 'conflict') await this.pools.keys.remember(key, digest, outcomeOf(outcome.state, assignmentId));
    // Also on a redelivery: the first attempt may have saved and died before scheduling.
    const open = outcome.state?.reservations.find((r) => r.assignmentId === assignmentId);
    if (open) await this.deadlines.remind(partnerId, open);
    return result;
  }
}
