import { Access, Roles } from '@licensing/platform';
import { Controller, Get, Param } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { GetReleaseHandler } from './get-release.handler';

@Controller('partners/:partnerId/points/monthly-releases')
export class GetReleaseHttpController {
  constructor(private readonly handler: GetReleaseHandler) {}

  @Get(':releaseId')
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['renewals'],
    summary: 'A release of monthly licenses and its state (pending, released, refused)',
    params: s.releaseParams,
    response: { 200: s.releaseSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string, @Param('releaseId') releaseId: string) {
    return this.handler.execute(partnerId, releaseId);
  }
}
