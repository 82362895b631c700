import { CatalogCopy } from '@licensing/catalog-copy';
import type { Term } from '@licensing/events';
import { InjectClock, orThrow, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import type { AssignmentView } from '../../contracts.views';
import { changePreview, requestChange, requestModule, requestRenewal, type ChangePreview } from '../../domain/client.sagas';
import { ClientRepository } from '../../infrastructure/client.repository';
import { skuLookup } from '../../infrastructure/sku-lookup';
import { SagaStarter, type SagaRequest } from '../start-saga/saga-starter';

type Started = Promise<{ assignment: AssignmentView; replayed: boolean }>;
type Asked = Omit<SagaRequest, 'skus' | 'route' | 'body'>;

/** C3, C4, C7: requests on a service that take licenses from the pool, each a saga like an assignment. */
@Injectable()
export class ServiceSagasHandler {
  constructor(
    private readonly sagas: SagaStarter,
    private readonly clients: ClientRepository,
    private readonly catalog: CatalogCopy,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** C3: renews every contract in force of the service (and its modules) for `termMonths`. */
  renew(asked: Asked, sku: string, termMonths: Term): Started {
    return this.sagas.start(
      { ...asked, skus: [sku], route: `services/${sku}/renewals`, body: { termMonths } },
      (client, id, lookup, timeoutMs, ctx) => requestRenewal(client, id, sku, termMonths, lookup, timeoutMs, ctx),
    );
  }

  /** C4: changes the product (a row of the change table); the old contracts end and are recovered when the pool answers. */
  change(asked: Asked, sku: string, toSku: string, termMonths: Term): Started {
    return this.sagas.start(
      { ...asked, skus: [sku, toSku], route: `services/${sku}/changes`, body: { toSku, termMonths } },
      (client, id, lookup, timeoutMs, ctx) => requestChange(client, id, sku, toSku, termMonths, lookup, timeoutMs, ctx),
    );
  }

  /** C4's dry run: what the change would end, recover and start today; changes nothing. */
  async previewChange(partnerId: string, clientId: string, sku: string, toSku: string, termMonths: Term): Promise<ChangePreview & { dryRun: true }> {
    const [doc, lookup] = await Promise.all([this.clients.get(partnerId, clientId), skuLookup(this.catalog, [sku, toSku])]);
    const { preview } = orThrow(changePreview(doc?.state ?? null, sku, toSku, termMonths, lookup, { now: this.clock() }));
    return { ...preview, dryRun: true };
  }

  /** C7: adds a module to a grouped service, ending with it. */
  addModule(asked: Asked, sku: string, moduleSku: string, quantity: number): Started {
    return this.sagas.start(
      { ...asked, skus: [sku, moduleSku], route: `services/${sku}/modules`, body: { sku: moduleSku, quantity } },
      (client, id, lookup, timeoutMs, ctx) => requestModule(client, id, sku, moduleSku, quantity, lookup, timeoutMs, ctx),
    );
  }
}
