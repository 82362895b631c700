import { Access, CorrelationId } from '@licensing/platform';
import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { PurchaseOrder } from '../../domain/pool.aggregate';
import { writeErrors } from '../../http/pool.http';
import * as s from '../../http/pool.schemas';
import { PurchaseStockHandler } from './purchase-stock.handler';

@Controller('partners/:partnerId/pool')
export class PurchaseStockHttpController {
  constructor(private readonly handler: PurchaseStockHandler) {}

  @Post('purchases')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['pool'],
    summary: 'Buy licenses into the pool (P2); taken once per orderId',
    description:
      '201 when the order adds stock; 200 with duplicate true when the same order was taken before; 409 POOL.ORDER_CONFLICT for the same orderId with other lines.',
    params: s.partnerParams,
    body: s.purchaseBody,
    response: { 200: s.purchaseSchema, 201: s.purchaseSchema, ...writeErrors },
  })
  async purchase(
    @Param('partnerId') partnerId: string,
    @Body() order: PurchaseOrder,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const answer = await this.handler.execute(partnerId, order, correlationId);
    reply.status(answer.duplicate ? 200 : 201);
    return answer;
  }
}
