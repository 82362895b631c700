import type { CatalogCopy } from '@licensing/catalog-copy';
import type { SkuLookup } from '../domain/stock-rules';

/** What domain code knows of the skus a command names, read from the pool's copy of the catalog once per command. */
export async function skuLookup(catalog: CatalogCopy, skus: string[]): Promise<SkuLookup> {
  const found = await catalog.getMany(skus);
  return (sku) => {
    const s = found.get(sku);
    return s && { status: s.status, terms: s.terms, trialEdition: s.trialEdition };
  };
}
