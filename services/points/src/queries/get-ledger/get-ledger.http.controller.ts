import { Access, Roles } from '@licensing/platform';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { GetLedgerHandler, INVALID_LEDGER_CURSOR } from './get-ledger.handler';

const ledgerQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    before: { type: 'string', minLength: 1, maxLength: 200, description: 'the nextCursor of the previous page (opaque)' },
  },
} as const;

@Controller('partners/:partnerId/points/ledger')
export class GetLedgerHttpController {
  constructor(private readonly handler: GetLedgerHandler) {}

  @Get()
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['wallet'],
    summary: 'Every credit, debit, refund and renewal, newest first, paginated by cursor',
    description: `A projection of the wallet events (eventually consistent, usually within a second). The sum of all amounts is the balance. Every entry comes once whatever the page size; \`before\` is the previous page's \`nextCursor\` (400 ${INVALID_LEDGER_CURSOR} otherwise).`,
    params: s.partnerParams,
    querystring: ledgerQuery,
    response: { 200: s.ledgerSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string, @Query() query: { limit: number; before?: string }) {
    return this.handler.execute(partnerId, query.limit, query.before);
  }
}
