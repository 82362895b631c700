import { CatalogCopy } from '@licensing/catalog-copy';
import type { AssignmentRequestedV1, CloudEvent } from '@licensing/events';
import { InjectClock, InjectConfig, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { reserve, type ReserveResult } from '../../domain/pool.aggregate';
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

  async execute(event: CloudEvent<AssignmentRequestedV1>): Promise<ReserveResult | 'duplicate'> {
    const { partnerId, assignmentId, clientId, lines } = event.data;
    const lookup = await skuLookup(
      this.catalog,
      lines.map((l) => l.sku),
    );
    const outcome = await this.pools.decide(
      partnerId,
      this.clock,
      causeOf(event),
      (pool, ctx) => reserve(pool, partnerId, { assignmentId, clientId, lines }, lookup, ctx, this.config.reservationTimeoutMs),
      event.id,
    );
    // Also on a redelivery: the first attempt may have saved and died before scheduling.
    const open = outcome.state?.reservations.find((r) => r.assignmentId === assignmentId);
    if (open) await this.deadlines.remind(partnerId, open);
    return resultOf(outcome);
  }
}
