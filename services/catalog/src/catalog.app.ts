import { ServiceRuntime } from '@licensing/messaging';
import { createLogger, loadConfig, readPlatformConfig, type Lifecycle, type PlatformConfig } from '@licensing/platform';
import type { FastifyInstance } from 'fastify';
import { CatalogService } from './catalog.service';
import type { Family } from './domain/family.aggregate';
import type { Module } from './domain/module.aggregate';
import type { Product } from './domain/product.aggregate';
import { registerCatalogRoutes } from './http/catalog.http.controller';

export const catalogConfig = (source: Record<string, string | undefined> = process.env): PlatformConfig =>
  loadConfig((env) => readPlatformConfig(env, 'catalog', 3001), source);

export const CATALOG_API_DESCRIPTION = 'Product families, products, modules, the product change table and points prices.';

export interface CatalogApp {
  runtime: ServiceRuntime;
  catalog: CatalogService;
  app: FastifyInstance;
}

/** Builds and starts the catalog for its role; everything it opens closes with `lifecycle`. */
export async function startCatalog(config: PlatformConfig, lifecycle: Lifecycle): Promise<CatalogApp> {
  const logger = createLogger('catalog', config.logLevel);
  const runtime = await ServiceRuntime.create(config, logger, lifecycle);
  await runtime.ensureTopics('catalog');
  const catalog = new CatalogService(
    runtime.repository<Family>('families'),
    runtime.repository<Module>('modules'),
    runtime.repository<Product>('products'),
  );
  const app = await runtime.http(CATALOG_API_DESCRIPTION, (http) => {
    if (runtime.runsApi) registerCatalogRoutes(http, catalog);
  });
  await runtime.start(app);
  return { runtime, catalog, app };
}
