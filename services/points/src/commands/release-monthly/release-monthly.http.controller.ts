import { Access, answerOperation, CorrelationId } from '@licensing/platform';
import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { writeErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { ReleaseMonthlyHandler } from './release-monthly.handler';

@Controller('partners/:partnerId/points/monthly-releases')
export class ReleaseMonthlyHttpController {
  constructor(private readonly handler: ReleaseMonthlyHandler) {}

  @Post()
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['renewals'],
    summary: 'Release monthly licenses the partner no longer needs: they stop renewing (the partner itself)',
    description:
      'Once per Idempotency-Key, ever. The licenses leave the wallet at once, so no later renewal charges them (the paid month is not refunded), ' +
      'and the pool takes them out of its available stock: 202 with Location while it has not answered, then GET shows `released`, ' +
      'or `refused` when fewer are available in the pool (the rest are reserved or assigned), and the licenses are held and renewed again. ' +
      'A replay answers the release as it is with `idempotent-replayed: true`; the same key with another body is refused (409).',
    params: s.partnerParams,
    headers: s.releaseHeaders,
    body: s.releaseBody,
    response: { 200: s.releaseSchema, 202: s.releaseSchema, ...writeErrors },
  })
  async release(
    @Param('partnerId') partnerId: string,
    @Headers('idempotency-key') idempotencyKey: string,
    @Body() body: { sku: string; quantity: number },
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { release, replayed } = await this.handler.execute(partnerId, { sku: body.sku, quantity: body.quantity }, idempotencyKey, correlationId);
    if (replayed) reply.header('idempotent-replayed', 'true');
    const location = `/partners/${encodeURIComponent(partnerId)}/points/monthly-releases/${release.releaseId}`;
    return answerOperation(reply, release, { pending: release.status === 'pending', location, waitMs: 0, pendingStatus: 202 });
  }
}
