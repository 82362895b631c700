import type { Term } from '@licensing/events';
import { Access, badRequest, CorrelationId, InjectConfig, preferredWaitMs } from '@licensing/platform';
import { Body, Controller, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { ContractsConfig } from '../../contracts.config';
import type { AssignmentView } from '../../contracts.views';
import { answerAssignment, writeErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { ServiceSagasHandler } from './service-sagas.handler';

const SAGA_ANSWER =
  'Answers 202 with Location (the saga, under /assignments) while the pool has not answered, 200 once activated or rejected; ' +
  '`Prefer: wait=N` waits up to N seconds. The same Idempotency-Key answers the same saga; with another body, 409. ' +
  'One such request at a time per service (409 CONTRACTS.SERVICE_BUSY).';

@Controller('partners/:partnerId/clients/:clientId/services/:sku')
export class ServiceSagasHttpController {
  constructor(
    private readonly handler: ServiceSagasHandler,
    @InjectConfig() private readonly config: ContractsConfig,
  ) {}

  private async answer(
    reply: FastifyReply,
    partnerId: string,
    prefer: string | undefined,
    start: (waitMs: number) => Promise<{ assignment: AssignmentView; replayed: boolean }>,
  ) {
    const waitMs = preferredWaitMs(prefer, this.config.maxWaitSeconds);
    const { assignment, replayed } = await start(waitMs);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return answerAssignment(reply, partnerId, assignment, waitMs, 202);
  }

  @Post('renewals')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['services'],
    summary: 'Renew the contracts of a service (C3)',
    description:
      'New end = old end + term months, taken from the pool, for every product contract active or in grace and the modules that share its end. ' +
      'Early renewal only when the end is less than 12 months away, and only for a grouped service (one contract). After expiry it is a new sale ' +
      '(409 CONTRACTS.CONTRACT_EXPIRED). Monthly contracts renew with MSSP Points on the 1st (409 CONTRACTS.MONTHLY_RENEWS_WITH_POINTS). ' +
      SAGA_ANSWER,
    params: s.serviceParams,
    headers: s.sagaHeaders,
    body: s.renewalBody,
    response: { 200: s.assignmentSchema, 202: s.assignmentSchema, ...writeErrors },
  })
  renew(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Body() body: { termMonths: Term },
    @Headers('idempotency-key') idempotencyKey: string,
    @Headers('prefer') prefer: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.answer(reply, partnerId, prefer, (waitMs) =>
      this.handler.renew({ partnerId, clientId, idempotencyKey, correlationId, waitMs }, sku, body.termMonths),
    );
  }

  @Post('changes')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['services'],
    summary: 'Upgrade or downgrade the product of a service (C4), or see what it would do (`?dryRun=true`)',
    description:
      "Only along a row of the catalog's change table. When the pool has reserved the new product's licenses, in one client write the old " +
      "product's contracts (and its modules') end today and are recovered by C5, and the new contract starts today for its term; the devices move. " +
      '`dryRun=true` answers 200 with the contracts that would end, what each gives back and the new contract, and changes nothing (no Idempotency-Key needed). ' +
      SAGA_ANSWER,
    params: s.serviceParams,
    querystring: s.dryRunQuery,
    headers: s.preferHeaders,
    body: s.changeBody,
    response: { 200: { anyOf: [s.changePreviewSchema, s.assignmentSchema] }, 202: s.assignmentSchema, ...writeErrors },
  })
  change(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Query() query: { dryRun: boolean },
    @Body() body: { toSku: string; termMonths: Term },
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (query.dryRun) {
      // A dry run creates nothing: 200, as documented (Nest would answer a POST with 201).
      reply.status(200);
      return this.handler.previewChange(partnerId, clientId, sku, body.toSku, body.termMonths);
    }
    return this.answer(reply, partnerId, prefer, (waitMs) =>
      this.handler.change(
        { partnerId, clientId, idempotencyKey: requiredKey(idempotencyKey), correlationId, waitMs },
        sku,
        body.toSku,
        body.termMonths,
      ),
    );
  }

  @Post('modules')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['services'],
    summary: 'Add a module to a service (C7)',
    description:
      'The product must accept the module; at most as many licenses as the product; the service must be grouped (one contract, 409 ' +
      "CONTRACTS.GROUPING_REQUIRED) and active. The module takes the product contract's term from the pool, starts today and ends with it. " +
      SAGA_ANSWER,
    params: s.serviceParams,
    headers: s.sagaHeaders,
    body: s.moduleBody,
    response: { 200: s.assignmentSchema, 202: s.assignmentSchema, ...writeErrors },
  })
  addModule(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Body() body: { sku: string; quantity: number },
    @Headers('idempotency-key') idempotencyKey: string,
    @Headers('prefer') prefer: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.answer(reply, partnerId, prefer, (waitMs) =>
      this.handler.addModule({ partnerId, clientId, idempotencyKey, correlationId, waitMs }, sku, body.sku, body.quantity),
    );
  }
}

const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** A change that is not a dry run takes licenses: like every such request it needs an Idempotency-Key. */
function requiredKey(key: string | undefined): string {
  if (key === undefined || !KEY.test(key))
    throw badRequest('REQUEST.VALIDATION_FAILED', 'the Idempotency-Key header (1–200 of A-Z a-z 0-9 . _ : -) is required unless dryRun=true');
  return key;
}
