import { Access, Roles } from '@licensing/platform';
import { Controller, Get, Param } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/points.http';
import * as s from '../../http/points.schemas';
import { GetWalletHandler } from './get-wallet.handler';

@Controller('partners/:partnerId/points')
export class GetWalletHttpController {
  constructor(private readonly handler: GetWalletHandler) {}

  @Get()
  @Access({ partner: 'read', adminRole: Roles.pointsAdmin })
  @RouteSchema({
    tags: ['wallet'],
    summary: "A partner's wallet: enrolment, balance, monthly licenses",
    params: s.partnerParams,
    response: { 200: s.walletSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string) {
    return this.handler.execute(partnerId);
  }
}
