import { notFound } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { Module } from '../../domain/module.aggregate';
import { ModuleRepository, ProductRepository, versioned, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class GetModulesHandler {
  constructor(
    private readonly modules: ModuleRepository,
    private readonly products: ProductRepository,
  ) {}

  /** A module with the products that accept it (stated on each product). */
  async get(sku: string): Promise<Versioned<Module> & { productSkus: string[] }> {
    const doc = await this.modules.load(sku);
    if (!doc) throw notFound('CATALOG.MODULE_NOT_FOUND', `no module ${sku}`);
    return { ...versioned(doc), productSkus: await this.products.ids({ 'state.moduleSkus': sku }) };
  }

  async list(): Promise<Versioned<Module>[]> {
    return (await this.modules.find({})).map(versioned);
  }
}
