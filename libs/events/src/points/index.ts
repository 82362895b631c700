import enrolmentChangedV1 from './enrolment-changed.v1.schema.json';
import exchangeCompletedV1 from './exchange-completed.v1.schema.json';
import exchangeDebitedV1 from './exchange-debited.v1.schema.json';
import exchangeRefundedV1 from './exchange-refunded.v1.schema.json';
import monthlyLapsedV1 from './monthly-lapsed.v1.schema.json';
import monthlyReleasedV1 from './monthly-released.v1.schema.json';
import monthlyRenewedV1 from './monthly-renewed.v1.schema.json';
import pointsCreditedV1 from './points-credited.v1.schema.json';

export const PointsEvents = {
  enrolmentChanged: 'points.enrolment-changed.v1',
  pointsCredited: 'points.points-credited.v1',
  exchangeDebited: 'points.exchange-debited.v1',
  exchangeCompleted: 'points.exchange-completed.v1',
  exchangeRefunded: 'points.exchange-refunded.v1',
  monthlyRenewed: 'points.monthly-renewed.v1',
  monthlyLapsed: 'points.monthly-lapsed.v1',
  monthlyReleased: 'points.monthly-released.v1',
} as const;

/** A line of an exchange or a renewal: monthly licenses (term 1) of one sku at its points price. */
export interface PointsLine {
  sku: string;
  termMonths: 1;
  quantity: number;
  pointsPerLicense: number;
}

export interface EnrolmentChangedV1 {
  partnerId: string;
  enrolled: boolean;
  balance: number;
  walletVersion: number;
  changedAt: string;
}

export interface PointsCreditedV1 {
  partnerId: string;
  creditId: string;
  amount: number;
  reason: string;
  balanceAfter: number;
  walletVersion: number;
  creditedAt: string;
}

export interface ExchangeDebitedV1 {
  exchangeId: string;
  partnerId: string;
  lines: PointsLine[];
  totalPoints: number;
  debitedAt: string;
  balanceAfter?: number;
  walletVersion?: number;
}

export interface ExchangeCompletedV1 {
  exchangeId: string;
  partnerId: string;
  lines: PointsLine[];
  totalPoints: number;
  paidThrough?: string;
  walletVersion: number;
  completedAt: string;
}

export interface ExchangeRefundedV1 {
  exchangeId: string;
  partnerId: string;
  amount: number;
  code: string;
  reason: string;
  lines?: PointsLine[];
  balanceAfter: number;
  walletVersion: number;
  refundedAt: string;
}

export interface MonthlyRenewedV1 {
  partnerId: string;
  month: string;
  renewalId: string;
  lines: PointsLine[];
  amount: number;
  balanceAfter: number;
  walletVersion: number;
  renewedAt: string;
}

export type LapseReason = 'insufficient-balance' | 'not-enrolled' | 'no-points-price';

export interface MonthlyLapsedV1 {
  partnerId: string;
  month: string;
  lines: { sku: string; quantity: number; termMonths?: 1; reason?: LapseReason }[];
  lapsedAt: string;
  renewalId?: string;
}

export interface MonthlyReleasedV1 {
  partnerId: string;
  releaseId: string;
  month: string;
  lines: { sku: string; termMonths: 1; quantity: number }[];
  releasedAt: string;
  walletVersion: number;
}

export const pointsSchemas = [
  enrolmentChangedV1,
  pointsCreditedV1,
  exchangeDebitedV1,
  exchangeCompletedV1,
  exchangeRefundedV1,
  monthlyRenewedV1,
  monthlyLapsedV1,
  monthlyReleasedV1,
];
