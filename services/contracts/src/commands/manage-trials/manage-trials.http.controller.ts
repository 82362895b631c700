import { Access, CorrelationId } from '@licensing/platform';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { ManageTrialsHandler } from './manage-trials.handler';

@Controller('partners/:partnerId/clients/:clientId/trials')
export class ManageTrialsHttpController {
  constructor(private readonly handler: ManageTrialsHandler) {}

  @Post()
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['trials'],
    summary: 'Start a trial of a trial edition (C10)',
    description:
      'Without the pool, from today for 30 days, for up to 250 devices; the family rule does not apply to trials. 409 CONTRACTS.TRIAL_RUNNING ' +
      'while one runs, 409 CONTRACTS.TRIAL_BLOCKED within 90 days of the end of the last trial of it. Assigning a paid product of the family ' +
      'while it runs converts it: its devices move to the paid service.',
    params: s.clientParams,
    body: s.trialBody,
    response: { 201: s.trialSchema, ...writeErrors },
  })
  start(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Body() body: { sku: string },
    @CorrelationId() correlationId: string,
  ) {
    return this.handler.start(partnerId, clientId, body.sku, correlationId);
  }

  @Post(':sku/extension')
  @HttpCode(200)
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['trials'],
    summary: 'Extend a running trial once by 30 days (C10: 60 days at most)',
    params: s.trialParams,
    response: { 200: s.trialSchema, ...writeErrors },
  })
  extend(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @CorrelationId() correlationId: string,
  ) {
    return this.handler.extend(partnerId, clientId, sku, correlationId);
  }
}
