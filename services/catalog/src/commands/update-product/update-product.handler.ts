import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { productEvent, retireProduct, updateProduct, type Product, type ProductPatch } from '../../domain/product.aggregate';
import { ProductRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

/** Changes a product, or retires it: kept with its history, no longer assignable. */
@Injectable()
export class UpdateProductHandler {
  constructor(
    private readonly products: ProductRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async update(sku: string, patch: ProductPatch): Promise<Versioned<Product>> {
    const current = await this.products.load(sku);
    const facts = await this.products.facts(patch.familyCode ?? current?.state.familyCode, patch.moduleSkus ?? current?.state.moduleSkus);
    return savedOrThrow(
      await this.products.change(
        sku,
        (p) => updateProduct(p, sku, patch, facts, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }

  async retire(sku: string): Promise<Versioned<Product>> {
    return savedOrThrow(
      await this.products.change(
        sku,
        (p) => retireProduct(p, sku, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }
}
