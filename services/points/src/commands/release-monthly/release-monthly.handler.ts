import { createHash } from 'node:crypto';
import { isRefusal } from '@licensing/domain';
import { digestOf } from '@licensing/persistence';
import { conflict, InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { PointsCodes } from '../../domain/points.rules';
import { releaseMonthly } from '../../domain/release';
import { businessId, WalletRepository } from '../../infrastructure/wallet.repository';
import { releaseView, type ReleaseView } from '../../points.views';
import { GetReleaseHandler } from '../../queries/get-release/get-release.handler';

/** The same Idempotency-Key from the same partner always names the same release. */
const releaseIdFor = (partnerId: string, idempotencyKey: string): string => {
  const hex = createHash('sha256').update(`release\n${partnerId}\n${idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/**
 * M4: a partner releases monthly licenses it no longer needs, once per Idempotency-Key, ever: the
 * key is claimed in a durable record with the body's digest (the same key with another body is
 * refused 409), then the wallet stops renewing them and asks the pool to take them out.
 */
@Injectable()
export class ReleaseMonthlyHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly releases: GetReleaseHandler,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(
    partnerId: string,
    line: { sku: string; quantity: number },
    idempotencyKey: string,
    correlationId: string,
  ): Promise<{ release: ReleaseView; replayed: boolean }> {
    const releaseId = releaseIdFor(partnerId, idempotencyKey);
    const recordId = businessId.release(partnerId, releaseId);
    const digest = digestOf({ sku: line.sku, quantity: line.quantity });
    const claim = await this.wallets.businessIds.claim(recordId, digest);
    if (!claim.claimed) {
      if (!claim.sameBody) {
        throw conflict(PointsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for another release', { releaseId });
      }
      const existing = await this.releases.find(partnerId, releaseId);
      if (existing) return { release: existing, replayed: true };
    }
    // Claimed now, or claimed before and not found (in flight, or cut short): the wallet's own record of the key decides whether it releases.
    const outcome = await this.wallets.decide(
      partnerId,
      { now: this.clock(), correlationId },
      (w, ctx) => releaseMonthly(w, partnerId, { releaseId, idempotencyKey, ...line }, { ...ctx, correlationId }),
      `release:${idempotencyKey}`,
    );
    if (outcome.duplicate) {
      const existing = await this.releases.find(partnerId, releaseId);
      if (!existing) throw new Error(`release ${releaseId} recorded but not found`);
      return { release: existing, replayed: true };
    }
    if (isRefusal(outcome.result) && claim.claimed) await this.wallets.businessIds.release(recordId, digest);
    return { release: releaseView(partnerId, orThrow(outcome.result)), replayed: false };
  }
}
