import { createHash } from 'node:crypto';
import type { StockLine } from '@licensing/events';
import { mergeLines } from '../domain/stock-rules';

/** A digest of an order's merged lines, as pools and their history store it (24 hex digits of SHA-256). */
export const orderDigest = (lines: readonly StockLine[]): string =>
  createHash('sha256')
    .update(JSON.stringify(mergeLines(lines).map((l) => [l.sku, l.termMonths, l.quantity])))
    .digest('hex')
    .slice(0, 24);
