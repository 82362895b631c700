import { Access, InjectConfig, Roles, preferredWaitMs } from '@licensing/platform';
import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { answerExchange, readErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import type { PointsConfig } from '../../points.config';
import { GetExchangeHandler } from './get-exchange.handler';

@Controller('partners/:partnerId/points/exchanges')
export class GetExchangeHttpController {
  constructor(
    private readonly handler: GetExchangeHandler,
    @InjectConfig() private readonly config: PointsConfig,
  ) {}

  @Get(':exchangeId')
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['exchanges'],
    summary: 'An exchange and its state (pending, completed, refunded)',
    description: 'Answers 200 with the exchange in any state. `Prefer: wait=N` waits up to N seconds for a final state first.',
    params: s.exchangeParams,
    headers: s.preferHeaders,
    response: { 200: s.exchangeSchema, ...readErrors },
  })
  async get(
    @Param('partnerId') partnerId: string,
    @Param('exchangeId') exchangeId: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const waitMs = preferredWaitMs(prefer, this.config.maxWaitSeconds);
    return answerExchange(reply, await this.handler.execute(partnerId, exchangeId, waitMs), waitMs, 200);
  }
}
