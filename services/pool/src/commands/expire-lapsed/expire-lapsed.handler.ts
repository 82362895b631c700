import type { CloudEvent, MonthlyLapsedV1 } from '@licensing/events';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { expire, type ExpireResult } from '../../domain/pool.aggregate';
import { causeOf, PoolRepository, resultOf } from '../../infrastructure/pool.repository';

/** M4: monthly licenses the points service could not renew leave the pool when their month begins. */
@Injectable()
export class ExpireLapsedHandler {
  constructor(
    private readonly pools: PoolRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(event: CloudEvent<MonthlyLapsedV1>): Promise<ExpireResult | 'duplicate'> {
    const { partnerId, month, lines, renewalId } = event.data;
    const lapse = { month, reference: renewalId ?? `lapse:${month}`, lines };
    const outcome = await this.pools.decide(partnerId, this.clock, causeOf(event), (pool, ctx) => expire(pool, lapse, ctx), event.id);
    const result = resultOf(outcome);
    if (result !== 'duplicate' && result.outcome === 'expired') await this.pools.rememberEnded(partnerId, outcome.state, result.released ?? []);
    return result;
  }
}
