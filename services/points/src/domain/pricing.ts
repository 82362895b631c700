import type { PointsLine } from '@licensing/events';
import { refuse, type Refusal } from '@licensing/domain';
import { MONTHLY_TERM, PointsCodes } from './points.rules';

/** What pricing needs to know of a sku, from the catalog copy. */
export interface PricedSku {
  terms: number[];
  trialEdition: boolean;
  status: 'active' | 'retired';
  pointsPricePerMonth: number | null;
}

export interface RequestedLine {
  sku: string;
  quantity: number;
}

export interface Quote {
  lines: PointsLine[];
  totalPoints: number;
  /** Advisories on an accepted exchange; none today (a retired sku, the only one there was, is refused since issue 9.13). */
  warnings: { sku: string; code: string; message: string }[];
}

/** The points price of one monthly license of a sku, or null when it cannot be bought with points. */
export function monthlyPrice(sku: PricedSku | undefined): number | null {
  if (!sku || sku.trialEdition || !sku.terms.includes(MONTHLY_TERM)) return null;
  return sku.pointsPricePerMonth;
}

/**
 * M3: an exchange is priced at the catalog's points price per license-month. Unknown skus, skus
 * without a points price and (M4: a retired product cannot be bought anew) retired skus are
 * refused up front, as the pool would refuse them: debiting points only to refund them later
 * helps nobody (issue 9.13). Licenses already held of a retired sku keep renewing (renewal.ts).
 */
export function priceExchange(requested: RequestedLine[], catalog: (sku: string) => PricedSku | undefined): Quote | Refusal {
  if (requested.length === 0) return refuse('invalid', PointsCodes.invalidQuantity, 'an exchange needs at least one line');
  const seen = new Set<string>();
  const duplicates = requested.filter((l) => (seen.has(l.sku) ? true : (seen.add(l.sku), false))).map((l) => l.sku);
  if (duplicates.length > 0) {
    return refuse('invalid', PointsCodes.duplicateSku, `each sku appears once per exchange: ${duplicates.join(', ')}`, { skus: duplicates });
  }
  const badQuantities = requested.filter((l) => !Number.isInteger(l.quantity) || l.quantity < 1).map((l) => l.sku);
  if (badQuantities.length > 0) {
    return refuse('invalid', PointsCodes.invalidQuantity, `quantities are whole numbers of licenses, at least 1: ${badQuantities.join(', ')}`, {
      skus: badQuantities,
    });
  }
  const unknown = requested.filter((l) => catalog(l.sku) === undefined).map((l) => l.sku);
  if (unknown.length > 0) return refuse('invalid', PointsCodes.unknownSku, `the catalog has no sku ${unknown.join(', ')}`, { skus: unknown });
  const unpriced = requested.filter((l) => monthlyPrice(catalog(l.sku)) === null).map((l) => l.sku);
  if (unpriced.length > 0) {
    return refuse('invalid', PointsCodes.noPointsPrice, `no points price (monthly licenses) for ${unpriced.join(', ')}`, { skus: unpriced });
  }
  const retired = requested.filter((l) => catalog(l.sku)?.status === 'retired').map((l) => l.sku);
  if (retired.length > 0) {
    return refuse('invalid', PointsCodes.skuRetired, `a retired sku cannot be bought anew: ${retired.join(', ')}`, { skus: retired });
  }
  const lines = requested.map((l) => ({
    sku: l.sku,
    termMonths: MONTHLY_TERM,
    quantity: l.quantity,
    pointsPerLicense: monthlyPrice(catalog(l.sku)) as number,
  }));
  return { lines, totalPoints: lines.reduce((sum, l) => sum + l.quantity * l.pointsPerLicense, 0), warnings: [] };
}
