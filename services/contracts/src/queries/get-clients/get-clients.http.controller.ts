import { Access } from '@licensing/platform';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { readErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { GetClientsHandler } from './get-clients.handler';

@Controller('partners/:partnerId/clients')
export class GetClientsHttpController {
  constructor(private readonly handler: GetClientsHandler) {}

  @Get()
  @Access({ partner: 'read' })
  @RouteSchema({
    tags: ['clients'],
    summary: "A partner's clients, in client id order",
    description: "`limit` 1–200 (default 50); `cursor` is the previous page's `nextCursor` (400 CONTRACTS.INVALID_CURSOR otherwise).",
    params: s.partnerParams,
    querystring: s.clientsQuery,
    response: { 200: s.clientListSchema, ...readErrors },
  })
  list(@Param('partnerId') partnerId: string, @Query() query: { limit: number; cursor?: string }) {
    return this.handler.list(partnerId, query.limit, query.cursor);
  }

  @Get(':clientId')
  @Access({ partner: 'read' })
  @RouteSchema({
    tags: ['clients'],
    summary: 'A client with its services and contracts',
    description: "Each contract's status (active, in-grace, expired, cancelled) is today's, by the platform clock.",
    params: s.clientParams,
    response: { 200: s.clientSchema, ...readErrors },
  })
  get(@Param('partnerId') partnerId: string, @Param('clientId') clientId: string) {
    return this.handler.get(partnerId, clientId);
  }
}
