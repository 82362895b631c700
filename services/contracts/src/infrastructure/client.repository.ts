import { isRefusal, type Decision, type Refusal } from '@licensing/domain';
import type { CloudEvent } from '@licensing/events';
import { OutboxRelay } from '@licensing/messaging';
import { AggregateRepository, aggregateSchema, type AggregateDocument, type Outcome } from '@licensing/persistence';
import { InjectConfig, InjectLogger, orThrow, type Clock, type Logger } from '@licensing/platform';
import { Deadlines, jobIdOf } from '@licensing/service-kit';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { ContractsConfig } from '../contracts.config';
import { clientKey, withDefaults, type ChangeContext, type Client, type LifecyclePolicy } from '../domain/client.aggregate';
import { withDerived } from '../domain/client.lifecycle';
import { parseDay, type CalendarDay } from '../domain/dates';
import { LIFECYCLE_JOB, LIFECYCLE_QUEUE, type LifecycleJob } from './contracts.queues';

export const CLIENTS = 'clients';

/** One document per client (`<partnerId>/<clientId>`); the sweep and the pool's answers find clients by their assignments. */
export const clientModel = {
  name: CLIENTS,
  schema: aggregateSchema(CLIENTS, [
    [{ 'state.assignments.deadline': 1 }],
    [{ 'state.assignments.assignmentId': 1 }],
    [{ 'state.nextDueOn': 1 }],
    [{ 'state.partnerId': 1, 'state.monthlySkus': 1 }],
  ]),
};

/** The request or event a change answers: its events carry these ids. */
export interface Cause {
  correlationId?: string;
  causationId?: string;
}

const causeOf = (event: CloudEvent): Cause => ({ correlationId: event.correlationid, causationId: event.id });

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
  private readonly policy: LifecyclePolicy;

  constructor(
    @InjectModel(CLIENTS) model: Model<AggregateDocument<Client>>,
    relay: OutboxRelay,
    @InjectConfig() config: ContractsConfig,
    @InjectQueue(LIFECYCLE_QUEUE) private readonly lifecycle: Queue<LifecycleJob>,
    private readonly deadlines: Deadlines,
    @InjectLogger() private readonly logger: Logger,
  ) {
    super(model, relay);
    this.policy = { reminderDays: config.reminderDays };
  }

  get lifecyclePolicy(): LifecyclePolicy {
    return this.policy;
  }

  /**
   * Runs a domain decision on one client and saves it with its events (nothing for a no-op). 'Now' is read on each attempt, so a retry after a version conflict decides anew;
   * with a `dedupeKey` (an event id) a redelivery changes nothing.
   */
  decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>): Promise<Decided<R>>;
  decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey: string): Promise<Outcome<Client, R>>;
  async decide<R>(id: string, clock: Clock, cause: Cause, decide: Decide<R>, dedupeKey?: string): Promise<Outcome<Client, R>> {
    let dueBefore: CalendarDay | null = null;
    const outcome: Outcome<Client, R> = await this.execute<R>(
      id,
      (state) => {
        const ctx = { now: clock(), ...cause };
        dueBefore = state?.nextDueOn ?? null;
        const decided = decide(state ? withDefaults(state) : null, ctx);
        // Derived fields (the sweep's index, the monthly skus) are computed in one place, on every save.
        return decided.state ? { ...decided, state: withDerived(decided.state, this.policy, ctx.now.toISOString().slice(0, 10)) } : decided;
      },
      dedupeKey,
    );
    // A document the decision left as it was may predate a field: callers read it with its defaults.
    if (outcome.state) outcome.state = withDefaults(outcome.state);
    const due = outcome.state?.nextDueOn ?? null;
    if (!outcome.duplicate && outcome.state && due !== null && due !== dueBefore) await this.remindDue(outcome.state, due);
    return outcome;
  }

  /**
   * The change an event asks of one client, at most once per event id (a redelivery finds it `duplicate`), its events caused by
   * the event; `absent` is the result when there is no such client.
   */
  decideOnEvent<R>(
    event: CloudEvent,
    id: string,
    clock: Clock,
    absent: R,
    decide: (client: Client, ctx: ChangeContext) => Decision<Client, R>,
  ): Promise<Outcome<Client, R>> {
    return this.decide(id, clock, causeOf(event), (client, ctx) => (client ? decide(client, ctx) : { result: absent }), event.id);
  }

  /**
   * A command on one client, saved as {@link decide} saves it: a refusal writes nothing and is thrown as the error the edge
   * answers with; otherwise the result, the client as saved and its version.
   */
  async decideOrThrow<R>(
    id: string,
    clock: Clock,
    cause: Cause,
    decide: (client: Client | null, ctx: ChangeContext) => Decision<Client, R> | Refusal,
  ): Promise<{ result: R; client: Client; version: number }> {
    const outcome = await this.decide(id, clock, cause, (client, ctx) => refusalAsResult(decide(client, ctx)));
    return { result: orThrow(outcome.result), client: outcome.state as Client, version: outcome.version };
  }

  /** A reminder to look at the client on the day something falls due; the sweep finds it if the reminder is lost (DESIGN §4). */
  private async remindDue(client: Client, day: CalendarDay): Promise<void> {
    const { partnerId, clientId } = client;
    try {
      await this.deadlines.remind(this.lifecycle, LIFECYCLE_JOB, jobIdOf('due', partnerId, clientId, day), parseDay(day), { partnerId, clientId });
    } catch (error) {
      this.logger.warn({ err: error, partnerId, clientId, day }, 'could not schedule the client reminder: the lifecycle sweep will find it');
    }
  }

  /** Clients with something due by `today` (the lifecycle sweep's work list), in id order after `after`. */
  dueBy(today: CalendarDay, limit: number, after?: string): Promise<ClientRef[]> {
    return this.clientsWhere({ 'state.nextDueOn': { $ne: null, $lte: today }, ...(after ? { _id: { $gt: after } } : {}) }, limit);
  }

  /** A partner's clients holding monthly contracts of any of `skus` (M4 events find them by it). */
  withMonthly(partnerId: string, skus: readonly string[]): Promise<ClientRef[]> {
    return this.clientsWhere({ _id: ofPartner(partnerId), 'state.monthlySkus': { $in: [...skus] } }, 100_000);
  }

  async get(partnerId: string, clientId: string): Promise<AggregateDocument<Client> | null> {
    const doc = await this.load(clientKey(partnerId, clientId));
    return doc ? { ...doc, state: withDefaults(doc.state) } : null;
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
