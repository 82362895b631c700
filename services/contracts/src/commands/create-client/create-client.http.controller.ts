import { Access, CorrelationId } from '@licensing/platform';
import { Body, Controller, Param, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { writeErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { CreateClientHandler } from './create-client.handler';

@Controller('partners/:partnerId/clients')
export class CreateClientHttpController {
  constructor(private readonly handler: CreateClientHandler) {}

  @Post()
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['clients'],
    summary: "Register a partner's client",
    description: '201 with the new client; 409 CONTRACTS.CLIENT_EXISTS when the partner already has a client with this id.',
    params: s.partnerParams,
    body: s.createClientBody,
    response: { 201: s.clientSchema, ...writeErrors },
  })
  create(@Param('partnerId') partnerId: string, @Body() body: { clientId: string; name: string }, @CorrelationId() correlationId: string) {
    return this.handler.execute(partnerId, body.clientId, body.name, correlationId);
  }
}
