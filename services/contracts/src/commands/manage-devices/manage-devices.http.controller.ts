import { Access, CorrelationId, errorResponses } from '@licensing/platform';
import { Controller, Delete, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import * as s from '../../http/contracts.schemas';
import { ManageDevicesHandler } from './manage-devices.handler';

const deviceErrors = errorResponses(400, 401, 403, 404, 409);

@Controller('partners/:partnerId/clients/:clientId/services/:sku/devices/:deviceId')
export class ManageDevicesHttpController {
  constructor(private readonly handler: ManageDevicesHandler) {}

  @Put()
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['devices'],
    summary: "Activate a device's agent on a service: it takes one of the service's licenses (C8)",
    description:
      'Never more devices than the licenses of the contracts active or in grace: 409 CONTRACTS.NO_FREE_LICENSE. 201 when activated, 200 when ' +
      'the device was active already (nothing changes).',
    params: s.deviceParams,
    response: { 200: s.deviceSchema, 201: s.deviceSchema, ...deviceErrors },
  })
  async activate(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Param('deviceId') deviceId: string,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { device, created } = await this.handler.activate(partnerId, clientId, sku, deviceId, correlationId);
    reply.status(created ? 201 : 200);
    return device;
  }

  @Delete()
  @HttpCode(204)
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['devices'],
    summary: 'Remove a device: its license is free again (C8)',
    params: s.deviceParams,
    response: { 204: { type: 'null' }, ...deviceErrors },
  })
  async remove(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Param('deviceId') deviceId: string,
    @CorrelationId() correlationId: string,
  ): Promise<void> {
    await this.handler.remove(partnerId, clientId, sku, deviceId, correlationId);
  }

  @Post('heartbeat')
  @HttpCode(200)
  @Access({ partner: 'write' })
  @RouteSchema({
    tags: ['devices'],
    summary: 'Record that a device was seen now (C8); at expiry the devices seen longest ago lose their license first (C9)',
    params: s.deviceParams,
    response: { 200: s.deviceSchema, ...deviceErrors },
  })
  heartbeat(
    @Param('partnerId') partnerId: string,
    @Param('clientId') clientId: string,
    @Param('sku') sku: string,
    @Param('deviceId') deviceId: string,
    @CorrelationId() correlationId: string,
  ) {
    return this.handler.heartbeat(partnerId, clientId, sku, deviceId, correlationId);
  }
}
