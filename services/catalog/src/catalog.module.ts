import { loadConfig, readPlatformConfig, type PlatformConfig } from '@licensing/platform';
import { forRole, ServiceKitModule, startService, type RunningService } from '@licensing/service-kit';
import { Module, type DynamicModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ChangeTableHandler } from './commands/change-table/change-table.handler';
import { ChangeTableHttpController } from './commands/change-table/change-table.http.controller';
import { CreateFamilyHandler } from './commands/create-family/create-family.handler';
import { CreateFamilyHttpController } from './commands/create-family/create-family.http.controller';
import { CreateModuleHandler } from './commands/create-module/create-module.handler';
import { CreateModuleHttpController } from './commands/create-module/create-module.http.controller';
import { CreateProductHandler } from './commands/create-product/create-product.handler';
import { CreateProductHttpController } from './commands/create-product/create-product.http.controller';
import { RenameFamilyHandler } from './commands/rename-family/rename-family.handler';
import { RenameFamilyHttpController } from './commands/rename-family/rename-family.http.controller';
import { UpdateModuleHandler } from './commands/update-module/update-module.handler';
import { UpdateModuleHttpController } from './commands/update-module/update-module.http.controller';
import { UpdateProductHandler } from './commands/update-product/update-product.handler';
import { UpdateProductHttpController } from './commands/update-product/update-product.http.controller';
import { catalogModels, FamilyRepository, ModuleRepository, ProductRepository, SkuRegistry } from './infrastructure/catalog.repositories';
import { GetFamiliesHandler } from './queries/get-families/get-families.handler';
import { GetFamiliesHttpController } from './queries/get-families/get-families.http.controller';
import { GetModulesHandler } from './queries/get-modules/get-modules.handler';
import { GetModulesHttpController } from './queries/get-modules/get-modules.http.controller';
import { GetProductsHandler } from './queries/get-products/get-products.handler';
import { GetProductsHttpController } from './queries/get-products/get-products.http.controller';

export const CATALOG_API_DESCRIPTION = 'Product families, products, modules, the product change table and points prices.';

export const catalogConfig = (source: Record<string, string | undefined> = process.env): PlatformConfig =>
  loadConfig((env) => readPlatformConfig(env, 'catalog', 3001), source);

/** The catalog: families, modules and products, each an aggregate that publishes its whole state. */
@Module({})
export class CatalogModule {
  static forRole(config: PlatformConfig): DynamicModule {
    return {
      module: CatalogModule,
      imports: [ServiceKitModule.forRoot(config), MongooseModule.forFeature(catalogModels)],
      ...forRole(config, {
        controllers: [
          CreateFamilyHttpController,
          RenameFamilyHttpController,
          CreateModuleHttpController,
          UpdateModuleHttpController,
          CreateProductHttpController,
          UpdateProductHttpController,
          ChangeTableHttpController,
          GetFamiliesHttpController,
          GetModulesHttpController,
          GetProductsHttpController,
        ],
        providers: [
          FamilyRepository,
          ModuleRepository,
          ProductRepository,
          SkuRegistry,
          CreateFamilyHandler,
          RenameFamilyHandler,
          CreateModuleHandler,
          UpdateModuleHandler,
          CreateProductHandler,
          UpdateProductHandler,
          ChangeTableHandler,
          GetFamiliesHandler,
          GetModulesHandler,
          GetProductsHandler,
        ],
      }),
    };
  }
}

export const startCatalog = (config: PlatformConfig): Promise<RunningService> =>
  startService(CatalogModule.forRole(config), config, CATALOG_API_DESCRIPTION);
