import { badRequest, InjectClock, notFound, type Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { ContractsCodes } from '../../domain/contracts.errors';
import { clientSummary, clientView, type ClientSummary } from '../../contracts.views';
import { ClientRepository } from '../../infrastructure/client.repository';

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The cursor is the last client id of a page, opaque to callers. */
const encodeCursor = (clientId: string): string => Buffer.from(clientId, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const clientId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!CLIENT_ID.test(clientId) || encodeCursor(clientId) !== cursor)
    throw badRequest(ContractsCodes.invalidCursor, 'cursor is not a nextCursor this API gave');
  return clientId;
}

@Injectable()
export class GetClientsHandler {
  constructor(
    private readonly clients: ClientRepository,
    @InjectClock() private readonly clock: Clock,
  ) {}

  /** A client with its services and contracts, their status as of today by the platform clock. */
  async get(partnerId: string, clientId: string): Promise<ReturnType<typeof clientView>> {
    const doc = await this.clients.get(partnerId, clientId);
    if (!doc) throw notFound(ContractsCodes.clientNotFound, `partner ${partnerId} has no client ${clientId}`);
    return clientView(doc.state, doc.version, this.clock());
  }

  /** A partner's clients in client id order, a page at a time. */
  async list(partnerId: string, limit: number, cursor?: string): Promise<{ items: ClientSummary[]; nextCursor: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const docs = await this.clients.page(partnerId, after, limit + 1);
    const items = docs.slice(0, limit).map((d) => clientSummary(d.state));
    const last = items.at(-1);
    return { items, nextCursor: docs.length > limit && last ? encodeCursor(last.clientId) : null };
  }
}
