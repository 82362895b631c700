import type { ChangeKind } from '@licensing/events';
import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { Product } from '../../domain/product.aggregate';
import { ProductRepository, versioned, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class GetProductsHandler {
  constructor(private readonly products: ProductRepository) {}

  async get(sku: string): Promise<Versioned<Product>> {
    const doc = await this.products.load(sku);
    if (!doc) throw notFound('CATALOG.PRODUCT_NOT_FOUND', `no product ${sku}`);
    return versioned(doc);
  }

  async list(filter: { familyCode?: string; status?: string }): Promise<Versioned<Product>[]> {
    const query: Record<string, string> = {};
    if (filter.familyCode) query['state.familyCode'] = filter.familyCode;
    if (filter.status) query['state.status'] = filter.status;
    return (await this.products.find(query)).map(versioned);
  }

  /** The table of allowed upgrades and downgrades, as the products state it. */
  async changes(): Promise<{ fromSku: string; toSku: string; kind: ChangeKind }[]> {
    const docs = await this.products.find({ 'state.changes.0': { $exists: true } });
    return docs.flatMap((d) => d.state.changes.map((c) => ({ fromSku: d.state.sku, toSku: c.toSku, kind: c.kind })));
  }
}
