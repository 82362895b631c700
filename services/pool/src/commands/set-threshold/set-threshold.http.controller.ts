import { Access, CorrelationId } from '@licensing/platform';
import { Body, Controller, Delete, Param, Put } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/pool.http';
import * as s from '../../http/pool.schemas';
import { SetThresholdHandler } from './set-threshold.handler';

@Controller('partners/:partnerId/pool/thresholds')
export class SetThresholdHttpController {
  constructor(private readonly handler: SetThresholdHandler) {}

  @Put(':sku')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['pool'],
    summary: 'Set the low-stock threshold of a sku (all terms together)',
    params: s.thresholdParams,
    body: s.thresholdBody,
    response: { 200: s.poolSchema, ...writeErrors },
  })
  set(@Param('partnerId') partnerId: string, @Param('sku') sku: string, @Body() body: { threshold: number }, @CorrelationId() correlationId: string) {
    return this.handler.execute(partnerId, sku, body.threshold, correlationId);
  }

  @Delete(':sku')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['pool'],
    summary: 'Remove the low-stock threshold of a sku',
    params: s.thresholdParams,
    response: { 200: s.poolSchema, ...writeErrors },
  })
  remove(@Param('partnerId') partnerId: string, @Param('sku') sku: string, @CorrelationId() correlationId: string) {
    return this.handler.execute(partnerId, sku, null, correlationId);
  }
}
