import creditRejectedV1 from './credit-rejected.v1.schema.json';
import stockCreditedV1 from './stock-credited.v1.schema.json';

export const PoolEvents = {
  stockCredited: 'pool.stock-credited.v1',
  creditRejected: 'pool.credit-rejected.v1',
} as const;

export interface StockLine {
  sku: string;
  termMonths: 1 | 12 | 24 | 36;
  quantity: number;
}

export interface StockCreditedV1 {
  partnerId: string;
  creditId: string;
  source: 'purchase' | 'points' | 'recovery';
  lines: StockLine[];
  creditedAt: string;
}

export interface CreditRejectedV1 {
  partnerId: string;
  creditId: string;
  source: 'points' | 'recovery';
  code: string;
  reason: string;
  lines?: { sku: string; termMonths: number; quantity: number; code?: string }[];
  rejectedAt: string;
}

export const poolSchemas = [stockCreditedV1, creditRejectedV1];
