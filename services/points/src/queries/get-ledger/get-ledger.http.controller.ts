import { Access, Roles } from '@licensing/platform';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { GetLedgerHandler } from './get-ledger.handler';

@Controller('partners/:partnerId/points/ledger')
export class GetLedgerHttpController {
  constructor(private readonly handler: GetLedgerHandler) {}

  @Get()
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['wallet'],
    summary: 'Every credit, debit, refund and renewal, newest first, paginated by cursor',
    description: 'A projection of the wallet events (eventually consistent, usually within a second). The sum of all amounts is the balance.',
    params: s.partnerParams,
    querystring: s.ledgerQuery,
    response: { 200: s.ledgerSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string, @Query() query: { limit: number; before?: number }) {
    return this.handler.execute(partnerId, query.limit, query.before);
  }
}
