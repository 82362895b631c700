import { InjectClock, type Clock } from '@licensing/platform';
import type { ChangeKind } from '@licensing/events';
import { Injectable } from '@nestjs/common';
import { allowChange, productEvent, removeChange, type Product } from '../../domain/product.aggregate';
import { ProductRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

/** Allows or removes an upgrade or downgrade, stated on the product it starts from. */
@Injectable()
export class ChangeTableHandler {
  constructor(
    private readonly products: ProductRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async allow(fromSku: string, toSku: string, kind: ChangeKind): Promise<Versioned<Product>> {
    const target = (await this.products.load(toSku))?.state ?? null;
    return savedOrThrow(
      await this.products.change(
        fromSku,
        (p) => allowChange(p, fromSku, target, toSku, kind, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }

  async remove(fromSku: string, toSku: string): Promise<Versioned<Product>> {
    return savedOrThrow(
      await this.products.change(
        fromSku,
        (p) => removeChange(p, fromSku, toSku, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
  }
}
