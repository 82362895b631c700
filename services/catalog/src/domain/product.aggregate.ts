import type { ChangeKind, EventDraft, ProductUpdatedV1, Term } from '@licensing/events';
import { CatalogEvents } from '@licensing/events';
import { refuse, type Refusal } from '@licensing/domain';
import { MONTHLY_TERM } from './catalog.rules';

/** The product as it is published, with when it was created and retired. */
export interface Product extends Omit<ProductUpdatedV1, 'version'> {
  createdAt: string;
  retiredAt: string | null;
}

export type ProductDraft = Pick<
  Product,
  'sku' | 'name' | 'familyCode' | 'trialEdition' | 'terms' | 'managementModels' | 'moduleSkus' | 'pointsPricePerMonth'
>;
export type ProductPatch = Partial<Omit<ProductDraft, 'sku' | 'trialEdition'>>;

/** What the product rules need to know of the rest of the catalog. */
export interface CatalogFacts {
  familyExists: (code: string) => boolean;
  activeModule: (sku: string) => boolean;
}

const sortedTerms = (terms: Term[]): Term[] => [...new Set(terms)].sort((a, b) => a - b);

/**
 * The rules a product's sellable shape must keep: a trial edition takes nothing from the pool
 * so it has no terms and no price (C10); monthly licenses are paid in points, so a product sold
 * monthly has a points price and one with a points price is sold monthly (M3).
 */
export function checkShape(p: Omit<ProductDraft, 'sku'>, facts: CatalogFacts): Refusal | undefined {
  if (!facts.familyExists(p.familyCode)) return refuse('invalid', 'CATALOG.UNKNOWN_FAMILY', `no product family ${p.familyCode}`);
  const unknownModules = p.moduleSkus.filter((sku) => !facts.activeModule(sku));
  if (unknownModules.length > 0) {
    return refuse('invalid', 'CATALOG.UNKNOWN_MODULE', `no active module ${unknownModules.join(', ')}`, { moduleSkus: unknownModules });
  }
  if (p.trialEdition && (p.terms.length > 0 || p.pointsPricePerMonth !== null)) {
    return refuse('invalid', 'CATALOG.TRIAL_NOT_SOLD', 'a trial edition has no terms and no points price: trials take nothing from the pool');
  }
  if (!p.trialEdition && p.terms.length === 0) return refuse('invalid', 'CATALOG.NO_TERMS', 'a product must allow at least one term');
  const monthly = p.terms.includes(MONTHLY_TERM);
  if (monthly && p.pointsPricePerMonth === null) {
    return refuse('invalid', 'CATALOG.MONTHLY_NEEDS_POINTS_PRICE', 'a product sold monthly needs a points price per license-month');
  }
  if (!monthly && p.pointsPricePerMonth !== null) {
    return refuse('invalid', 'CATALOG.POINTS_PRICE_NEEDS_MONTHLY', 'a points price applies to monthly licenses: add term 1 or remove the price');
  }
  return undefined;
}

export function productEvent(product: Product, version: number): EventDraft<ProductUpdatedV1> {
  const { createdAt: _c, retiredAt: _r, ...data } = product;
  return { type: CatalogEvents.productUpdated, subject: product.sku, data: { ...data, version } };
}

export function createProduct(existing: Product | null, draft: ProductDraft, facts: CatalogFacts, now: Date): Product | Refusal {
  if (existing) return refuse('conflict', 'CATALOG.PRODUCT_EXISTS', `product ${draft.sku} already exists`);
  const refusal = checkShape(draft, facts);
  if (refusal) return refusal;
  const at = now.toISOString();
  return {
    ...draft,
    terms: sortedTerms(draft.terms),
    moduleSkus: [...new Set(draft.moduleSkus)],
    managementModels: [...new Set(draft.managementModels)],
    status: 'active',
    changes: [],
    createdAt: at,
    updatedAt: at,
    retiredAt: null,
  };
}

export function updateProduct(product: Product | null, sku: string, patch: ProductPatch, facts: CatalogFacts, now: Date): Product | Refusal {
  if (!product) return refuse('not-found', 'CATALOG.PRODUCT_NOT_FOUND', `no product ${sku}`);
  if (product.status === 'retired') return refuse('conflict', 'CATALOG.PRODUCT_RETIRED', `product ${sku} is retired and cannot change`);
  const next = { ...product, ...patch };
  const refusal = checkShape(next, facts);
  if (refusal) return refusal;
  return { ...next, terms: sortedTerms(next.terms), updatedAt: now.toISOString() };
}

/** Retiring keeps the product and its history; it can no longer be sold or changed to. */
export function retireProduct(product: Product | null, sku: string, now: Date): Product | Refusal {
  if (!product) return refuse('not-found', 'CATALOG.PRODUCT_NOT_FOUND', `no product ${sku}`);
  if (product.status === 'retired') return refuse('conflict', 'CATALOG.PRODUCT_RETIRED', `product ${sku} is already retired`);
  const at = now.toISOString();
  return { ...product, status: 'retired', updatedAt: at, retiredAt: at };
}

/** A row of the change table: upgrade or downgrade from this product to another. */
export function allowChange(
  product: Product | null,
  fromSku: string,
  target: Product | null,
  toSku: string,
  kind: ChangeKind,
  now: Date,
): Product | Refusal {
  if (!product) return refuse('not-found', 'CATALOG.PRODUCT_NOT_FOUND', `no product ${fromSku}`);
  if (!target) return refuse('invalid', 'CATALOG.UNKNOWN_PRODUCT', `no product ${toSku}`);
  if (fromSku === toSku) return refuse('invalid', 'CATALOG.SELF_CHANGE', 'a product cannot change to itself');
  if (product.status === 'retired' || target.status === 'retired') {
    return refuse('conflict', 'CATALOG.PRODUCT_RETIRED', 'changes involve active products only');
  }
  if (product.trialEdition || target.trialEdition) return refuse('invalid', 'CATALOG.TRIAL_NOT_SOLD', 'trial editions are converted, not upgraded');
  const existing = product.changes.find((c) => c.toSku === toSku);
  if (existing?.kind === kind) return product;
  const changes = [...product.changes.filter((c) => c.toSku !== toSku), { toSku, kind }].sort((a, b) => a.toSku.localeCompare(b.toSku));
  return { ...product, changes, updatedAt: now.toISOString() };
}

export function removeChange(product: Product | null, fromSku: string, toSku: string, now: Date): Product | Refusal {
  if (!product) return refuse('not-found', 'CATALOG.PRODUCT_NOT_FOUND', `no product ${fromSku}`);
  if (!product.changes.some((c) => c.toSku === toSku))
    return refuse('not-found', 'CATALOG.CHANGE_NOT_FOUND', `no change from ${fromSku} to ${toSku}`);
  return { ...product, changes: product.changes.filter((c) => c.toSku !== toSku), updatedAt: now.toISOString() };
}
