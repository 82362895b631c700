import { Access, CorrelationId, Roles } from '@licensing/platform';
import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { writeErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { CreditPointsHandler } from './credit-points.handler';

@Controller('partners/:partnerId/points/credits')
export class CreditPointsHttpController {
  constructor(private readonly handler: CreditPointsHandler) {}

  @Post()
  @Access({ role: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['wallet'],
    summary: 'Credit points bought or granted (points-admin)',
    description:
      'Once per Idempotency-Key, ever: a replay answers 200 with the wallet as it is and `idempotent-replayed: true`; the same key with another amount or reason is refused (409 POINTS.IDEMPOTENCY_KEY_REUSED).',
    params: s.partnerParams,
    headers: s.creditHeaders,
    body: s.creditBody,
    response: { 201: s.walletSchema, 200: s.walletSchema, ...writeErrors },
  })
  async credit(
    @Param('partnerId') partnerId: string,
    @Headers('idempotency-key') creditId: string,
    @Body() body: { amount: number; reason: string },
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { wallet, replayed } = await this.handler.execute(partnerId, { creditId, amount: body.amount, reason: body.reason }, correlationId);
    if (replayed) reply.header('idempotent-replayed', 'true');
    reply.status(replayed ? 200 : 201);
    return wallet;
  }
}
