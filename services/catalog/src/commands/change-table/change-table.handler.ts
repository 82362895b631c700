import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { isRefusal, refuse } from '@licensing/domain';
import type { ChangeKind } from '@licensing/events';
import { Injectable } from '@nestjs/common';
import { allowChange, productEvent, removeChange, shareTerm, type Product } from '../../domain/product.aggregate';
import { ProductRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

/** Allows or removes an upgrade or downgrade, stated on the product it starts from. */
@Injectable()
export class ChangeTableHandler {
  constructor(
    private readonly products: ProductRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /**
   * The target is read on every attempt of the write. It is read once more after the write: a
   * retirement that read the rows to its product before this row was saved did not remove it,
   * so the row is taken back here (one of the two always sees the other's write).
   */
  async allow(fromSku: string, toSku: string, kind: ChangeKind): Promise<Versioned<Product>> {
    const saved = savedOrThrow(
      await this.products.change(
        fromSku,
        async (p) => allowChange(p, fromSku, (await this.products.load(toSku))?.state ?? null, toSku, kind, this.clock()),
        (p, v) => [productEvent(p, v)],
      ),
    );
    const target = (await this.products.load(toSku))?.state;
    if (target?.status === 'retired') {
      await this.takeBack(fromSku, toSku);
      orThrow(
        refuse('conflict', 'CATALOG.PRODUCT_RETIRED', `${toSku} was retired while the change was allowed: changes involve active products only`),
      );
    }
    if (target && !shareTerm(saved.terms, target.terms)) {
      await this.takeBack(fromSku, toSku);
      orThrow(
        refuse('conflict', 'CATALOG.CHANGE_ACROSS_TERMS', `${toSku}'s terms changed while the change was allowed: they share no term any more`),
      );
    }
    return saved;
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

  /** A retired product cannot be changed to: every row leading to it goes (each product publishes its table). */
  async removeRowsTo(toSku: string): Promise<void> {
    for (const doc of await this.products.find({ 'state.changes.toSku': toSku })) await this.takeBack(doc._id, toSku);
  }

  /** Removes a row if it is still there. */
  private async takeBack(fromSku: string, toSku: string): Promise<void> {
    const removed = await this.products.change(
      fromSku,
      (p) => removeChange(p, fromSku, toSku, this.clock()),
      (p, v) => [productEvent(p, v)],
    );
    if (isRefusal(removed) && removed.code !== 'CATALOG.CHANGE_NOT_FOUND') orThrow(removed);
  }
}
