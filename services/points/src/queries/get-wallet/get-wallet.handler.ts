import { Injectable } from '@nestjs/common';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import { walletView, type WalletView } from '../../points.views';

@Injectable()
export class GetWalletHandler {
  constructor(private readonly wallets: WalletRepository) {}

  async execute(partnerId: string): Promise<WalletView> {
    const doc = await this.wallets.load(partnerId);
    return walletView(partnerId, doc?.state ?? null, doc?.version ?? 0);
  }
}
