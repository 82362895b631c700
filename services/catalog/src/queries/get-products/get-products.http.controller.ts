import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { list, readErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { GetProductsHandler } from './get-products.handler';

@Controller()
export class GetProductsHttpController {
  constructor(private readonly handler: GetProductsHandler) {}

  @Get('products')
  @RouteSchema({ tags: ['products'], summary: 'List products', querystring: s.productQuery, response: { 200: list(s.productSchema), ...readErrors } })
  async list(@Query() query: { familyCode?: string; status?: string }) {
    return { items: await this.handler.list(query) };
  }

  @Get('products/:sku')
  @RouteSchema({ tags: ['products'], summary: 'Get a product', params: s.skuParams, response: { 200: s.productSchema, ...readErrors } })
  get(@Param('sku') sku: string) {
    return this.handler.get(sku);
  }

  @Get('product-changes')
  @RouteSchema({
    tags: ['product-changes'],
    summary: 'The table of allowed upgrades and downgrades',
    response: { 200: list(s.productChangeSchema), ...readErrors },
  })
  async changes() {
    return { items: await this.handler.changes() };
  }
}
