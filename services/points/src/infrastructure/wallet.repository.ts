import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, OnceRecords, type AggregateDocument, type Outcome } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { ChangeContext, Exchange, Wallet } from '../domain/wallet.aggregate';
import type { ReleaseView } from '../points.views';

const WALLETS = 'wallets';

/** One wallet per partner: the aggregate every points command changes (DESIGN.md §4). */
export const walletModel = { name: WALLETS, schema: aggregateSchema(WALLETS) };

/** The collection of every business id a wallet was asked for (DESIGN §4: once, ever), beside its window of handled keys. */
export const BUSINESS_IDS = 'business_ids';

/**
 * A business id, scoped to its partner's wallet: a credit's Idempotency-Key, a release. The
 * wallet's window holds bare keys, so a request claims its id first (OnceRecords.claim).
 */
export const businessId = {
  credit: (partnerId: string, creditId: string) => `credit:${partnerId}/${creditId}`,
  release: (partnerId: string, releaseId: string) => `release:${partnerId}/${releaseId}`,
};

/** What a command brings besides its input: 'now' from the platform clock, and tracing ids. */
export type CommandFacts = Omit<ChangeContext, 'version'>;

@Injectable()
export class WalletRepository extends AggregateRepository<Wallet> {
  /** Every credit key and release a wallet was asked for, past the window its document keeps; a settled release's view as its outcome. */
  readonly businessIds: OnceRecords<ReleaseView>;

  constructor(@InjectModel(WALLETS) model: Model<AggregateDocument<Wallet>>, relay: OutboxRelay) {
    super(model, relay);
    this.businessIds = new OnceRecords<ReleaseView>(model.db, BUSINESS_IDS);
  }

  /**
   * Runs a domain decision on one wallet and saves it with its events (or nothing, for a refusal
   * or a no-op). The decision learns the version it writes: events carry it to order the ledger.
   */
  decide<R>(
    partnerId: string,
    facts: CommandFacts,
    decision: (wallet: Wallet | null, ctx: ChangeContext) => Decision<Wallet, R> | Refusal,
    dedupeKey?: string,
  ): Promise<Outcome<Wallet, R | Refusal>> {
    return this.execute<R | Refusal>(
      partnerId,
      (state, version) => {
        const decided = decision(state, { ...facts, version: version + 1 });
        return isRefusal(decided) ? { result: decided } : decided;
      },
      dedupeKey,
    );
  }

  /** Pending exchanges last asked of the pool at `cutoff` or before, by wallet: due to be asked again. */
  async overdueExchanges(cutoff: string): Promise<{ partnerId: string; exchangeIds: string[] }[]> {
    const overdue = (e: Exchange) => e.status === 'pending' && (e.askedAt ?? e.requestedAt) <= cutoff;
    const docs = (await this.model.find({ 'state.exchanges.status': 'pending' }).select({ 'state.exchanges': 1 }).lean().exec()) as {
      _id: string;
      state: Pick<Wallet, 'exchanges'>;
    }[];
    return docs
      .map((d) => ({ partnerId: d._id, exchangeIds: d.state.exchanges.filter(overdue).map((e) => e.exchangeId) }))
      .filter((d) => d.exchangeIds.length > 0);
  }

  /** Wallets holding monthly licenses not yet paid for `month` (M4). */
  dueForRenewal(month: string): Promise<string[]> {
    return this.ids({ 'state.holdings': { $elemMatch: { paidThrough: { $lt: month } } } });
  }
}
