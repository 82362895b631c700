import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, createClient } from '../../domain/client.aggregate';
import { clientView } from '../../contracts.views';
import { ClientRepository } from '../../infrastructure/client.repository';

/** A partner registers a client, once per client id. */
@Injectable()
export class CreateClientHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async execute(partnerId: string, clientId: string, name: string, correlationId: string): Promise<ReturnType<typeof clientView>> {
    const { result, version } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (existing, ctx) =>
      createClient(existing, partnerId, clientId, name, ctx),
    );
    return clientView(result, version, this.clock());
  }
}
