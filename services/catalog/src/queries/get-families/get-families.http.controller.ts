import { Controller, Get, Param } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { list, readErrors } from '../../http/catalog.http';
import * as s from '../../http/catalog.schemas';
import { GetFamiliesHandler } from './get-families.handler';

/** Reads need any valid token. */
@Controller('families')
export class GetFamiliesHttpController {
  constructor(private readonly handler: GetFamiliesHandler) {}

  @Get()
  @RouteSchema({ tags: ['families'], summary: 'List product families', response: { 200: list(s.familySchema), ...readErrors } })
  async list() {
    return { items: await this.handler.list() };
  }

  @Get(':code')
  @RouteSchema({ tags: ['families'], summary: 'Get a product family', params: s.codeParams, response: { 200: s.familySchema, ...readErrors } })
  get(@Param('code') code: string) {
    return this.handler.get(code);
  }
}
