import { Access, CorrelationId, Roles } from '@licensing/platform';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { RenewMonthHandler } from './renew-month.handler';

@Controller('points/renewals')
export class RenewMonthHttpController {
  constructor(private readonly handler: RenewMonthHandler) {}

  @Post()
  @HttpCode(200)
  @Access({ role: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['renewals'],
    summary: 'Run the monthly renewal (M4) for a month now (points-admin); it also runs by itself on the 1st',
    description: 'Safe to repeat: licenses already paid for the month are not debited again. The current or the next month only.',
    body: s.renewalBody,
    response: { 200: s.renewalSummarySchema, ...writeErrors },
  })
  renew(@Body() body: { month: string }, @CorrelationId() correlationId: string) {
    return this.handler.execute(body.month, correlationId);
  }
}
