import type { Decision, Refusal } from '@licensing/domain';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, type ChangeContext, type Client } from '../../domain/client.aggregate';
import { activateDevice, recordHeartbeat, removeDevice } from '../../domain/client.services';
import type { Device } from '../../domain/contract.rules';
import { ClientRepository, refusalAsResult } from '../../infrastructure/client.repository';

/** C8: devices take and give back a service's licenses, checked inside the client document. */
@Injectable()
export class ManageDevicesHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  private async write<R>(
    partnerId: string,
    clientId: string,
    correlationId: string,
    decide: (client: Client | null, ctx: ChangeContext) => Decision<Client, R> | Refusal,
  ): Promise<R> {
    const outcome = await this.clients.decide(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      refusalAsResult(decide(client, ctx)),
    );
    return orThrow(outcome.result);
  }

  activate(partnerId: string, clientId: string, sku: string, deviceId: string, correlationId: string): Promise<{ device: Device; created: boolean }> {
    return this.write(partnerId, clientId, correlationId, (client, ctx) => activateDevice(client, sku, deviceId, ctx));
  }

  remove(partnerId: string, clientId: string, sku: string, deviceId: string, correlationId: string): Promise<Device> {
    return this.write(partnerId, clientId, correlationId, (client, ctx) => removeDevice(client, sku, deviceId, ctx));
  }

  heartbeat(partnerId: string, clientId: string, sku: string, deviceId: string, correlationId: string): Promise<Device> {
    return this.write(partnerId, clientId, correlationId, (client, ctx) => recordHeartbeat(client, sku, deviceId, ctx));
  }
}
