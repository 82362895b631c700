import { Access, Roles } from '@licensing/platform';
import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { ModulePatch } from '../../domain/module.aggregate';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { UpdateModuleHandler } from './update-module.handler';

@Controller('modules')
export class UpdateModuleHttpController {
  constructor(private readonly handler: UpdateModuleHandler) {}

  @Patch(':sku')
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['modules'],
    summary: 'Change a module',
    params: s.skuParams,
    body: s.updateModuleBody,
    response: { 200: s.moduleSchema, ...writeErrors },
  })
  update(@Param('sku') sku: string, @Body() patch: ModulePatch) {
    return this.handler.update(sku, patch);
  }

  @Post(':sku/retire')
  @HttpCode(200)
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['modules'],
    summary: 'Retire a module (kept, no longer sold)',
    params: s.skuParams,
    response: { 200: s.moduleSchema, ...writeErrors },
  })
  retire(@Param('sku') sku: string) {
    return this.handler.retire(sku);
  }
}
