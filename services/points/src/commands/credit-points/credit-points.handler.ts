import { isRefusal } from '@licensing/domain';
import { digestOf } from '@licensing/persistence';
import { conflict, InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { PointsCodes } from '../../domain/points.rules';
import { creditPoints } from '../../domain/wallet.aggregate';
import { businessId, WalletRepository } from '../../infrastructure/wallet.repository';
import { walletView, type WalletView } from '../../points.views';
import { ledgerModel, type LedgerEntry } from '../../projections/ledger.repository';

export interface Credit {
  /** The Idempotency-Key: a credit is applied once per key, ever. */
  creditId: string;
  amount: number;
  reason: string;
}

/**
 * M1: points bought or granted enter an enrolled partner's wallet, once per Idempotency-Key,
 * ever (DESIGN §4, issue 9.12). The key is claimed in a durable record with the body's digest
 * before the wallet changes, so a replay long after the wallet's window of handled keys is
 * still a replay, and the same key with another body is refused (409) instead of replayed.
 */
@Injectable()
export class CreditPointsHandler {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectModel(ledgerModel.name) private readonly ledger: Model<LedgerEntry>,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** A replay answers the wallet as it is now. */
  async execute(partnerId: string, credit: Credit, correlationId: string): Promise<{ wallet: WalletView; replayed: boolean }> {
    const id = businessId.credit(partnerId, credit.creditId);
    const digest = digestOf({ amount: credit.amount, reason: credit.reason });
    const claim = await this.wallets.businessIds.claim(id, digest);
    if (!claim.claimed) {
      if (!claim.sameBody) {
        throw conflict(PointsCodes.idempotencyKeyReused, 'this Idempotency-Key was used for a credit with another amount or reason', {
          creditId: credit.creditId,
        });
      }
      // Past the wallet's window of handled keys, the ledger (which records every credit) tells.
      if (await this.inLedger(partnerId, credit.creditId)) return this.replay(partnerId);
    }
    // Claimed now, or claimed before and not in the ledger (yet): the wallet's own record of the key decides whether it credits.
    const outcome = await this.wallets.decide(
      partnerId,
      { now: this.clock(), correlationId },
      (w, ctx) => creditPoints(w, partnerId, credit, ctx),
      `credit:${credit.creditId}`,
    );
    if (!outcome.duplicate && isRefusal(outcome.result)) {
      if (claim.claimed) await this.wallets.businessIds.release(id, digest);
      orThrow(outcome.result);
    }
    return { wallet: walletView(partnerId, outcome.state, outcome.version), replayed: outcome.duplicate };
  }

  private async inLedger(partnerId: string, creditId: string): Promise<boolean> {
    return (await this.ledger.exists({ partnerId, kind: 'credit', reference: creditId }).exec()) !== null;
  }

  private async replay(partnerId: string): Promise<{ wallet: WalletView; replayed: boolean }> {
    const current = await this.wallets.load(partnerId);
    return { wallet: walletView(partnerId, current?.state ?? null, current?.version ?? 0), replayed: true };
  }
}
