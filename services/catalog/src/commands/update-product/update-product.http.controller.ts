import { Access, Roles } from '@licensing/platform';
import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { ProductPatch } from '../../domain/product.aggregate';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { UpdateProductHandler } from './update-product.handler';

@Controller('products')
export class UpdateProductHttpController {
  constructor(private readonly handler: UpdateProductHandler) {}

  @Patch(':sku')
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['products'],
    summary: 'Change a product',
    params: s.skuParams,
    body: s.updateProductBody,
    response: { 200: s.productSchema, ...writeErrors },
  })
  update(@Param('sku') sku: string, @Body() patch: ProductPatch) {
    return this.handler.update(sku, patch);
  }

  @Post(':sku/retire')
  @HttpCode(200)
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['products'],
    summary: 'Retire a product: kept with its history, no longer assignable',
    params: s.skuParams,
    response: { 200: s.productSchema, ...writeErrors },
  })
  retire(@Param('sku') sku: string) {
    return this.handler.retire(sku);
  }
}
