import { CatalogCopy, type CatalogSku } from '@licensing/catalog-copy';
import type { ManagementModel } from '@licensing/events';
import type { SkuFacts, SkuLookup } from '../domain/client.aggregate';

/** The catalog copy's answer as the domain reads it (a product copied before management models were kept allows any). */
const factsOf = (sku: CatalogSku & { managementModels?: ManagementModel[] }): SkuFacts => ({
  sku: sku._id,
  kind: sku.kind,
  familyCode: sku.familyCode,
  trialEdition: sku.trialEdition,
  terms: sku.terms,
  retired: sku.status === 'retired',
  moduleSkus: sku.kind === 'product' ? sku.relatedSkus : [],
  ...(sku.kind === 'product' && sku.managementModels?.length ? { managementModels: sku.managementModels } : {}),
  changes: sku.changes ?? [],
});

/** The skus a request names, read from the catalog copy at once, for the domain to look up. */
export async function skuLookup(catalog: CatalogCopy, skus: string[]): Promise<SkuLookup> {
  const found = await catalog.getMany(skus);
  return (sku) => {
    const entry = found.get(sku);
    return entry ? factsOf(entry) : undefined;
  };
}
