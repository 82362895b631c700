import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { moduleEvent, retireModule, updateModule, type Module, type ModulePatch } from '../../domain/module.aggregate';
import { ModuleRepository, savedOrThrow, type Versioned } from '../../infrastructure/catalog.repositories';

/** Changes a module, or retires it (kept, no longer sold). */
@Injectable()
export class UpdateModuleHandler {
  constructor(
    private readonly modules: ModuleRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async update(sku: string, patch: ModulePatch): Promise<Versioned<Module>> {
    return savedOrThrow(
      await this.modules.change(
        sku,
        (m) => updateModule(m, sku, patch, this.clock()),
        (m, v) => [moduleEvent(m, v)],
      ),
    );
  }

  async retire(sku: string): Promise<Versioned<Module>> {
    return savedOrThrow(
      await this.modules.change(
        sku,
        (m) => retireModule(m, sku, this.clock()),
        (m, v) => [moduleEvent(m, v)],
      ),
    );
  }
}
