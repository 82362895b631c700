import { Access, Roles } from '@licensing/platform';
import { Body, Controller, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { CreateFamilyHandler } from './create-family.handler';

@Controller('families')
export class CreateFamilyHttpController {
  constructor(private readonly handler: CreateFamilyHandler) {}

  @Post()
  @Access({ role: Roles.catalogAdmin })
  @RouteSchema({
    tags: ['families'],
    summary: 'Create a product family',
    body: s.createFamilyBody,
    response: { 201: s.familySchema, ...writeErrors },
  })
  create(@Body() body: { code: string; name: string }) {
    return this.handler.execute(body.code, body.name);
  }
}
