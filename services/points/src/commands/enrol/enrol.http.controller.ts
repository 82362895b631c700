import { Access, CorrelationId, Roles } from '@licensing/platform';
import { Body, Controller, Param, Put } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { EnrolHandler } from './enrol.handler';

@Controller('partners/:partnerId/points/enrolment')
export class EnrolHttpController {
  constructor(private readonly handler: EnrolHandler) {}

  @Put()
  @Access({ role: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['wallet'],
    summary: 'Enrol a partner in the MSSP Points programme, or take it out (points-admin)',
    description: 'Idempotent. Leaving keeps the balance frozen: no credits, no exchanges, monthly licenses lapse at the next renewal.',
    params: s.partnerParams,
    body: s.enrolmentBody,
    response: { 200: s.walletSchema, ...writeErrors },
  })
  enrol(@Param('partnerId') partnerId: string, @Body() body: { enrolled: boolean }, @CorrelationId() correlationId: string) {
    return this.handler.execute(partnerId, body.enrolled, correlationId);
  }
}
