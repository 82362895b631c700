import type { ChangeKind } from '@licensing/events';
import { Access, Roles } from '@licensing/platform';
import { Body, Controller, Delete, Param, Put } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { ChangeTableHandler } from './change-table.handler';

@Controller('product-changes')
export class ChangeTableHttpController {
  constructor(private readonly handler: ChangeTableHandler) {}

  @Put()
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['product-changes'],
    summary: 'Allow a product change',
    body: s.productChangeBody,
    response: { 200: s.productSchema, ...writeErrors },
  })
  allow(@Body() body: { fromSku: string; toSku: string; kind: ChangeKind }) {
    return this.handler.allow(body.fromSku, body.toSku, body.kind);
  }

  @Delete(':fromSku/:toSku')
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['product-changes'],
    summary: 'Remove a product change',
    params: s.changeParams,
    response: { 200: s.productSchema, ...writeErrors },
  })
  remove(@Param('fromSku') fromSku: string, @Param('toSku') toSku: string) {
    return this.handler.remove(fromSku, toSku);
  }
}
