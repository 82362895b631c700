import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey } from '../../domain/client.aggregate';
import { activateDevice, recordHeartbeat, removeDevice } from '../../domain/client.services';
import type { Device } from '../../domain/contract.rules';
import { ClientRepository } from '../../infrastructure/client.repository';

/** C8: devices take and give back a service's licenses, checked inside the client document. */
@Injectable()
export class ManageDevicesHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async activate(
    partnerId: string,
    clientId: string,
    sku: string,
    deviceId: string,
    correlationId: string,
  ): Promise<{ device: Device; created: boolean }> {
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      activateDevice(client, sku, deviceId, ctx),
    );
    return result;
  }

  async remove(partnerId: string, clientId: string, sku: string, deviceId: string, correlationId: string): Promise<Device> {
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      removeDevice(client, sku, deviceId, ctx),
    );
    return result;
  }

  async heartbeat(partnerId: string, clientId: string, sku: string, deviceId: string, correlationId: string): Promise<Device> {
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      recordHeartbeat(client, sku, deviceId, ctx),
    );
    return result;
  }
}
