import { Access } from '@licensing/platform';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/pool.http';
import * as s from '../../http/pool.schemas';
import { GetPoolHandler } from './get-pool.handler';

@Controller('partners/:partnerId/pool')
export class GetPoolHttpController {
  constructor(private readonly handler: GetPoolHandler) {}

  @Get()
  @Access({ partner: 'read' })
  @RouteSchema({
    tags: ['pool'],
    summary: 'The stock per sku and term (available, reserved, assigned), thresholds and open reservations; with asOf, the stock at that time',
    params: s.partnerParams,
    querystring: s.poolQuery,
    response: { 200: s.poolOrAsOfSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string, @Query('asOf') asOf?: string) {
    return asOf === undefined ? this.handler.get(partnerId) : this.handler.asOf(partnerId, new Date(asOf));
  }
}
