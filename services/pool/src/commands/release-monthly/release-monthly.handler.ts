import type { CloudEvent, MonthlyReleasedV1 } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { releaseAvailable } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

/** M4: monthly licenses a partner released with points leave the available stock, all or none. */
@Injectable()
export class ReleaseMonthlyHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent<MonthlyReleasedV1>) {
    const { partnerId, releaseId, month, lines } = event.data;
    const release = { releaseId, month, lines };
    return resultOf(
      await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => releaseAvailable(pool, partnerId, release, ctx), event.id),
    );
  }
}
