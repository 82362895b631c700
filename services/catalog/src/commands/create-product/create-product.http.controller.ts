import { Access, Roles } from '@licensing/platform';
import { Body, Controller, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { ProductDraft } from '../../domain/product.aggregate';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { CreateProductHandler } from './create-product.handler';

@Controller('products')
export class CreateProductHttpController {
  constructor(private readonly handler: CreateProductHandler) {}

  @Post()
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({ tags: ['products'], summary: 'Create a product', body: s.createProductBody, response: { 201: s.productSchema, ...writeErrors } })
  create(@Body() body: ProductDraft) {
    return this.handler.execute(body);
  }
}
