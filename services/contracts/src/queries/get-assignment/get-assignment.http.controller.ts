import { Access, InjectConfig, preferredWaitMs } from '@licensing/platform';
import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { ContractsConfig } from '../../contracts.config';
import { answerAssignment, readErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { GetAssignmentHandler } from './get-assignment.handler';

@Controller('partners/:partnerId/clients/:clientId/assignments')
export class GetAssignmentHttpController {
  constructor(
    private readonly handler: GetAssignmentHandler,
    @InjectConfig() private readonly config: ContractsConfig,
  ) {}

  @Get(':assignmentId')
  @Access({ partner: 'read' })
  @RouteSchema({
    tags: ['assignments'],
    summary: 'An assignment and its state (pending, activated, rejected)',
    description: 'Answers 200 in any state. `Prefer: wait=N` waits up to N seconds for a final state first.',
    params: s.assignmentParams,
    headers: s.preferHeaders,
    response: { 200: s.assignmentSchema, ...readErrors },
  })
  async get(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('assignmentId') assignmentId: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const waitMs = preferredWaitMs(prefer, this.config.maxWaitSeconds);
    return answerAssignment(reply, partnerId, await this.handler.execute(partnerId, clientId, assignmentId, waitMs), waitMs, 200);
  }
}
