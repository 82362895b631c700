import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { isRefusal } from '@licensing/domain';
import { Injectable } from '@nestjs/common';
import { productEvent, retireProduct, updateProduct, type Product, type ProductPatch } from '../../domain/product.aggregate';
import { ProductRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';
import { ChangeTableHandler } from '../change-table/change-table.handler';

/** Changes a product, or retires it: kept with its history, no longer assignable. */
@Injectable()
export class UpdateProductHandler {
  constructor(
    private readonly products: ProductRepository,
    private readonly changeTable: ChangeTableHandler,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** The checks read the family, modules and linked products on every attempt, after the product itself. */
  async update(sku: string, patch: ProductPatch): Promise<Versioned<Product>> {
    return savedOrThrow(
      await this.products.change(
        sku,
        async (p) => updateProduct(p, sku, patch, await this.products.facts(p && { ...p, ...patch }), this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }

  /** Retired, and taken out of every change-table row that leads to it (also when it was retired already). */
  async retire(sku: string): Promise<Versioned<Product>> {
    const saved = await this.products.change(
      sku,
      (p) => retireProduct(p, sku, this.clock()),
      (p, v) => [productEvent(p, v)],
    );
    if (!isRefusal(saved) || saved.code === 'CATALOG.PRODUCT_RETIRED') await this.changeTable.removeRowsTo(sku);
    return savedOrThrow(orThrow(saved));
  }
}
