import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { createModule, moduleEvent, type Module, type ModuleDraft } from '../../domain/module.aggregate';
import { ModuleRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

@Injectable()
export class CreateModuleHandler {
  constructor(
    private readonly modules: ModuleRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(draft: ModuleDraft): Promise<Versioned<Module>> {
    return savedOrThrow(
      await this.modules.change(
        draft.sku,
        (m) => createModule(m, draft, this.clock()),
        (m, v) => [moduleEvent(m, v)],
      ),
    );
  }
}
