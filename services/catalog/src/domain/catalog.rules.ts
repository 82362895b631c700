import { refuse, type Refusal } from '@licensing/domain';
import type { Term } from '@licensing/events';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,39}$/;
export const FAMILY_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{1,39}$/;
export const ANNUAL_TERMS: readonly Term[] = [12, 24, 36];
export const MONTHLY_TERM: Term = 1;

/** Products and modules share one set of skus: the catalog's readers key both by sku. */
export const skuTaken = (sku: string, heldBy: 'product' | 'module'): Refusal =>
  refuse('conflict', 'CATALOG.SKU_TAKEN', `sku ${sku} is already a ${heldBy}: products and modules share one set of skus`, { sku, heldBy });
