import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { PointsCodes } from '../../domain/points.rules';
import { releasesOf } from '../../domain/release';
import { businessId, WalletRepository } from '../../infrastructure/wallet.repository';
import { releaseView, type ReleaseView } from '../../points.views';

@Injectable()
export class GetReleaseHandler {
  constructor(private readonly wallets: WalletRepository) {}

  /** The wallet holds pending and recent releases (fresh); an older one is answered from its record. */
  async find(partnerId: string, releaseId: string): Promise<ReleaseView | null> {
    const wallet = await this.wallets.load(partnerId);
    const recent = releasesOf(wallet?.state ?? null).find((r) => r.releaseId === releaseId);
    if (recent) return releaseView(partnerId, recent);
    // The business id record of a release: claimed with its request, holding its view once settled.
    const record = await this.wallets.businessIds.find(businessId.release(partnerId, releaseId));
    return record?.outcome ?? null;
  }

  async execute(partnerId: string, releaseId: string): Promise<ReleaseView> {
    const release = await this.find(partnerId, releaseId);
    if (!release) throw notFound(PointsCodes.releaseNotFound, `partner ${partnerId} has no release ${releaseId}`);
    return release;
  }
}
