import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, type AggregateDocument, type Outcome } from '@licensing/persistence';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { ChangeContext, Exchange, Wallet } from '../domain/wallet.aggregate';

const WALLETS = 'wallets';

/** One wallet per partner: the aggregate every points command changes (DESIGN.md §4). */
export const walletModel = { name: WALLETS, schema: aggregateSchema(WALLETS) };

/** What a command brings besides its input: 'now' from the platform clock, and tracing ids. */
export type CommandFacts = Omit<ChangeContext, 'version'>;

@Injectable()
export class WalletRepository extends AggregateRepository<Wallet> {
  constructor(@InjectModel(WALLETS) model: Model<AggregateDocument<Wallet>>, relay: OutboxRelay) {
    super(model, relay);
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
