import { Access, Roles } from '@licensing/platform';
import { Body, Controller, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { ModuleDraft } from '../../domain/module.aggregate';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { CreateModuleHandler } from './create-module.handler';

@Controller('modules')
export class CreateModuleHttpController {
  constructor(private readonly handler: CreateModuleHandler) {}

  @Post()
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({ tags: ['modules'], summary: 'Create a module', body: s.createModuleBody, response: { 201: s.moduleSchema, ...writeErrors } })
  create(@Body() body: ModuleDraft) {
    return this.handler.execute(body);
  }
}
