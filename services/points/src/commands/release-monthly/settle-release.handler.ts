import type { CloudEvent, StockExpiredV1 } from '@licensing/events';
import { InjectClock, type Clock, type Logger } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { releasesOf, settleRelease, type PoolReleaseAnswer } from '../../domain/release';
import { businessId, WalletRepository } from '../../infrastructure/wallet.repository';
import { releaseView } from '../../points.views';

const RELEASE_REFERENCE = 'release:';
/** The pool's code for too little stock: its answer to a release carries shortfalls, not a code. */
const INSUFFICIENT_STOCK = 'POOL.INSUFFICIENT_STOCK';

/** The pool's answer to a release (pool.stock-expired.v1 under `release:<releaseId>`): done, or refused and held again. */
@Injectable()
export class SettleReleaseHandler {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async settle(event: CloudEvent<StockExpiredV1>, logger: Logger): Promise<void> {
    const { partnerId, reference, lines } = event.data;
    // Lapses are the contracts' and the pool's business; only releases are answered here.
    if (!reference.startsWith(RELEASE_REFERENCE)) return;
    const releaseId = reference.slice(RELEASE_REFERENCE.length);
    const short = lines.filter((l) => l.shortfall > 0);
    const answer: PoolReleaseAnswer =
      short.length === 0
        ? { removed: true }
        : {
            removed: false,
            code: INSUFFICIENT_STOCK,
            reason: `fewer are available in the pool (the others are reserved or assigned): ${short.map((l) => `${l.sku} short by ${l.shortfall}`).join(', ')}`,
          };
    const outcome = await this.wallets.decide(
      partnerId,
      { now: this.clock(), causationId: event.id, correlationId: event.correlationid },
      (w, ctx) => settleRelease(w, releaseId, answer, ctx),
      event.id,
    );
    if (!outcome.duplicate && outcome.result !== 'settled')
      logger.warn({ releaseId, result: outcome.result }, 'the pool answered a release that is not pending; ignored');
    else if (!outcome.duplicate) logger.info({ releaseId, released: answer.removed }, 'release settled');
    // Kept beside the wallet, which forgets settled releases after a while; written again on a redelivery.
    const release = releasesOf(outcome.state).find((r) => r.releaseId === releaseId);
    if (release && release.status !== 'pending')
      await this.wallets.businessIds.remember(businessId.release(partnerId, releaseId), null, releaseView(partnerId, release));
  }
}
