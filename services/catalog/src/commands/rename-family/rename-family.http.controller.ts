import { Access, Roles } from '@licensing/platform';
import { Body, Controller, Param, Patch } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { RenameFamilyHandler } from './rename-family.handler';

@Controller('families')
export class RenameFamilyHttpController {
  constructor(private readonly handler: RenameFamilyHandler) {}

  @Patch(':code')
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['families'],
    summary: 'Rename a product family',
    params: s.codeParams,
    body: s.renameFamilyBody,
    response: { 200: s.familySchema, ...writeErrors },
  })
  rename(@Param('code') code: string, @Body() body: { name: string }) {
    return this.handler.execute(code, body.name);
  }
}
