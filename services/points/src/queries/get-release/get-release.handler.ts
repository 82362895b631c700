import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { PointsCodes } from '../../domain/points.rules';
import { releasesOf } from '../../domain/release';
import { BusinessIdsRepository } from '../../infrastructure/business-ids.repository';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import { releaseView, type ReleaseView } from '../../points.views';

/** The business id record of a release: claimed with its request, holding its outcome once settled. */
export const releaseRecordId = (partnerId: string, releaseId: string): string => `release:${partnerId}/${releaseId}`;

@Injectable()
export class GetReleaseHandler {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly businessIds: BusinessIdsRepository,
  ) {}

  /** The wallet holds pending and recent releases (fresh); an older one is answered from its record. */
  async find(partnerId: string, releaseId: string): Promise<ReleaseView | null> {
    const wallet = await this.wallets.load(partnerId);
    const recent = releasesOf(wallet?.state ?? null).find((r) => r.releaseId === releaseId);
    if (recent) return releaseView(partnerId, recent);
    const record = await this.businessIds.find(releaseRecordId(partnerId, releaseId));
    return (record?.outcome as ReleaseView | undefined) ?? null;
  }

  async execute(partnerId: string, releaseId: string): Promise<ReleaseView> {
    const release = await this.find(partnerId, releaseId);
    if (!release) throw notFound(PointsCodes.releaseNotFound, `partner ${partnerId} has no release ${releaseId}`);
    return release;
  }
}
