import type { ManagementModel } from '@licensing/events';
import { Access, CorrelationId, InjectClock, type Clock } from '@licensing/platform';
import { Body, Controller, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { clientView } from '../../contracts.views';
import { writeErrors } from '../../http/contracts.http';
import * as s from '../../http/contracts.schemas';
import { ManageServiceHandler } from './manage-service.handler';

@Controller('partners/:partnerId/clients/:clientId')
export class ManageServiceHttpController {
  constructor(
    private readonly handler: ManageServiceHandler,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post('contracts/:contractId/cancellation')
  @HttpCode(200)
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['contracts'],
    summary: 'Cancel a contract, recovering its unused licenses (C5), or see exactly what it would credit (`?dryRun=true`)',
    description:
      "recovered = floor(N × daysRemaining ÷ daysTotal) per term line, back to the pool with the contract's terms; 0 once the end is reached; " +
      "never for a trial. Cancelling a product's contract also cancels the module contracts that share its end (C7). Devices beyond the licenses " +
      'left lose theirs, longest unseen first. The dry run answers the same lines and changes nothing.',
    params: s.contractParams,
    querystring: s.dryRunQuery,
    response: { 200: s.cancellationSchema, ...writeErrors },
  })
  cancel(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('contractId') contractId: string,
    @Query() query: { dryRun: boolean },
    @CorrelationId() correlationId: string,
  ) {
    return this.handler.cancel(partnerId, clientId, contractId, query.dryRun, correlationId);
  }

  @Post('services/:sku/grouping')
  @HttpCode(200)
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['services'],
    summary: "Group a service's contracts into one (C6), or see the end date it would get (`?dryRun=true`)",
    description:
      'The contracts active or in grace become one starting today, ending today + floor(Σ licenses × daysRemaining ÷ Σ licenses) days; it keeps ' +
      "its parts' licenses per term. Each module's contracts become one ending with it. Annual and monthly contracts cannot be grouped " +
      '(409 CONTRACTS.NOT_GROUPABLE). Needed before an early renewal or a new module.',
    params: s.serviceParams,
    querystring: s.dryRunQuery,
    response: { 200: s.groupingSchema, ...writeErrors },
  })
  group(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Query() query: { dryRun: boolean },
    @CorrelationId() correlationId: string,
  ) {
    return this.handler.group(partnerId, clientId, sku, query.dryRun, correlationId);
  }

  @Patch('services/:sku')
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['services'],
    summary: "Change a service's auto-renew flag or management model",
    description: 'The management model must be one the product allows (400 CONTRACTS.MANAGEMENT_MODEL_NOT_ALLOWED). Answers the client.',
    params: s.serviceParams,
    body: s.servicePatchBody,
    response: { 200: s.clientSchema, ...writeErrors },
  })
  async update(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Body() body: { autoRenew?: boolean; managementModel?: ManagementModel },
    @CorrelationId() correlationId: string,
  ) {
    const { client, version } = await this.handler.update(partnerId, clientId, sku, body, correlationId);
    return clientView(client, version, this.clock());
  }
}
