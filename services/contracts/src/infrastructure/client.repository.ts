import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import type { CloudEvent } from '@licensing/events';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, type AggregateDocument, type Outcome } from '@licensing/persistence';
import type { Clock } from '@licensing/platform';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { clientKey, type ChangeContext, type Client } from '../domain/client.aggregate';

export const CLIENTS = 'clients';

/** One document per client (`<partnerId>/<clientId>`); the sweep and the pool's answers find clients by their assignments. */
export const clientModel = {
  name: CLIENTS,
  schema: aggregateSchema(CLIENTS, [[{ 'state.assignments.deadline': 1 }], [{ 'state.assignments.assignmentId': 1 }]]),
};

/** The request or event a change answers: its events carry these ids. */
export interface Cause {
  correlationId?: string;
  causationId?: string;
}

export const causeOf = (event: CloudEvent): Cause => ({ correlationId: event.correlationid, causationId: event.id });

export interface ClientRef {
  partnerId: string;
  clientId: string;
}

type Decide<R> = (client: Client | null, ctx: ChangeContext) => Decision<Client, R>;

/** A command's refusal as the result of a decision that writes nothing. */
export const refusalAsResult = <R>(decided: Decision<Client, R> | Refusal): Decision<Client, R | Refusal> =>
  isRefusal(decided) ? { result: decided } : decided;
/** The outcome of a decision taken without a dedupe key: it always ran. */
type Decided<R> = Extract<Outcome<Client, R>, { duplicate: false }>;

/** Every client id of a partner sorts between these bounds ('0' follows '/'). */
const ofPartner = (partnerId: string) => ({ $gt: `${partnerId}/`, $lt: `${partnerId}0` });

@Injectable()
export class ClientRepository extends AggregateRepository<Client> {
  constructor(@InjectModel(CLIENTS) model: Model<AggregateDocument<Client>>, relay: OutboxRelay) {
    super(model, relay);
  }

  /**
   * Runs a domain decision on one client and saves it with its events (nothing for a no-op). 'Now' is read on each attempt, so a retry after a version conflict decides anew;
   * with a `dedupeKey` (an event id) a redelivery changes nothing.
   */
  decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>): Promise<Decided<R>>;
  decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey: string): Promise<Outcome<Client, R>>;
  decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey?: string): Promise<Outcome<Client, R>> {
    return this.execute<R>(id, (state) => decide(state, { now: clock(), ...cause }), dedupeKey);
  }

  async get(partnerId: string, clientId: string): Promise<AggregateDocument<Client> | null> {
    return this.load(clientKey(partnerId, clientId));
  }

  /** A partner's clients in id order, after `afterClientId`. */
  async page(partnerId: string, afterClientId: string | undefined, limit: number): Promise<AggregateDocument<Client>[]> {
    const range = afterClientId === undefined ? ofPartner(partnerId) : { ...ofPartner(partnerId), $gt: clientKey(partnerId, afterClientId) };
    return this.find({ _id: range }, { limit });
  }

  /** The client that asked for an assignment, for a pool answer that does not name it. */
  async clientOfAssignment(partnerId: string, assignmentId: string): Promise<string | undefined> {
    const [found] = await this.clientsWhere({ _id: ofPartner(partnerId), 'state.assignments.assignmentId': assignmentId }, 1);
    return found?.clientId;
  }

  /** Clients with a pending assignment whose deadline is `now` or earlier (the sweep's work list). */
  withOverdueAssignments(now: Date, limit = 500): Promise<ClientRef[]> {
    return this.clientsWhere({ 'state.assignments': { $elemMatch: { status: 'pending', deadline: { $lte: now.toISOString() } } } }, limit);
  }

  private async clientsWhere(filter: Record<string, unknown>, limit: number): Promise<ClientRef[]> {
    const docs = (await this.model
      .find(filter as never)
      .select({ 'state.partnerId': 1, 'state.clientId': 1 })
      .sort({ _id: 1 })
      .limit(limit)
      .lean()
      .exec()) as { state: ClientRef }[];
    return docs.map((d) => ({ partnerId: d.state.partnerId, clientId: d.state.clientId }));
  }
}
