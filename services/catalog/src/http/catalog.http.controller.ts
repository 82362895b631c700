import type { ChangeKind } from '@licensing/events';
import { errorResponses, requireRole, Roles } from '@licensing/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CatalogService } from '../catalog.service';
import type { ModuleDraft, ModulePatch } from '../domain/module.aggregate';
import type { ProductDraft, ProductPatch } from '../domain/product.aggregate';
import * as s from './catalog.schemas';

const admin = async (request: FastifyRequest) => requireRole(request.principal, Roles.catalogAdmin);
const readErrors = errorResponses(400, 401, 404);
const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);
const list = (items: object) => ({ type: 'object', properties: { items: { type: 'array', items: items } } });

/** Reads need any valid token; writes need the catalog-admin role. */
export function registerCatalogRoutes(app: FastifyInstance, catalog: CatalogService): void {
  app.post(
    '/families',
    {
      onRequest: admin,
      schema: { tags: ['families'], summary: 'Create a product family', body: s.createFamilyBody, response: { 201: s.familySchema, ...writeErrors } },
    },
    async (request, reply) => {
      const body = request.body as { code: string; name: string };
      return reply.status(201).send(await catalog.createFamily(body.code, body.name));
    },
  );
  app.get(
    '/families',
    { schema: { tags: ['families'], summary: 'List product families', response: { 200: list(s.familySchema), ...readErrors } } },
    async () => ({
      items: await catalog.listFamilies(),
    }),
  );
  app.get(
    '/families/:code',
    { schema: { tags: ['families'], summary: 'Get a product family', params: s.codeParams, response: { 200: s.familySchema, ...readErrors } } },
    async (request) => catalog.getFamily((request.params as { code: string }).code),
  );
  app.patch(
    '/families/:code',
    {
      onRequest: admin,
      schema: {
        tags: ['families'],
        summary: 'Rename a product family',
        params: s.codeParams,
        body: s.renameFamilyBody,
        response: { 200: s.familySchema, ...writeErrors },
      },
    },
    async (request) => catalog.renameFamily((request.params as { code: string }).code, (request.body as { name: string }).name),
  );

  app.post(
    '/modules',
    {
      onRequest: admin,
      schema: { tags: ['modules'], summary: 'Create a module', body: s.createModuleBody, response: { 201: s.moduleSchema, ...writeErrors } },
    },
    async (request, reply) => reply.status(201).send(await catalog.createModule(request.body as ModuleDraft)),
  );
  app.get(
    '/modules',
    { schema: { tags: ['modules'], summary: 'List modules', response: { 200: list(s.moduleSchema), ...readErrors } } },
    async () => ({
      items: await catalog.listModules(),
    }),
  );
  app.get(
    '/modules/:sku',
    {
      schema: {
        tags: ['modules'],
        summary: 'Get a module with the products that accept it',
        params: s.skuParams,
        response: { 200: s.moduleSchema, ...readErrors },
      },
    },
    async (request) => catalog.getModule((request.params as { sku: string }).sku),
  );
  app.patch(
    '/modules/:sku',
    {
      onRequest: admin,
      schema: {
        tags: ['modules'],
        summary: 'Change a module',
        params: s.skuParams,
        body: s.updateModuleBody,
        response: { 200: s.moduleSchema, ...writeErrors },
      },
    },
    async (request) => catalog.updateModule((request.params as { sku: string }).sku, request.body as ModulePatch),
  );
  app.post(
    '/modules/:sku/retire',
    {
      onRequest: admin,
      schema: {
        tags: ['modules'],
        summary: 'Retire a module (kept, no longer sold)',
        params: s.skuParams,
        response: { 200: s.moduleSchema, ...writeErrors },
      },
    },
    async (request) => catalog.retireModule((request.params as { sku: string }).sku),
  );

  app.post(
    '/products',
    {
      onRequest: admin,
      schema: { tags: ['products'], summary: 'Create a product', body: s.createProductBody, response: { 201: s.productSchema, ...writeErrors } },
    },
    async (request, reply) => reply.status(201).send(await catalog.createProduct(request.body as ProductDraft)),
  );
  app.get(
    '/products',
    {
      schema: { tags: ['products'], summary: 'List products', querystring: s.productQuery, response: { 200: list(s.productSchema), ...readErrors } },
    },
    async (request) => ({ items: await catalog.listProducts(request.query as { familyCode?: string; status?: string }) }),
  );
  app.get(
    '/products/:sku',
    { schema: { tags: ['products'], summary: 'Get a product', params: s.skuParams, response: { 200: s.productSchema, ...readErrors } } },
    async (request) => catalog.getProduct((request.params as { sku: string }).sku),
  );
  app.patch(
    '/products/:sku',
    {
      onRequest: admin,
      schema: {
        tags: ['products'],
        summary: 'Change a product',
        params: s.skuParams,
        body: s.updateProductBody,
        response: { 200: s.productSchema, ...writeErrors },
      },
    },
    async (request) => catalog.updateProduct((request.params as { sku: string }).sku, request.body as ProductPatch),
  );
  app.post(
    '/products/:sku/retire',
    {
      onRequest: admin,
      schema: {
        tags: ['products'],
        summary: 'Retire a product: kept with its history, no longer assignable',
        params: s.skuParams,
        response: { 200: s.productSchema, ...writeErrors },
      },
    },
    async (request) => catalog.retireProduct((request.params as { sku: string }).sku),
  );

  app.get(
    '/product-changes',
    {
      schema: {
        tags: ['product-changes'],
        summary: 'The table of allowed upgrades and downgrades',
        response: { 200: list(s.productChangeSchema), ...readErrors },
      },
    },
    async () => ({ items: await catalog.listChanges() }),
  );
  app.put(
    '/product-changes',
    {
      onRequest: admin,
      schema: {
        tags: ['product-changes'],
        summary: 'Allow a product change',
        body: s.productChangeBody,
        response: { 200: s.productSchema, ...writeErrors },
      },
    },
    async (request) => {
      const body = request.body as { fromSku: string; toSku: string; kind: ChangeKind };
      return catalog.allowChange(body.fromSku, body.toSku, body.kind);
    },
  );
  app.delete(
    '/product-changes/:fromSku/:toSku',
    {
      onRequest: admin,
      schema: {
        tags: ['product-changes'],
        summary: 'Remove a product change',
        params: s.changeParams,
        response: { 200: s.productSchema, ...writeErrors },
      },
    },
    async (request) => {
      const params = request.params as { fromSku: string; toSku: string };
      return catalog.removeChange(params.fromSku, params.toSku);
    },
  );
}
