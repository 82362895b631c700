import {
  Access,
  CorrelationId,
  CurrentPrincipal,
  InjectConfig,
  requirePartnerAccess,
  Roles,
  type Principal,
  preferredWaitMs,
} from '@licensing/platform';
import { Body, Controller, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { RequestedLine } from '../../domain/pricing';
import { answerExchange, writeErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import type { PointsConfig } from '../../points.config';
import { ExchangeHandler } from './exchange.handler';

@Controller('partners/:partnerId/points/exchanges')
export class ExchangeHttpController {
  constructor(
    private readonly handler: ExchangeHandler,
    @InjectConfig() private readonly config: PointsConfig,
  ) {}

  // A quote changes nothing, so whoever may read the wallet may ask for one (checked before the
  // body is read); the exchange itself is for the partner alone, once the query says which it is.
  @Post()
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['exchanges'],
    summary: 'MSSP Command: exchange points for monthly licenses in the pool, or quote it (?dryRun=true)',
    description:
      'Debits the wallet and asks the pool to credit the licenses (term 1). Answers 202 with Location while pending, 200 once completed or refunded. ' +
      '`Prefer: wait=N` waits up to N seconds for the final state. With ?dryRun=true answers {cost, balanceAfter} and changes nothing.',
    params: s.partnerParams,
    querystring: s.exchangeQuery,
    headers: s.exchangeHeaders,
    body: s.exchangeBody,
    response: {
      200: { ...s.exchangeSchema, properties: { ...s.exchangeSchema.properties, ...s.quoteSchema.properties } },
      202: s.exchangeSchema,
      ...writeErrors,
    },
  })
  async exchange(
    @Param('partnerId') partnerId: string,
    @Query('dryRun') dryRun: boolean,
    @Body() body: { lines: RequestedLine[] },
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (dryRun) {
      reply.status(200);
      return this.handler.quote(partnerId, body.lines);
    }
    requirePartnerAccess(principal, partnerId, 'write');
    const waitMs = preferredWaitMs(prefer, this.config.maxWaitSeconds);
    const { exchange, warnings, replayed } = await this.handler.request(partnerId, body.lines, idempotencyKey ?? null, correlationId, waitMs);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return answerExchange(reply, { ...exchange, warnings }, waitMs, 202);
  }
}
