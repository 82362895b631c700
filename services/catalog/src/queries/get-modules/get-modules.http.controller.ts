import { Controller, Get, Param } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { list, readErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { GetModulesHandler } from './get-modules.handler';

@Controller('modules')
export class GetModulesHttpController {
  constructor(private readonly handler: GetModulesHandler) {}

  @Get()
  @RouteSchema({ tags: ['modules'], summary: 'List modules', response: { 200: list(s.moduleSchema), ...readErrors } })
  async list() {
    return { items: await this.handler.list() };
  }

  @Get(':sku')
  @RouteSchema({
    tags: ['modules'],
    summary: 'Get a module with the products that accept it',
    params: s.skuParams,
    response: { 200: s.moduleSchema, ...readErrors },
  })
  get(@Param('sku') sku: string) {
    return this.handler.get(sku);
  }
}
