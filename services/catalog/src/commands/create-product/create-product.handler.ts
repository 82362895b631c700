import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { createProduct, productEvent, type Product, type ProductDraft } from '../../domain/product.aggregate';
import { ProductRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class CreateProductHandler {
  constructor(
    private readonly products: ProductRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(draft: ProductDraft): Promise<Versioned<Product>> {
    const facts = await this.products.facts(draft.familyCode, draft.moduleSkus);
    return savedOrThrow(
      await this.products.change(
        draft.sku,
        (p) => createProduct(p, draft, facts, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }
}
