import type { ModuleUpdatedV1, ProductUpdatedV1 } from '@licensing/events';

/** A product as catalog.events carries it: an active annual product unless overridden. */
export const productUpdated = (sku: string, overrides: Partial<ProductUpdatedV1> = {}): ProductUpdatedV1 => ({
  sku,
  name: `Product ${sku}`,
  familyCode: 'endpoint',
  trialEdition: false,
  terms: [12, 24, 36],
  managementModels: ['self'],
  moduleSkus: [],
  pointsPricePerMonth: null,
  status: 'active',
  changes: [],
  version: 1,
  updatedAt: new Date().toISOString(),
  ...overrides,
});

/** A module as catalog.events carries it: an active annual module unless overridden. */
export const moduleUpdated = (sku: string, overrides: Partial<ModuleUpdatedV1> = {}): ModuleUpdatedV1 => ({
  sku,
  name: `Module ${sku}`,
  terms: [12, 24, 36],
  pointsPricePerMonth: null,
  status: 'active',
  version: 1,
  updatedAt: new Date().toISOString(),
  ...overrides,
});
