import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { creditPoints } from '../../domain/wallet.aggregate';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import { walletView, type WalletView } from '../../points.views';

export interface Credit {
  /** The Idempotency-Key: a credit is applied once per key. */
  creditId: string;
  amount: number;
  reason: string;
}

/** M1: points bought or granted enter an enrolled partner's wallet, once per Idempotency-Key. */
@Injectable()
export class CreditPointsHandler {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** A replay answers the wallet as it is now. */
  async execute(partnerId: string, credit: Credit, correlationId: string): Promise<{ wallet: WalletView; replayed: boolean }> {
    const outcome = await this.wallets.decide(
      partnerId,
      { now: this.clock(), correlationId },
      (w, ctx) => creditPoints(w, partnerId, credit, ctx),
      `credit:${credit.creditId}`,
    );
    if (!outcome.duplicate) orThrow(outcome.result);
    return { wallet: walletView(partnerId, outcome.state, outcome.version), replayed: outcome.duplicate };
  }
}
