import { Access, CorrelationId, InjectConfig, preferredWaitMs } from '@licensing/platform';
import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { ContractsConfig } from '../../contracts.config';
import type { AssignmentRequest } from '../../domain/client.aggregate';
import { answerAssignment, writeErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { RequestAssignmentHandler } from './request-assignment.handler';

@Controller('partners/:partnerId/clients/:clientId/assignments')
export class RequestAssignmentHttpController {
  constructor(
    private readonly handler: RequestAssignmentHandler,
    @InjectConfig() private readonly config: ContractsConfig,
  ) {}

  @Post()
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['assignments'],
    summary: "Assign licenses of a product (and its modules) from the partner's pool to a client",
    description:
      'Checks the product, its term and management model, the family rule (C1) and the modules (C7) in the client document, then asks the pool ' +
      'to reserve every line. Answers 202 with Location while the pool has not answered, 200 once activated or rejected. ' +
      '`Prefer: wait=N` waits up to N seconds for the final state. The same Idempotency-Key answers the same assignment; with another body, 409.',
    params: s.clientParams,
    headers: s.assignmentHeaders,
    body: s.assignmentBody,
    response: { 200: s.assignmentSchema, 202: s.assignmentSchema, ...writeErrors },
  })
  async request(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Body() body: AssignmentRequest,
    @Headers('idempotency-key') idempotencyKey: string,
    @Headers('prefer') prefer: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const waitMs = preferredWaitMs(prefer, this.config.maxWaitSeconds);
    const { assignment, replayed } = await this.handler.execute(partnerId, clientId, body, idempotencyKey, correlationId, waitMs);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return answerAssignment(reply, partnerId, assignment, waitMs, 202);
  }
}
