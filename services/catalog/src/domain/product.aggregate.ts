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

/** What the product rules need to know of the rest of the catalog, read in the same attempt as the product. */
export interface CatalogFacts {
  familyExists: (code: string) => boolean;
  moduleStatus: (sku: string) => 'active' | 'retired' | undefined;
  /** The terms of another product, undefined when there is none. */
  productTerms: (sku: string) => Term[] | undefined;
  /** The rows of other products' change tables that lead to this product. */
  rowsTo: { fromSku: string; kind: ChangeKind }[];
}

/** A change-table row, as refusals name it. */
export interface ChangeRow {
  fromSku: string;
  toSku: string;
}

const sortedTerms = (terms: Term[]): Term[] => [...new Set(terms)].sort((a, b) => a - b);

/**
 * The rules a product's sellable shape must keep: a trial edition takes nothing from the pool
 * so it has no terms and no price (C10); monthly licenses are paid in points, so a product sold
 * monthly has a points price and one with a points price is sold monthly (M3). A product names
 * modules that exist; it may keep listing a module retired since (`listed`, what it listed
 * before this change), but cannot add a retired one.
 */
export function checkShape(p: Omit<ProductDraft, 'sku'>, facts: CatalogFacts, listed: readonly string[] = []): Refusal | undefined {
  if (!facts.familyExists(p.familyCode)) return refuse('invalid', 'CATALOG.UNKNOWN_FAMILY', `no product family ${p.familyCode}`);
  const unknownModules = p.moduleSkus.filter((sku) => facts.moduleStatus(sku) === undefined);
  if (unknownModules.length > 0) {
    return refuse('invalid', 'CATALOG.UNKNOWN_MODULE', `no module ${unknownModules.join(', ')}`, { moduleSkus: unknownModules });
  }
  const retiredModules = p.moduleSkus.filter((sku) => facts.moduleStatus(sku) === 'retired' && !listed.includes(sku));
  if (retiredModules.length > 0) {
    return refuse('conflict', 'CATALOG.MODULE_RETIRED', `module ${retiredModules.join(', ')} is retired and cannot be added to a product`, {
      moduleSkus: retiredModules,
    });
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

/**
 * C4: a change ends the old contract and starts the new one for a term the new product sells,
 * with licenses of the same kind (annual pool or monthly points). A row joins products that
 * share at least one term.
 */
export const shareTerm = (a: readonly Term[], b: readonly Term[]): boolean => a.some((t) => b.includes(t));

/** The rows from and to a product that its (new) terms would leave across terms. */
function rowsAcrossTerms(p: Product, terms: readonly Term[], facts: CatalogFacts): ChangeRow[] {
  const across: ChangeRow[] = [];
  for (const c of p.changes) {
    const other = facts.productTerms(c.toSku);
    if (other && !shareTerm(terms, other)) across.push({ fromSku: p.sku, toSku: c.toSku });
  }
  for (const r of facts.rowsTo) {
    const other = facts.productTerms(r.fromSku);
    if (other && !shareTerm(terms, other)) across.push({ fromSku: r.fromSku, toSku: p.sku });
  }
  return across;
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
  const refusal = checkShape(next, facts, product.moduleSkus);
  if (refusal) return refusal;
  const across = rowsAcrossTerms(product, next.terms, facts);
  if (across.length > 0) {
    const rows = across.map((r) => `${r.fromSku} → ${r.toSku}`).join(', ');
    return refuse(
      'conflict',
      'CATALOG.CHANGE_ACROSS_TERMS',
      `these terms would leave change-table rows between products that share no term: ${rows}`,
      {
        changes: across,
      },
    );
  }
  return { ...next, terms: sortedTerms(next.terms), moduleSkus: [...new Set(next.moduleSkus)], updatedAt: now.toISOString() };
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
  if (!shareTerm(product.terms, target.terms)) {
    return refuse(
      'invalid',
      'CATALOG.CHANGE_ACROSS_TERMS',
      `${fromSku} (terms ${product.terms.join(', ')}) and ${toSku} (terms ${target.terms.join(', ')}) share no term: a change keeps the kind of license`,
    );
  }
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
