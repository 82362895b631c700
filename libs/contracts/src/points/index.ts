import exchangeDebitedV1 from './exchange-debited.v1.schema.json';

export const PointsEvents = {
  exchangeDebited: 'points.exchange-debited.v1',
} as const;

export interface ExchangeDebitedV1 {
  exchangeId: string;
  partnerId: string;
  lines: { sku: string; termMonths: 1; quantity: number; pointsPerLicense: number }[];
  totalPoints: number;
  debitedAt: string;
}

export const pointsSchemas = [exchangeDebitedV1];
