import { isRefusal } from '@licensing/domain';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { skuTaken } from '../../domain/catalog.rules';
import { createProduct, productEvent, type Product, type ProductDraft } from '../../domain/product.aggregate';
import { ModuleRepository, ProductRepository, savedOrThrow, SkuRegistry, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class CreateProductHandler {
  constructor(
    private readonly products: ProductRepository,
    private readonly modules: ModuleRepository,
    private readonly skus: SkuRegistry,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(draft: ProductDraft): Promise<Versioned<Product>> {
    if (await this.modules.load(draft.sku)) orThrow(skuTaken(draft.sku, 'module'));
    // The shape first, so that a refused draft claims no sku.
    const checked = createProduct((await this.products.load(draft.sku))?.state ?? null, draft, await this.products.facts(draft), this.clock());
    if (isRefusal(checked)) orThrow(checked);
    if (!(await this.skus.claim(draft.sku, 'product'))) orThrow(skuTaken(draft.sku, 'module'));
    return savedOrThrow(
      await this.products.change(
        draft.sku,
        async (p) => createProduct(p, draft, await this.products.facts(draft), this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }
}
