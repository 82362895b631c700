import familyUpdatedV1 from './family-updated.v1.schema.json';
import moduleUpdatedV1 from './module-updated.v1.schema.json';
import productUpdatedV1 from './product-updated.v1.schema.json';

export type Term = 1 | 12 | 24 | 36;
export type ManagementModel = 'self' | 'delegated';
export type CatalogStatus = 'active' | 'retired';
export type ChangeKind = 'upgrade' | 'downgrade';

export const CatalogEvents = {
  productUpdated: 'catalog.product-updated.v1',
  moduleUpdated: 'catalog.module-updated.v1',
  familyUpdated: 'catalog.family-updated.v1',
} as const;

export interface ProductUpdatedV1 {
  sku: string;
  name: string;
  familyCode: string;
  trialEdition: boolean;
  terms: Term[];
  managementModels: ManagementModel[];
  moduleSkus: string[];
  pointsPricePerMonth: number | null;
  status: CatalogStatus;
  changes: { toSku: string; kind: ChangeKind }[];
  version: number;
  updatedAt: string;
}

export interface ModuleUpdatedV1 {
  sku: string;
  name: string;
  terms: Term[];
  pointsPricePerMonth: number | null;
  status: CatalogStatus;
  version: number;
  updatedAt: string;
}

export interface FamilyUpdatedV1 {
  code: string;
  name: string;
  version: number;
  updatedAt: string;
}

export const catalogSchemas = [productUpdatedV1, moduleUpdatedV1, familyUpdatedV1];
