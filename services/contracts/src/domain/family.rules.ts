import { refuse, type Refusal } from '@licensing/domain';
import type { ProductUpdatedV1 } from '@licensing/events';
import { ContractsCodes } from './contracts.errors';

/** What these rules need of a product, from the catalog's product events. */
export type ProductFacts = Pick<ProductUpdatedV1, 'sku' | 'familyCode' | 'trialEdition' | 'moduleSkus'>;

export type FamilyFacts = Pick<ProductFacts, 'sku' | 'familyCode' | 'trialEdition'>;

/**
 * C1: a client cannot hold two products of the same family at once, unless one of them is a
 * trial edition. `held` are the products of the client's contracts in force; another contract
 * of a product already held is not a second product.
 */
export function familyRefusal(held: readonly FamilyFacts[], wanted: FamilyFacts): Refusal | undefined {
  if (wanted.trialEdition) return undefined;
  const clash = held.find((p) => p.familyCode === wanted.familyCode && p.sku !== wanted.sku && !p.trialEdition);
  if (!clash) return undefined;
  return refuse(
    'conflict',
    ContractsCodes.familyRule,
    `the client holds ${clash.sku} of family ${wanted.familyCode}: it cannot hold ${wanted.sku} beside it`,
    { familyCode: wanted.familyCode, heldSku: clash.sku },
  );
}

/**
 * C7: a module attaches to a product that accepts it, with at most as many licenses as the
 * product's. `moduleLicenses` is the module's total after the change.
 */
export function moduleRefusal(
  product: Pick<ProductFacts, 'sku' | 'moduleSkus'>,
  productLicenses: number,
  moduleSku: string,
  moduleLicenses: number,
): Refusal | undefined {
  if (!product.moduleSkus.includes(moduleSku)) {
    return refuse('invalid', ContractsCodes.moduleNotCompatible, `${product.sku} does not accept the module ${moduleSku}`);
  }
  if (moduleLicenses > productLicenses) {
    return refuse(
      'conflict',
      ContractsCodes.moduleExceedsProduct,
      `${moduleLicenses} licenses of ${moduleSku} exceed the ${productLicenses} of ${product.sku}`,
      { productLicenses, moduleLicenses },
    );
  }
  return undefined;
}
