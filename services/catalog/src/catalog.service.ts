import type { ChangeKind } from '@licensing/events';
import type { AggregateRepository } from '@licensing/persistence';
import { orThrow, notFound } from '@licensing/platform';
import { createFamily, familyEvent, renameFamily, type Family } from './domain/family.aggregate';
import { createModule, moduleEvent, retireModule, updateModule, type Module, type ModuleDraft, type ModulePatch } from './domain/module.aggregate';
import {
  allowChange,
  createProduct,
  productEvent,
  removeChange,
  retireProduct,
  updateProduct,
  type CatalogFacts,
  type Product,
  type ProductDraft,
  type ProductPatch,
} from './domain/product.aggregate';

export type Versioned<T> = T & { version: number };

const withVersion = <T>(r: { state: T; version: number }): Versioned<T> => ({ ...r.state, version: r.version });

/** The catalog's use cases: each changes one aggregate and emits its new state. */
export class CatalogService {
  constructor(
    readonly families: AggregateRepository<Family>,
    readonly modules: AggregateRepository<Module>,
    readonly products: AggregateRepository<Product>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Families and modules a product may name, read once per command. */
  private async facts(familyCode: string | undefined, moduleSkus: string[] | undefined): Promise<CatalogFacts> {
    const families = familyCode ? await this.families.collection.find({ _id: familyCode }).project({ _id: 1 }).toArray() : [];
    const modules = moduleSkus?.length
      ? await this.modules.collection
          .find({ _id: { $in: moduleSkus }, 'state.status': 'active' })
          .project({ _id: 1 })
          .toArray()
      : [];
    const familySet = new Set(families.map((f) => String(f._id)));
    const moduleSet = new Set(modules.map((m) => String(m._id)));
    return { familyExists: (code) => familySet.has(code), activeModule: (sku) => moduleSet.has(sku) };
  }

  async createFamily(code: string, name: string): Promise<Versioned<Family>> {
    return withVersion(
      orThrow(
        await this.families.change(
          code,
          (f) => createFamily(f, code, name, this.clock()),
          (f, v) => [familyEvent(f, v)],
        ),
      ),
    );
  }

  async renameFamily(code: string, name: string): Promise<Versioned<Family>> {
    return withVersion(
      orThrow(
        await this.families.change(
          code,
          (f) => renameFamily(f, code, name, this.clock()),
          (f, v) => [familyEvent(f, v)],
        ),
      ),
    );
  }

  async createModule(draft: ModuleDraft): Promise<Versioned<Module>> {
    return withVersion(
      orThrow(
        await this.modules.change(
          draft.sku,
          (m) => createModule(m, draft, this.clock()),
          (m, v) => [moduleEvent(m, v)],
        ),
      ),
    );
  }

  async updateModule(sku: string, patch: ModulePatch): Promise<Versioned<Module>> {
    return withVersion(
      orThrow(
        await this.modules.change(
          sku,
          (m) => updateModule(m, sku, patch, this.clock()),
          (m, v) => [moduleEvent(m, v)],
        ),
      ),
    );
  }

  async retireModule(sku: string): Promise<Versioned<Module>> {
    return withVersion(
      orThrow(
        await this.modules.change(
          sku,
          (m) => retireModule(m, sku, this.clock()),
          (m, v) => [moduleEvent(m, v)],
        ),
      ),
    );
  }

  async createProduct(draft: ProductDraft): Promise<Versioned<Product>> {
    const facts = await this.facts(draft.familyCode, draft.moduleSkus);
    return withVersion(
      orThrow(
        await this.products.change(
          draft.sku,
          (p) => createProduct(p, draft, facts, this.clock()),
          (p, v) => [productEvent(p, v)],
        ),
      ),
    );
  }

  async updateProduct(sku: string, patch: ProductPatch): Promise<Versioned<Product>> {
    const current = await this.products.load(sku);
    const facts = await this.facts(patch.familyCode ?? current?.state.familyCode, patch.moduleSkus ?? current?.state.moduleSkus);
    return withVersion(
      orThrow(
        await this.products.change(
          sku,
          (p) => updateProduct(p, sku, patch, facts, this.clock()),
          (p, v) => [productEvent(p, v)],
        ),
      ),
    );
  }

  async retireProduct(sku: string): Promise<Versioned<Product>> {
    return withVersion(
      orThrow(
        await this.products.change(
          sku,
          (p) => retireProduct(p, sku, this.clock()),
          (p, v) => [productEvent(p, v)],
        ),
      ),
    );
  }

  async allowChange(fromSku: string, toSku: string, kind: ChangeKind): Promise<Versioned<Product>> {
    const target = (await this.products.load(toSku))?.state ?? null;
    return withVersion(
      orThrow(
        await this.products.change(
          fromSku,
          (p) => allowChange(p, fromSku, target, toSku, kind, this.clock()),
          (p, v) => [productEvent(p, v)],
        ),
      ),
    );
  }

  async removeChange(fromSku: string, toSku: string): Promise<Versioned<Product>> {
    return withVersion(
      orThrow(
        await this.products.change(
          fromSku,
          (p) => removeChange(p, fromSku, toSku, this.clock()),
          (p, v) => [productEvent(p, v)],
        ),
      ),
    );
  }

  async getProduct(sku: string): Promise<Versioned<Product>> {
    const doc = await this.products.load(sku);
    if (!doc) throw notFound('CATALOG.PRODUCT_NOT_FOUND', `no product ${sku}`);
    return { ...doc.state, version: doc.version };
  }

  async listProducts(filter: { familyCode?: string; status?: string }): Promise<Versioned<Product>[]> {
    const query: Record<string, string> = {};
    if (filter.familyCode) query['state.familyCode'] = filter.familyCode;
    if (filter.status) query['state.status'] = filter.status;
    const docs = await this.products.collection.find(query).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ ...d.state, version: d.version }));
  }

  /** A module with the products that accept it (stated on each product). */
  async getModule(sku: string): Promise<Versioned<Module> & { productSkus: string[] }> {
    const doc = await this.modules.load(sku);
    if (!doc) throw notFound('CATALOG.MODULE_NOT_FOUND', `no module ${sku}`);
    const products = await this.products.collection.find({ 'state.moduleSkus': sku }).project({ _id: 1 }).toArray();
    return { ...doc.state, version: doc.version, productSkus: products.map((p) => String(p._id)).sort() };
  }

  async listModules(): Promise<Versioned<Module>[]> {
    const docs = await this.modules.collection.find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ ...d.state, version: d.version }));
  }

  async getFamily(code: string): Promise<Versioned<Family>> {
    const doc = await this.families.load(code);
    if (!doc) throw notFound('CATALOG.FAMILY_NOT_FOUND', `no family ${code}`);
    return { ...doc.state, version: doc.version };
  }

  async listFamilies(): Promise<Versioned<Family>[]> {
    const docs = await this.families.collection.find({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ ...d.state, version: d.version }));
  }

  async listChanges(): Promise<{ fromSku: string; toSku: string; kind: ChangeKind }[]> {
    const docs = await this.products.collection
      .find({ 'state.changes.0': { $exists: true } })
      .sort({ _id: 1 })
      .toArray();
    return docs.flatMap((d) => d.state.changes.map((c) => ({ fromSku: d.state.sku, toSku: c.toSku, kind: c.kind })));
  }
}
