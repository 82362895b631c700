import { Access } from '@licensing/platform';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/pool.http';
import * as s from '../../http/pool.schemas';
import { movementView } from '../../http/pool.view';
import { GetMovementsHandler } from './get-movements.handler';

@Controller('partners/:partnerId/pool')
export class GetMovementsHttpController {
  constructor(private readonly handler: GetMovementsHandler) {}

  @Get('movements')
  @Access({ partner: 'read' })
  @RouteSchema({
    tags: ['pool'],
    summary: 'The movement ledger (P4): every change with its reason, reference, correlation id and time, oldest first',
    params: s.partnerParams,
    querystring: s.movementsQuery,
    response: { 200: s.movementPageSchema, ...readErrors },
  })
  async movements(@Param('partnerId') partnerId: string, @Query() q: { sku?: string; from?: string; to?: string; limit: number; cursor?: string }) {
    const page = await this.handler.execute(partnerId, {
      sku: q.sku,
      from: q.from === undefined ? undefined : new Date(q.from),
      to: q.to === undefined ? undefined : new Date(q.to),
      limit: q.limit,
      cursor: q.cursor,
    });
    return { items: page.items.map(movementView), nextCursor: page.nextCursor };
  }
}
