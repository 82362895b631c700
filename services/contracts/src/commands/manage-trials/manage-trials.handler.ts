import { randomUUID } from 'node:crypto';
import { CatalogCopy } from '@licensing/catalog-copy';
import { InjectClock, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey } from '../../domain/client.aggregate';
import { extendTrialOf, startTrialOf } from '../../domain/client.trials';
import type { Contract } from '../../domain/contract.rules';
import { ClientRepository } from '../../infrastructure/client.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';

export interface TrialView {
  contractId: string;
  sku: string;
  maxDevices: number;
  startsOn: string;
  endsOn: string;
  extended: boolean;
}

const trialView = (c: Contract): TrialView => ({
  contractId: c.contractId,
  sku: c.sku,
  maxDevices: c.licenses,
  startsOn: c.startsOn,
  endsOn: c.endsOn,
  extended: c.trial?.extended ?? false,
});

/** C10: trials start without the pool, for 30 days, and may be extended once. */
@Injectable()
export class ManageTrialsHandler {
  constructor(
    private readonly clients: ClientRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  async start(partnerId: string, clientId: string, sku: string, correlationId: string): Promise<TrialView> {
    const lookup = await skuLookup(this.catalog, [sku]);
    const contractId = randomUUID();
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      startTrialOf(client, sku, contractId, lookup, ctx),
    );
    return trialView(result);
  }

  async extend(partnerId: string, clientId: string, sku: string, correlationId: string): Promise<TrialView> {
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      extendTrialOf(client, sku, ctx),
    );
    return trialView(result);
  }
}
