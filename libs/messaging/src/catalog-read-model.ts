import { CatalogEvents, type CatalogStatus, type CloudEvent, type ModuleUpdatedV1, type ProductUpdatedV1, type Term } from '@licensing/events';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { EventHandler } from './event-consumer';

/** What other services need to know of a sellable sku, product or module. */
export interface CatalogSku {
  _id: string;
  kind: 'product' | 'module';
  name: string;
  familyCode: string | null;
  trialEdition: boolean;
  terms: Term[];
  status: CatalogStatus;
  pointsPricePerMonth: number | null;
  /** For a product: the modules it accepts; empty for a module. */
  relatedSkus: string[];
  version: number;
}

/**
 * A local copy of the catalog built from `catalog.events` alone (state transfer: each event
 * carries the whole product, and the highest version wins, so order and replays do not matter).
 * Used by every service that sells or prices skus; no service calls the catalog's API.
 */
export class CatalogReadModel {
  readonly collection: Collection<CatalogSku>;

  constructor(db: Db, collectionName = 'catalog_skus') {
    this.collection = db.collection<CatalogSku>(collectionName);
  }

  get(sku: string): Promise<CatalogSku | null> {
    return this.collection.findOne({ _id: sku });
  }

  async getMany(skus: string[]): Promise<Map<string, CatalogSku>> {
    const found = await this.collection.find({ _id: { $in: [...new Set(skus)] } }).toArray();
    return new Map(found.map((s) => [s._id, s]));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.collection.countDocuments({}, { limit: 1 })) === 0;
  }

  handlers(): Record<string, EventHandler> {
    return {
      [CatalogEvents.productUpdated]: (event) => this.apply(fromProduct(event as CloudEvent<ProductUpdatedV1>)),
      [CatalogEvents.moduleUpdated]: (event) => this.apply(fromModule(event as CloudEvent<ModuleUpdatedV1>)),
    };
  }

  /** Keeps the highest version: an older or repeated event finds the filter unmatched. */
  async apply(sku: CatalogSku): Promise<void> {
    const { _id, ...fields } = sku;
    try {
      await this.collection.updateOne({ _id, version: { $lt: sku.version } }, { $set: fields }, { upsert: true });
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
    }
  }
}

const fromProduct = ({ data: p }: CloudEvent<ProductUpdatedV1>): CatalogSku => ({
  _id: p.sku,
  kind: 'product',
  name: p.name,
  familyCode: p.familyCode,
  trialEdition: p.trialEdition,
  terms: p.terms,
  status: p.status,
  pointsPricePerMonth: p.pointsPricePerMonth,
  relatedSkus: p.moduleSkus,
  version: p.version,
});

const fromModule = ({ data: m }: CloudEvent<ModuleUpdatedV1>): CatalogSku => ({
  _id: m.sku,
  kind: 'module',
  name: m.name,
  familyCode: null,
  trialEdition: false,
  terms: m.terms,
  status: m.status,
  pointsPricePerMonth: m.pointsPricePerMonth,
  relatedSkus: [],
  version: m.version,
});
