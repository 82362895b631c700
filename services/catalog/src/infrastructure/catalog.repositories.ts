import type { Refusal } from '@licensing/domain';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, isDuplicateKey, type AggregateDocument } from '@licensing/persistence';
import { orThrow } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Schema, type Model } from 'mongoose';
import type { Family } from '../domain/family.aggregate';
import type { Module } from '../domain/module.aggregate';
import type { CatalogFacts, Product } from '../domain/product.aggregate';

const FAMILIES = 'families';
const MODULES = 'modules';
const PRODUCTS = 'products';
const SKUS = 'skus';

export type SkuKind = 'product' | 'module';

/** Which kind of catalog entry holds a sku: one document per sku, so one kind wins it. */
interface SkuClaim {
  _id: string;
  kind: SkuKind;
}

/** The catalog's collections: one aggregate per document, and the skus they hold. */
export const catalogModels = [
  { name: FAMILIES, schema: aggregateSchema(FAMILIES) },
  { name: MODULES, schema: aggregateSchema(MODULES) },
  {
    name: PRODUCTS,
    schema: aggregateSchema(PRODUCTS, [[{ 'state.familyCode': 1 }], [{ 'state.moduleSkus': 1 }], [{ 'state.changes.toSku': 1 }]]),
  },
  {
    name: SKUS,
    schema: new Schema<SkuClaim>(
      { _id: { type: String, required: true }, kind: { type: String, required: true } },
      { collection: SKUS, versionKey: false },
    ),
  },
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

  /**
   * What the product rules need beside the product (its family, its modules, the products at the
   * other end of its change-table rows), read on every attempt of a command, after the product.
   * None for no product (the rules then refuse it as not found).
   */
  async facts(product: { sku: string; familyCode: string; moduleSkus: string[]; changes?: { toSku: string }[] } | null): Promise<CatalogFacts> {
    if (!product) return { familyExists: () => false, moduleStatus: () => undefined, productTerms: () => undefined, rowsTo: [] };
    const [families, modules, rowsTo] = await Promise.all([
      this.families.ids({ _id: product.familyCode }),
      product.moduleSkus.length > 0 ? this.modules.find({ _id: { $in: product.moduleSkus } }) : Promise.resolve([]),
      this.find({ 'state.changes.toSku': product.sku }),
    ]);
    const linked = [...new Set([...(product.changes ?? []).map((c) => c.toSku), ...rowsTo.map((d) => d.state.sku)])];
    const others = linked.length > 0 ? await this.find({ _id: { $in: linked } }) : [];
    const status = new Map(modules.map((m) => [m.state.sku, m.state.status]));
    const terms = new Map(others.map((d) => [d.state.sku, d.state.terms]));
    return {
      familyExists: (code) => families.includes(code),
      moduleStatus: (sku) => status.get(sku),
      productTerms: (sku) => terms.get(sku),
      rowsTo: rowsTo.flatMap((d) => d.state.changes.filter((c) => c.toSku === product.sku).map((c) => ({ fromSku: d.state.sku, kind: c.kind }))),
    };
  }
}

/**
 * Skus are one namespace for products and modules (the catalog's readers key both by sku): the
 * first kind to claim a sku holds it. A claim is made just before the entry is created, after
 * its shape was checked, so only a crash or a lost race leaves a claim without its entry; that
 * sku then stays with the same kind.
 */
@Injectable()
export class SkuRegistry {
  constructor(@InjectModel(SKUS) private readonly model: Model<SkuClaim>) {}

  /** True when the sku is (now) held by this kind. */
  async claim(sku: string, kind: SkuKind): Promise<boolean> {
    try {
      await this.model.collection.insertOne({ _id: sku, kind } as never);
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const held = await this.model.findById(sku).lean().exec();
      return held?.kind === kind;
    }
  }
}
