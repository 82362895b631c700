import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { changeEnrolment } from '../../domain/wallet.aggregate';
import { WalletRepository } from '../../infrastructure/wallet.repository';
import { walletView, type WalletView } from '../../points.views';

/** M1: a partner joins or leaves the MSSP Points programme; setting the current value again changes nothing. */
@Injectable()
export class EnrolHandler {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(partnerId: string, enrolled: boolean, correlationId: string): Promise<WalletView> {
    const outcome = await this.wallets.decide(partnerId, { now: this.clock(), correlationId }, (w, ctx) =>
      changeEnrolment(w, partnerId, enrolled, ctx),
    );
    return walletView(partnerId, outcome.state, outcome.version);
  }
}
