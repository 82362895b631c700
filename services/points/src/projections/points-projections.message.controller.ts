import {
  PointsEvents,
  type CloudEvent,
  type ExchangeCompletedV1,
  type ExchangeDebitedV1,
  type ExchangeRefundedV1,
  type MonthlyRenewedV1,
  type PointsCreditedV1,
} from '@licensing/events';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ExchangeHistoryRepository } from './exchange-history.repository';
import { LedgerRepository, type LedgerEntry } from './ledger.repository';

/** The projections read points.events in a group of their own (`points-projections`), so they lag or rebuild on their own. */
const PROJECTIONS = { group: 'projections' };

const entryOf = (event: CloudEvent, entry: Omit<LedgerEntry, '_id' | 'partnerId' | 'correlationId'>): LedgerEntry => ({
  _id: event.id,
  partnerId: event.partnerid ?? event.subject,
  correlationId: event.correlationid,
  ...entry,
});

/** The points ledger and the exchange history, built from the service's own events, keyed by event id. */
@Controller()
export class PointsProjectionsMessageController {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly exchanges: ExchangeHistoryRepository,
  ) {}

  @EventPattern(PointsEvents.pointsCredited, PROJECTIONS)
  async pointsCredited(@Payload() event: CloudEvent<PointsCreditedV1>): Promise<void> {
    const { data } = event;
    await this.ledger.record(
      entryOf(event, {
        kind: 'credit',
        amount: data.amount,
        balanceAfter: data.balanceAfter,
        reason: data.reason,
        reference: data.creditId,
        walletVersion: data.walletVersion,
        at: data.creditedAt,
      }),
    );
  }

  @EventPattern(PointsEvents.exchangeDebited, PROJECTIONS)
  async exchangeDebited(@Payload() event: CloudEvent<ExchangeDebitedV1>): Promise<void> {
    const { data } = event;
    // Written by this service with both fields; an event without them cannot be placed in the ledger.
    if (data.balanceAfter === undefined || data.walletVersion === undefined) {
      throw new Error(`exchange-debited ${event.id} has no balanceAfter/walletVersion`);
    }
    await this.ledger.record(
      entryOf(event, {
        kind: 'exchange-debit',
        amount: -data.totalPoints,
        balanceAfter: data.balanceAfter,
        reason: 'MSSP Command exchange',
        reference: data.exchangeId,
        walletVersion: data.walletVersion,
        at: data.debitedAt,
      }),
    );
    await this.exchanges.advance(data.exchangeId, 0, {
      partnerId: data.partnerId,
      status: 'pending',
      lines: data.lines,
      totalPoints: data.totalPoints,
      correlationId: event.correlationid,
      requestedAt: data.debitedAt,
      settledAt: null,
      refund: null,
    });
  }

  @EventPattern(PointsEvents.exchangeCompleted, PROJECTIONS)
  async exchangeCompleted(@Payload() event: CloudEvent<ExchangeCompletedV1>): Promise<void> {
    await this.exchanges.advance(event.data.exchangeId, 1, { status: 'completed', settledAt: event.data.completedAt });
  }

  @EventPattern(PointsEvents.exchangeRefunded, PROJECTIONS)
  async exchangeRefunded(@Payload() event: CloudEvent<ExchangeRefundedV1>): Promise<void> {
    const { data } = event;
    await this.ledger.record(
      entryOf(event, {
        kind: 'exchange-refund',
        amount: data.amount,
        balanceAfter: data.balanceAfter,
        reason: `refund: ${data.code}`,
        reference: data.exchangeId,
        walletVersion: data.walletVersion,
        at: data.refundedAt,
      }),
    );
    await this.exchanges.advance(data.exchangeId, 1, {
      status: 'refunded',
      settledAt: data.refundedAt,
      refund: { code: data.code, reason: data.reason },
    });
  }

  @EventPattern(PointsEvents.monthlyRenewed, PROJECTIONS)
  async monthlyRenewed(@Payload() event: CloudEvent<MonthlyRenewedV1>): Promise<void> {
    const { data } = event;
    await this.ledger.record(
      entryOf(event, {
        kind: 'monthly-renewal',
        amount: data.amount,
        balanceAfter: data.balanceAfter,
        reason: `monthly licenses renewed for ${data.month}`,
        reference: data.renewalId,
        walletVersion: data.walletVersion,
        at: data.renewedAt,
      }),
    );
  }
}
