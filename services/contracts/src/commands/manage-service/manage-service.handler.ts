import { randomUUID } from 'node:crypto';
import { CatalogCopy } from '@licensing/catalog-copy';
import type { ManagementModel } from '@licensing/events';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { clientKey, type Client } from '../../domain/client.aggregate';
import {
  cancelContract,
  groupService,
  previewCancellation,
  previewGrouping,
  updateService,
  type CancellationView,
  type GroupingView,
} from '../../domain/client.services';
import { ClientRepository } from '../../infrastructure/client.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';

/** C5, C6 and the service's settings: one client write each, or a dry run that writes nothing. */
@Injectable()
export class ManageServiceHandler {
  constructor(
    private readonly clients: ClientRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  private async read(partnerId: string, clientId: string): Promise<Client | null> {
    return (await this.clients.get(partnerId, clientId))?.state ?? null;
  }

  /** C5: cancels a contract, or answers exactly what it would credit. */
  async cancel(partnerId: string, clientId: string, contractId: string, dryRun: boolean, correlationId: string): Promise<CancellationView> {
    if (dryRun) return orThrow(previewCancellation(await this.read(partnerId, clientId), contractId, { now: this.clock() }));
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      cancelContract(client, contractId, ctx),
    );
    return result;
  }

  /** C6: groups the service's contracts, or answers the end date the group would get. */
  async group(partnerId: string, clientId: string, sku: string, dryRun: boolean, correlationId: string): Promise<GroupingView> {
    const contractId = randomUUID();
    if (dryRun) return orThrow(previewGrouping(await this.read(partnerId, clientId), sku, contractId, { now: this.clock() }));
    const { result } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (client, ctx) =>
      groupService(client, sku, contractId, ctx),
    );
    return result;
  }

  /** Auto-renew and the management model (only one the product allows). */
  async update(
    partnerId: string,
    clientId: string,
    sku: string,
    patch: { autoRenew?: boolean; managementModel?: ManagementModel },
    correlationId: string,
  ): Promise<{ client: Client; version: number }> {
    const lookup = await skuLookup(this.catalog, [sku]);
    const { client, version } = await this.clients.decideOrThrow(clientKey(partnerId, clientId), this.clock, { correlationId }, (current, ctx) =>
      updateService(current, sku, patch, lookup, ctx),
    );
    return { client, version };
  }
}
