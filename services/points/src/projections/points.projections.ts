import {
  PointsEvents,
  type CloudEvent,
  type ExchangeCompletedV1,
  type ExchangeDebitedV1,
  type ExchangeRefundedV1,
  type MonthlyRenewedV1,
  type PointsCreditedV1,
  type PointsLine,
} from '@licensing/events';
import type { EventHandler } from '@licensing/messaging';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { ExchangeStatus } from '../domain/wallet.aggregate';

export type LedgerKind = 'credit' | 'exchange-debit' | 'exchange-refund' | 'monthly-renewal';

/** One movement of points. `_id` is the event id, so a replayed event never doubles an entry. */
export interface LedgerEntry {
  _id: string;
  partnerId: string;
  kind: LedgerKind;
  /** Signed: credits and refunds positive, debits negative. The sum over a wallet is its balance (M2). */
  amount: number;
  balanceAfter: number;
  reason: string;
  /** The credit id, exchange id or renewal id the movement belongs to. */
  reference: string;
  walletVersion: number;
  at: string;
  correlationId: string;
}

/** An exchange as read by GET after the wallet document has let it go (the wallet keeps the recent ones). */
export interface ExchangeRecord {
  _id: string;
  partnerId: string;
  status: ExchangeStatus;
  /** pending 0, final 1: an update never moves an exchange back. */
  rank: number;
  lines: PointsLine[];
  totalPoints: number;
  correlationId: string;
  requestedAt: string;
  settledAt: string | null;
  refund: { code: string; reason: string } | null;
}

const DUPLICATE_KEY = 11000;

const ignoreDuplicate = (error: unknown): void => {
  if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
};

/**
 * The points ledger and the exchange history, projections of the points service's own events
 * on points.events (DESIGN.md §4: keyed by event id, so replays never double).
 */
export class PointsProjections {
  readonly ledger: Collection<LedgerEntry>;
  readonly exchanges: Collection<ExchangeRecord>;

  constructor(db: Db) {
    this.ledger = db.collection<LedgerEntry>('ledger');
    this.exchanges = db.collection<ExchangeRecord>('exchanges');
  }

  async ensureIndexes(): Promise<void> {
    await this.ledger.createIndex({ partnerId: 1, walletVersion: -1 });
    await this.exchanges.createIndex({ partnerId: 1, requestedAt: -1 });
  }

  handlers(): Record<string, EventHandler> {
    return {
      [PointsEvents.pointsCredited]: async (event) => {
        const { data } = event as CloudEvent<PointsCreditedV1>;
        await this.record(event, {
          kind: 'credit',
          amount: data.amount,
          balanceAfter: data.balanceAfter,
          reason: data.reason,
          reference: data.creditId,
          walletVersion: data.walletVersion,
          at: data.creditedAt,
        });
      },
      [PointsEvents.exchangeDebited]: async (event) => {
        const { data } = event as CloudEvent<ExchangeDebitedV1>;
        // Written by this service with both fields; an event without them cannot be placed in the ledger.
        if (data.balanceAfter === undefined || data.walletVersion === undefined)
          throw new Error(`exchange-debited ${event.id} has no balanceAfter/walletVersion`);
        await this.record(event, {
          kind: 'exchange-debit',
          amount: -data.totalPoints,
          balanceAfter: data.balanceAfter,
          reason: 'MSSP Command exchange',
          reference: data.exchangeId,
          walletVersion: data.walletVersion,
          at: data.debitedAt,
        });
        await this.exchange(data.exchangeId, 0, {
          partnerId: data.partnerId,
          status: 'pending',
          lines: data.lines,
          totalPoints: data.totalPoints,
          correlationId: event.correlationid,
          requestedAt: data.debitedAt,
          settledAt: null,
          refund: null,
        });
      },
      [PointsEvents.exchangeCompleted]: async (event) => {
        const { data } = event as CloudEvent<ExchangeCompletedV1>;
        await this.exchange(data.exchangeId, 1, { status: 'completed', settledAt: data.completedAt });
      },
      [PointsEvents.exchangeRefunded]: async (event) => {
        const { data } = event as CloudEvent<ExchangeRefundedV1>;
        await this.record(event, {
          kind: 'exchange-refund',
          amount: data.amount,
          balanceAfter: data.balanceAfter,
          reason: `refund: ${data.code}`,
          reference: data.exchangeId,
          walletVersion: data.walletVersion,
          at: data.refundedAt,
        });
        await this.exchange(data.exchangeId, 1, { status: 'refunded', settledAt: data.refundedAt, refund: { code: data.code, reason: data.reason } });
      },
      [PointsEvents.monthlyRenewed]: async (event) => {
        const { data } = event as CloudEvent<MonthlyRenewedV1>;
        await this.record(event, {
          kind: 'monthly-renewal',
          amount: data.amount,
          balanceAfter: data.balanceAfter,
          reason: `monthly licenses renewed for ${data.month}`,
          reference: data.renewalId,
          walletVersion: data.walletVersion,
          at: data.renewedAt,
        });
      },
    };
  }

  private async record(event: CloudEvent, entry: Omit<LedgerEntry, '_id' | 'partnerId' | 'correlationId'>): Promise<void> {
    await this.ledger
      .insertOne({ _id: event.id, partnerId: event.partnerid ?? event.subject, correlationId: event.correlationid, ...entry })
      .catch(ignoreDuplicate);
  }

  /** Moves an exchange forward only (pending → final); a replay or a late pending finds the filter unmatched. */
  private async exchange(exchangeId: string, rank: number, fields: Partial<Omit<ExchangeRecord, '_id' | 'rank'>>): Promise<void> {
    await this.exchanges.updateOne({ _id: exchangeId, rank: { $lt: rank } }, { $set: { ...fields, rank } }, { upsert: true }).catch(ignoreDuplicate);
  }

  async ledgerPage(partnerId: string, limit: number, before?: number): Promise<{ items: LedgerEntry[]; nextCursor: string | null }> {
    const filter = before === undefined ? { partnerId } : { partnerId, walletVersion: { $lt: before } };
    const items = await this.ledger
      .find(filter)
      .sort({ walletVersion: -1 })
      .limit(limit + 1)
      .toArray();
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > limit && last ? String(last.walletVersion) : null };
  }

  findExchange(partnerId: string, exchangeId: string): Promise<ExchangeRecord | null> {
    return this.exchanges.findOne({ _id: exchangeId, partnerId });
  }
}
