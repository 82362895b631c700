import { isRefusal, type Refusal } from '@licensing/domain';
import {
  allowChange,
  createProduct,
  productEvent,
  retireProduct,
  updateProduct,
  type CatalogFacts,
  type Product,
  type ProductDraft,
} from '../src/domain/product.aggregate';
import type { Term } from '@licensing/events';

const now = new Date('2026-11-27T10:00:00Z');
const facts: CatalogFacts = {
  familyExists: (code) => code === 'endpoint',
  moduleStatus: (sku) => (sku === 'MOD-ENC' ? 'active' : sku === 'MOD-OLD' ? 'retired' : undefined),
  productTerms: (sku) => ({ 'EP-MONTHLY': [1] as Term[], 'EP-ENT': [12, 36] as Term[] })[sku],
  rowsTo: [],
};
const draft: ProductDraft = {
  sku: 'EP-PRO',
  name: 'Endpoint Pro',
  familyCode: 'endpoint',
  trialEdition: false,
  terms: [36, 12, 12],
  managementModels: ['self'],
  moduleSkus: ['MOD-ENC'],
  pointsPricePerMonth: null,
};
const code = (value: Product | Refusal) => (isRefusal(value) ? value.code : 'ok');
const created = createProduct(null, draft, facts, now) as Product;

describe('product rules', () => {
  it('creates an active product with sorted, distinct terms and no changes', () => {
    expect(created).toMatchObject({ status: 'active', terms: [12, 36], changes: [], retiredAt: null, createdAt: now.toISOString() });
  });

  it('refuses an existing sku, an unknown family and an unknown module', () => {
    expect(code(createProduct(created, draft, facts, now))).toBe('CATALOG.PRODUCT_EXISTS');
    expect(code(createProduct(null, { ...draft, familyCode: 'edr' }, facts, now))).toBe('CATALOG.UNKNOWN_FAMILY');
    expect(code(createProduct(null, { ...draft, moduleSkus: ['MOD-X'] }, facts, now))).toBe('CATALOG.UNKNOWN_MODULE');
  });

  it('C10 a trial edition takes nothing from the pool: no terms and no points price', () => {
    expect(code(createProduct(null, { ...draft, trialEdition: true }, facts, now))).toBe('CATALOG.TRIAL_NOT_SOLD');
    expect(code(createProduct(null, { ...draft, trialEdition: true, terms: [] }, facts, now))).toBe('ok');
    expect(code(createProduct(null, { ...draft, terms: [] }, facts, now))).toBe('CATALOG.NO_TERMS');
  });

  it('M3 monthly licenses are paid in points: term 1 and a points price go together', () => {
    expect(code(createProduct(null, { ...draft, terms: [1, 12] }, facts, now))).toBe('CATALOG.MONTHLY_NEEDS_POINTS_PRICE');
    expect(code(createProduct(null, { ...draft, pointsPricePerMonth: 3 }, facts, now))).toBe('CATALOG.POINTS_PRICE_NEEDS_MONTHLY');
    expect(code(createProduct(null, { ...draft, terms: [1, 12], pointsPricePerMonth: 3 }, facts, now))).toBe('ok');
  });

  it('a retired product keeps its data, cannot change, and cannot be changed to', () => {
    const retired = retireProduct(created, 'EP-PRO', now) as Product;
    expect(retired).toMatchObject({ ...created, status: 'retired', retiredAt: now.toISOString(), updatedAt: now.toISOString() });
    expect(code(updateProduct(retired, 'EP-PRO', { name: 'x' }, facts, now))).toBe('CATALOG.PRODUCT_RETIRED');
    expect(code(retireProduct(retired, 'EP-PRO', now))).toBe('CATALOG.PRODUCT_RETIRED');
    expect(code(allowChange(created, 'EP-PRO', retired, 'EP-OLD', 'upgrade', now))).toBe('CATALOG.PRODUCT_RETIRED');
  });

  it('keeps one change-table row per target, replacing its kind', () => {
    const target = createProduct(null, { ...draft, sku: 'EP-ENT' }, facts, now) as Product;
    const up = allowChange(created, 'EP-PRO', target, 'EP-ENT', 'upgrade', now) as Product;
    const down = allowChange(up, 'EP-PRO', target, 'EP-ENT', 'downgrade', now) as Product;
    expect(down.changes).toEqual([{ toSku: 'EP-ENT', kind: 'downgrade' }]);
    expect(code(allowChange(created, 'EP-PRO', created, 'EP-PRO', 'upgrade', now))).toBe('CATALOG.SELF_CHANGE');
  });

  it('publishes the whole product with its version, without internal timestamps', () => {
    const event = productEvent(created, 4);
    expect(event).toMatchObject({ type: 'catalog.product-updated.v1', subject: 'EP-PRO' });
    expect(event.data).toEqual({ ...draft, terms: [12, 36], status: 'active', changes: [], updatedAt: now.toISOString(), version: 4 });
  });

  it('issue 9.10 a product keeps a retired module it already lists, but cannot add one', () => {
    const listing = { ...created, moduleSkus: ['MOD-ENC', 'MOD-OLD'] };
    expect(code(updateProduct(listing, 'EP-PRO', { name: 'renamed' }, facts, now))).toBe('ok');
    expect(code(updateProduct(created, 'EP-PRO', { moduleSkus: ['MOD-ENC', 'MOD-OLD'] }, facts, now))).toBe('CATALOG.MODULE_RETIRED');
    expect(code(createProduct(null, { ...draft, moduleSkus: ['MOD-OLD'] }, facts, now))).toBe('CATALOG.MODULE_RETIRED');
    expect(code(updateProduct(created, 'EP-PRO', { moduleSkus: ['MOD-X'] }, facts, now))).toBe('CATALOG.UNKNOWN_MODULE');
  });

  it('issue 9.10 a change-table row joins products that share a term, and no terms edit leaves one across terms', () => {
    const monthly = createProduct(null, { ...draft, sku: 'EP-MONTHLY', terms: [1], pointsPricePerMonth: 4 }, facts, now) as Product;
    expect(code(allowChange(created, 'EP-PRO', monthly, 'EP-MONTHLY', 'upgrade', now))).toBe('CATALOG.CHANGE_ACROSS_TERMS');
    const target = createProduct(null, { ...draft, sku: 'EP-ENT' }, facts, now) as Product;
    const withRow = allowChange(created, 'EP-PRO', target, 'EP-ENT', 'upgrade', now) as Product;
    expect(code(updateProduct(withRow, 'EP-PRO', { terms: [24] }, facts, now))).toBe('CATALOG.CHANGE_ACROSS_TERMS');
    expect(code(updateProduct(withRow, 'EP-PRO', { terms: [36] }, facts, now))).toBe('ok');
    const pointedTo = { ...facts, rowsTo: [{ fromSku: 'EP-MONTHLY', kind: 'downgrade' as const }] };
    const refused = updateProduct(created, 'EP-PRO', { terms: [12] }, pointedTo, now);
    expect(isRefusal(refused) && refused.details).toEqual({ changes: [{ fromSku: 'EP-MONTHLY', toSku: 'EP-PRO' }] });
    expect(code(updateProduct(created, 'EP-PRO', { terms: [1, 12], pointsPricePerMonth: 2 }, pointedTo, now))).toBe('ok');
  });
});
