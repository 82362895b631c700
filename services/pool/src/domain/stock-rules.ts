import type { PoolTerm, StockLine } from '@licensing/events';
import { PoolCodes, type PoolCode } from './pool.errors';

/** What the pool knows of a sku, from its copy of the catalog. */
export interface SkuFacts {
  status: 'active' | 'retired';
  terms: number[];
  trialEdition: boolean;
}

export type SkuLookup = (sku: string) => SkuFacts | undefined;

/** Why stock moves: each way in or out has its own rules for which lines it takes. */
export type StockPurpose = 'purchase' | 'reservation' | 'points' | 'recovery';

export const MONTHLY_TERM = 1;

export interface LineRefusal {
  code: PoolCode;
  reason: string;
}

/**
 * Whether a line of licenses may move for this purpose (P1, P2, C5, C10). Trial editions take
 * nothing from the pool. Purchases are annual stock; monthly licenses enter by points exchange.
 * A recovery keeps the licenses' original term and is accepted for a retired product or a term
 * the catalog no longer sells: those licenses were paid for, and refusing them would destroy them.
 */
export function lineRefusal(
  line: Pick<StockLine, 'sku' | 'termMonths'>,
  facts: SkuFacts | undefined,
  purpose: StockPurpose,
): LineRefusal | undefined {
  if (!facts) return { code: PoolCodes.unknownSku, reason: `the catalog has no sku ${line.sku}` };
  if (facts.trialEdition) return { code: PoolCodes.trialNotPooled, reason: `${line.sku} is a trial edition: trials take nothing from the pool` };
  if (purpose === 'recovery') return undefined;
  if (facts.status === 'retired') return { code: PoolCodes.skuRetired, reason: `${line.sku} is retired` };
  if (purpose === 'purchase' && line.termMonths === MONTHLY_TERM) {
    return { code: PoolCodes.termNotAllowed, reason: 'monthly licenses (term 1) enter the pool by points exchange, not by purchase' };
  }
  if (purpose === 'points' && line.termMonths !== MONTHLY_TERM) {
    return { code: PoolCodes.termNotAllowed, reason: 'a points exchange credits monthly licenses (term 1) only' };
  }
  if (!facts.terms.includes(line.termMonths)) {
    return {
      code: PoolCodes.termNotAllowed,
      reason: `${line.sku} is not sold for ${line.termMonths} months (terms: ${facts.terms.join(', ') || 'none'})`,
    };
  }
  return undefined;
}

/** The most licenses of one sku and term an order may add, after its lines are merged. */
export const MAX_LINE_QUANTITY = 1_000_000;

/** Lines of the same sku and term are one line; the order is canonical (sku, then term). */
export function mergeLines(lines: readonly StockLine[]): StockLine[] {
  const merged = new Map<string, StockLine>();
  for (const line of lines) {
    const key = `${line.sku}\u0000${line.termMonths}`;
    const existing = merged.get(key);
    merged.set(key, { sku: line.sku, termMonths: line.termMonths as PoolTerm, quantity: (existing?.quantity ?? 0) + line.quantity });
  }
  return [...merged.values()].sort(byLine);
}

export const byLine = (a: { sku: string; termMonths: number }, b: { sku: string; termMonths: number }): number =>
  a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.termMonths - b.termMonths;
