import { isRefusal } from '@licensing/domain';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { skuTaken } from '../../domain/catalog.rules';
import { createModule, moduleEvent, type Module, type ModuleDraft } from '../../domain/module.aggregate';
import { ModuleRepository, ProductRepository, savedOrThrow, SkuRegistry, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class CreateModuleHandler {
  constructor(
    private readonly modules: ModuleRepository,
    private readonly products: ProductRepository,
    private readonly skus: SkuRegistry,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(draft: ModuleDraft): Promise<Versioned<Module>> {
    if (await this.products.load(draft.sku)) orThrow(skuTaken(draft.sku, 'product'));
    // The shape first, so that a refused draft claims no sku.
    const checked = createModule((await this.modules.load(draft.sku))?.state ?? null, draft, this.clock());
    if (isRefusal(checked)) orThrow(checked);
    if (!(await this.skus.claim(draft.sku, 'module'))) orThrow(skuTaken(draft.sku, 'product'));
    return savedOrThrow(
      await this.modules.change(
        draft.sku,
        (m) => createModule(m, draft, this.clock()),
        (m, v) => [moduleEvent(m, v)],
      ),
    );
  }
}
