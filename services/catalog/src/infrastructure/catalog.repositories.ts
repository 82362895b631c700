import type { Refusal } from '@licensing/domain';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, type AggregateDocument } from '@licensing/persistence';
import { orThrow } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import type { Family } from '../domain/family.aggregate';
import type { Module } from '../domain/module.aggregate';
import type { CatalogFacts, Product } from '../domain/product.aggregate';

const FAMILIES = 'families';
const MODULES = 'modules';
const PRODUCTS = 'products';

/** The catalog's collections: one aggregate per document. */
export const catalogModels = [
  { name: FAMILIES, schema: aggregateSchema(FAMILIES) },
  { name: MODULES, schema: aggregateSchema(MODULES) },
  { name: PRODUCTS, schema: aggregateSchema(PRODUCTS, [[{ 'state.familyCode': 1 }], [{ 'state.moduleSkus': 1 }]]) },
];

export type Versioned<T> = T & { version: number };
export const versioned = <S>(doc: { state: S; version: number }): Versioned<S> => ({ ...doc.state, version: doc.version });
/** A saved change as the API shows it, or its refusal as an HTTP error. */
export const savedOrThrow = <S>(saved: { state: S; version: number } | Refusal): Versioned<S> => versioned(orThrow(saved));

@Injectable()
export class FamilyRepository extends AggregateRepository<Family> {
  constructor(@InjectModel(FAMILIES) model: Model<AggregateDocument<Family>>, relay: OutboxRelay) {
    super(model, relay);
  }
}

@Injectable()
export class ModuleRepository extends AggregateRepository<Module> {
  constructor(@InjectModel(MODULES) model: Model<AggregateDocument<Module>>, relay: OutboxRelay) {
    super(model, relay);
  }
}

@Injectable()
export class ProductRepository extends AggregateRepository<Product> {
  constructor(
    @InjectModel(PRODUCTS) model: Model<AggregateDocument<Product>>,
    relay: OutboxRelay,
    private readonly families: FamilyRepository,
    private readonly modules: ModuleRepository,
  ) {
    super(model, relay);
  }

  /** The families and active modules a product may name, read once per command. */
  async facts(familyCode: string | undefined, moduleSkus: string[] | undefined): Promise<CatalogFacts> {
    const families = new Set(familyCode ? await this.families.ids({ _id: familyCode }) : []);
    const modules = new Set(moduleSkus?.length ? await this.modules.ids({ _id: { $in: moduleSkus }, 'state.status': 'active' }) : []);
    return { familyExists: (code) => families.has(code), activeModule: (sku) => modules.has(sku) };
  }
}
