import type { Answer, ChaosPlatform, ServiceName } from './platform';
import type { Random } from './random';

/** Two annual products of one family (C1 refuses the second to a client holding the first) and a monthly one bought with points. */
export const FAMILY = 'chaos-endpoint';
export const PRODUCTS = ['CHAOS-STD', 'CHAOS-ADV'] as const;
export const MONTHLY = 'CHAOS-MSSP';
/**
 * A second monthly product, retired during the run (right after the pool's first restart, while
 * it works off its backlog): exchanges of it that points took before it knew are refused by a
 * pool that knew first, and refunded (M3).
 */
export const MONTHLY_RETIRED = 'CHAOS-MSSP-OLD';
export const POINTS_PRICE = 2;
/** The reason of every credit: a replayed key must carry the same body. */
export const CREDIT_REASON = 'chaos credit';

export interface Line {
  sku: string;
  termMonths: number;
  quantity: number;
}

export interface ExchangeRecord {
  partnerId: string;
  key: string;
  exchangeId: string;
  sku: string;
  quantity: number;
}

export interface AssignmentRecord {
  partnerId: string;
  clientId: string;
  key: string;
  assignmentId: string;
  body: { sku: string; termMonths: number; quantity: number; managementModel: string };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the load did and what the services answered: every business id the platform accepted
 * (the invariants are checked against these), counts by outcome, and the answers that broke a
 * rule on the spot (a replay answered as new, a new key answered as a replay…).
 */
export class Ledger {
  readonly partners: string[] = [];
  readonly clients = new Map<string, string[]>();
  /** `partnerId/orderId` → the lines of the order the pool took. */
  readonly orders = new Map<string, { partnerId: string; orderId: string; lines: Line[] }>();
  /** `partnerId/key` → the points the credit added. */
  readonly credits = new Map<string, { partnerId: string; key: string; amount: number }>();
  readonly exchanges = new Map<string, ExchangeRecord>();
  readonly assignments = new Map<string, AssignmentRecord>();
  readonly counts = new Map<string, number>();
  readonly problems: string[] = [];
  /** Set when the run is given up (a fault the platform did not recover from): requests stop retrying. */
  abandoned = false;

  count(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  problem(text: string): void {
    this.problems.push(text);
  }
}

/**
 * Sends a request until a service answers it: a refused connection, a reset, a timeout or a 5xx
 * is a bad moment (a process killed, a server away), and the same request (same key) goes again,
 * as a client with an Idempotency-Key would. `uncertain` says an earlier attempt may have been
 * applied, so a replay answer is right.
 */
export async function untilAnswered(
  platform: ChaosPlatform,
  ledger: Ledger,
  service: ServiceName,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  deadlineMs = 180_000,
): Promise<{ answer: Answer; uncertain: boolean } | undefined> {
  const deadline = Date.now() + deadlineMs;
  let uncertain = false;
  for (let attempt = 0; ; attempt++) {
    const answer = await platform.call(service, method, path, headers, body);
    if (!(answer instanceof Error) && answer.status < 500) return { answer, uncertain };
    uncertain = true;
    ledger.count(`retried requests (${service})`);
    if (ledger.abandoned) return undefined;
    if (Date.now() > deadline) {
      const last = answer instanceof Error ? answer.message : `${answer.status} ${JSON.stringify(answer.body)}`;
      ledger.problem(`${method} ${service}${path}: no answer within ${deadlineMs / 1000} s (last: ${last})`);
      return undefined;
    }
    await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
  }
}

const isReplay = (answer: Answer): boolean => answer.headers.get('idempotent-replayed') === 'true';

/** How often each request is drawn. */
const WEIGHTS = {
  exchange: 4,
  'exchange replay': 1,
  credit: 1,
  purchase: 1.5,
  assignment: 4,
  'assignment replay': 0.7,
  device: 2,
  cancellation: 0.4,
};
type Action = keyof typeof WEIGHTS;

/**
 * The load: `actors` loops, each drawing one request after another for a random partner, paced
 * to a rate, until told to stop. Exchanges over and under the balance, credits, purchases (new orderIds, the same
 * order again, an orderId with other lines), assignments (answered, rejected for want of stock
 * or by C1, or timed out while the pool is away), their keys replayed with the same body and with
 * another, devices activated past the licenses, cancellations that recover licenses.
 */
export class Load {
  private sequence = 0;

  constructor(
    private readonly platform: ChaosPlatform,
    private readonly ledger: Ledger,
    private readonly random: Random,
  ) {}

  /**
   * Runs until `done()` says so (checked before each request), at `rate` requests a second in
   * all: the sagas are accepted faster than they complete, so an unpaced load would pile up
   * behind the slowest consumer whatever the faults. Paced below what the platform handles, the
   * backlog a fault leaves drains, and the timeline shows how soon.
   */
  async run(actors: number, rate: number, done: () => boolean): Promise<void> {
    let slot = Date.now();
    await Promise.all(
      Array.from({ length: actors }, async () => {
        while (!done()) {
          slot = Math.max(slot + 1000 / rate, Date.now());
          await sleep(slot - Date.now());
          if (done()) return;
          const partnerId = this.random.pick(this.ledger.partners);
          const action = this.random.weighted(WEIGHTS);
          try {
            await this.act(action, partnerId);
          } catch (error) {
            this.ledger.problem(`${action} for ${partnerId} threw: ${error instanceof Error ? error.stack : String(error)}`);
          }
        }
      }),
    );
  }

  private next(prefix: string): string {
    return `${prefix}-${++this.sequence}`;
  }

  private async act(action: Action, partnerId: string): Promise<void> {
    switch (action) {
      case 'exchange':
        return this.exchange(partnerId);
      case 'exchange replay':
        return this.replayExchange(partnerId);
      case 'credit':
        return this.credit(partnerId);
      case 'purchase':
        return this.purchase(partnerId);
      case 'assignment':
        return this.assignment(partnerId);
      case 'assignment replay':
        return this.replayAssignment(partnerId);
      case 'device':
        return this.device(partnerId);
      case 'cancellation':
        return this.cancellation(partnerId);
    }
  }

  private unexpected(what: string, answer: Answer): void {
    this.ledger.problem(`${what}: unexpected answer ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  private async postExchange(partnerId: string, key: string, sku: string, quantity: number) {
    return untilAnswered(
      this.platform,
      this.ledger,
      'points',
      'POST',
      `/partners/${partnerId}/points/exchanges`,
      { ...(await this.platform.auth({ partnerId })), 'idempotency-key': key },
      { lines: [{ sku, quantity }] },
    );
  }

  async exchange(partnerId: string): Promise<void> {
    const key = this.next(`x-${partnerId}`);
    const sku = this.random.chance(0.3) ? MONTHLY_RETIRED : MONTHLY;
    const quantity = this.random.int(1, 8);
    const result = await this.postExchange(partnerId, key, sku, quantity);
    if (!result) return;
    const { answer, uncertain } = result;
    if ((answer.status === 202 || answer.status === 200) && typeof answer.body?.exchangeId === 'string') {
      if (isReplay(answer) && !uncertain) this.ledger.problem(`exchange ${key}: a new key answered as a replay`);
      this.ledger.exchanges.set(answer.body.exchangeId, { partnerId, key, exchangeId: answer.body.exchangeId, sku, quantity });
      this.ledger.count('exchanges accepted');
    } else if (answer.status === 409 && answer.body?.code === 'POINTS.INSUFFICIENT_BALANCE') {
      this.ledger.count('exchanges over the balance (409)');
    } else if (answer.status === 400 && answer.body?.code === 'POINTS.SKU_RETIRED' && sku === MONTHLY_RETIRED) {
      this.ledger.count('exchanges of a retired product (400)');
    } else this.unexpected(`exchange ${key}`, answer);
  }

  async replayExchange(partnerId: string): Promise<void> {
    const mine = [...this.ledger.exchanges.values()].filter((e) => e.partnerId === partnerId);
    if (mine.length === 0) return this.exchange(partnerId);
    const previous = this.random.pick(mine);
    const sameBody = this.random.chance(0.7);
    const result = await this.postExchange(partnerId, previous.key, previous.sku, sameBody ? previous.quantity : previous.quantity + 1);
    if (!result) return;
    const { answer } = result;
    if (sameBody) {
      if ((answer.status === 200 || answer.status === 202) && answer.body?.exchangeId === previous.exchangeId && isReplay(answer)) {
        this.ledger.count('exchange keys replayed');
      } else this.unexpected(`exchange ${previous.key} replayed`, answer);
    } else if (answer.status === 409 && answer.body?.code === 'POINTS.IDEMPOTENCY_KEY_REUSED') {
      this.ledger.count('exchange keys reused with another body (409)');
    } else this.unexpected(`exchange ${previous.key} reused with another body`, answer);
  }

  async credit(partnerId: string): Promise<void> {
    const mine = [...this.ledger.credits.values()].filter((c) => c.partnerId === partnerId);
    const replay = mine.length > 0 && this.random.chance(0.3);
    const key = replay ? this.random.pick(mine).key : this.next(`credit-${partnerId}`);
    const amount = replay ? (this.ledger.credits.get(`${partnerId}/${key}`)?.amount ?? 0) : this.random.int(10, 60);
    const result = await untilAnswered(
      this.platform,
      this.ledger,
      'points',
      'POST',
      `/partners/${partnerId}/points/credits`,
      { ...(await this.platform.auth({ role: 'points-admin' })), 'idempotency-key': key },
      { amount, reason: CREDIT_REASON },
    );
    if (!result) return;
    const { answer, uncertain } = result;
    if (replay) {
      if (answer.status === 200 && isReplay(answer)) this.ledger.count('credit keys replayed');
      else this.unexpected(`credit ${key} replayed`, answer);
    } else if (answer.status === 201 || (answer.status === 200 && uncertain && isReplay(answer))) {
      this.ledger.credits.set(`${partnerId}/${key}`, { partnerId, key, amount });
      this.ledger.count('points credits');
    } else this.unexpected(`credit ${key}`, answer);
  }

  async purchase(partnerId: string): Promise<void> {
    const mine = [...this.ledger.orders.values()].filter((o) => o.partnerId === partnerId);
    const draw = this.random.next();
    const previous = mine.length > 0 && draw < 0.35 ? this.random.pick(mine) : undefined;
    const conflict = previous !== undefined && draw < 0.1;
    const orderId = previous?.orderId ?? this.next(`order-${partnerId}`);
    const skus = this.random.chance(0.5) ? [...PRODUCTS] : [this.random.pick(PRODUCTS)];
    const lines: Line[] = previous
      ? previous.lines.map((l, i) => (conflict && i === 0 ? { ...l, quantity: l.quantity + 1 } : l))
      : skus.map((sku) => ({ sku, termMonths: 12, quantity: this.random.int(1, 6) }));
    const result = await untilAnswered(
      this.platform,
      this.ledger,
      'pool',
      'POST',
      `/partners/${partnerId}/pool/purchases`,
      await this.platform.auth({ partnerId }),
      { orderId, lines },
    );
    if (!result) return;
    const { answer, uncertain } = result;
    if (conflict) {
      if (answer.status === 409 && answer.body?.code === 'POOL.ORDER_CONFLICT') this.ledger.count('orderIds reused with other lines (409)');
      else this.unexpected(`order ${orderId} with other lines`, answer);
    } else if (previous) {
      if (answer.status === 200 && answer.body?.duplicate === true) this.ledger.count('orders repeated (200 duplicate)');
      else this.unexpected(`order ${orderId} repeated`, answer);
    } else if (answer.status === 201 || (answer.status === 200 && uncertain && answer.body?.duplicate === true)) {
      this.ledger.orders.set(`${partnerId}/${orderId}`, { partnerId, orderId, lines });
      this.ledger.count('purchases');
    } else this.unexpected(`order ${orderId}`, answer);
  }

  private async postAssignment(partnerId: string, clientId: string, key: string, body: AssignmentRecord['body']) {
    return untilAnswered(
      this.platform,
      this.ledger,
      'contracts',
      'POST',
      `/partners/${partnerId}/clients/${clientId}/assignments`,
      { ...(await this.platform.auth({ partnerId })), 'idempotency-key': key },
      body,
    );
  }

  async assignment(partnerId: string): Promise<void> {
    const clientId = this.random.pick(this.ledger.clients.get(partnerId) ?? []);
    const key = this.next(`a-${partnerId}`);
    const body = { sku: this.random.pick(PRODUCTS), termMonths: 12, quantity: this.random.int(1, 4), managementModel: 'self' };
    const result = await this.postAssignment(partnerId, clientId, key, body);
    if (!result) return;
    const { answer, uncertain } = result;
    if ((answer.status === 202 || answer.status === 200) && typeof answer.body?.assignmentId === 'string') {
      if (isReplay(answer) && !uncertain) this.ledger.problem(`assignment ${key}: a new key answered as a replay`);
      this.ledger.assignments.set(answer.body.assignmentId, { partnerId, clientId, key, assignmentId: answer.body.assignmentId, body });
      this.ledger.count('assignments accepted');
    } else if (answer.status === 409 && typeof answer.body?.code === 'string') {
      this.ledger.count(`assignments refused at once (${answer.body.code})`);
    } else this.unexpected(`assignment ${key}`, answer);
  }

  async replayAssignment(partnerId: string): Promise<void> {
    const mine = [...this.ledger.assignments.values()].filter((a) => a.partnerId === partnerId);
    if (mine.length === 0) return this.assignment(partnerId);
    const previous = this.random.pick(mine);
    const sameBody = this.random.chance(0.7);
    const body = sameBody ? previous.body : { ...previous.body, quantity: previous.body.quantity + 1 };
    const result = await this.postAssignment(partnerId, previous.clientId, previous.key, body);
    if (!result) return;
    const { answer } = result;
    if (sameBody) {
      if ((answer.status === 200 || answer.status === 202) && answer.body?.assignmentId === previous.assignmentId && isReplay(answer)) {
        this.ledger.count('assignment keys replayed');
      } else this.unexpected(`assignment ${previous.key} replayed`, answer);
    } else if (answer.status === 409 && answer.body?.code === 'CONTRACTS.IDEMPOTENCY_KEY_REUSED') {
      this.ledger.count('assignment keys reused with another body (409)');
    } else this.unexpected(`assignment ${previous.key} reused with another body`, answer);
  }

  /** A client's view (its services, contracts in force and devices), or undefined when none came. */
  private async client(partnerId: string, clientId: string): Promise<ClientView | undefined> {
    const result = await untilAnswered(
      this.platform,
      this.ledger,
      'contracts',
      'GET',
      `/partners/${partnerId}/clients/${clientId}`,
      await this.platform.auth({ partnerId }),
    );
    if (result?.answer.status === 200) return result.answer.body as ClientView;
    if (result) this.unexpected(`client ${partnerId}/${clientId}`, result.answer);
    return undefined;
  }

  async device(partnerId: string): Promise<void> {
    const clientId = this.random.pick(this.ledger.clients.get(partnerId) ?? []);
    const view = await this.client(partnerId, clientId);
    const held = view?.services.filter((s) => s.licenses.total > 0) ?? [];
    if (held.length === 0) return;
    const service = this.random.pick(held);
    const path = `/partners/${partnerId}/clients/${clientId}/services/${service.sku}/devices`;
    const auth = await this.platform.auth({ partnerId });
    if (service.devices.length > 0 && this.random.chance(0.25)) {
      const { deviceId } = this.random.pick(service.devices);
      const result = await untilAnswered(this.platform, this.ledger, 'contracts', 'DELETE', `${path}/${deviceId}`, auth);
      if (!result) return;
      if (result.answer.status === 204 || (result.uncertain && result.answer.status === 404)) this.ledger.count('devices removed');
      else if (result.answer.status === 404) this.ledger.count('devices removed by another request first (404)');
      else this.unexpected(`device ${deviceId} removed`, result.answer);
      return;
    }
    const deviceId = this.next('device');
    const result = await untilAnswered(this.platform, this.ledger, 'contracts', 'PUT', `${path}/${deviceId}`, auth);
    if (!result) return;
    const { answer } = result;
    if (answer.status === 201 || answer.status === 200) this.ledger.count('devices activated');
    else if (answer.status === 409 && answer.body?.code === 'CONTRACTS.NO_FREE_LICENSE') this.ledger.count('devices refused: no free license (C8)');
    else if (answer.status === 409 || answer.status === 404) this.ledger.count(`devices refused (${answer.body?.code})`);
    else this.unexpected(`device ${deviceId}`, answer);
  }

  async cancellation(partnerId: string): Promise<void> {
    const clientId = this.random.pick(this.ledger.clients.get(partnerId) ?? []);
    const view = await this.client(partnerId, clientId);
    const inForce = view?.services.flatMap((s) => s.contracts.filter((c) => c.status === 'active')) ?? [];
    if (inForce.length === 0) return;
    const contract = this.random.pick(inForce);
    const result = await untilAnswered(
      this.platform,
      this.ledger,
      'contracts',
      'POST',
      `/partners/${partnerId}/clients/${clientId}/contracts/${contract.contractId}/cancellation`,
      await this.platform.auth({ partnerId }),
    );
    if (!result) return;
    const { answer } = result;
    if (answer.status === 200) this.ledger.count('contracts cancelled (C5 recovery)');
    else if (answer.status === 409 || answer.status === 404) this.ledger.count(`cancellations refused (${answer.body?.code})`);
    else this.unexpected(`cancellation of ${contract.contractId}`, answer);
  }
}

export interface ContractView {
  contractId: string;
  sku: string;
  termMonths: number;
  quantity: number;
  status: 'active' | 'in-grace' | 'expired' | 'cancelled';
}

export interface ClientView {
  clientId: string;
  services: {
    sku: string;
    familyCode: string;
    trialEdition: boolean;
    contracts: ContractView[];
    modules: { sku: string; contracts: ContractView[] }[];
    devices: { deviceId: string; lastSeenAt: string }[];
    licenses: { total: number; inUse: number; free: number };
  }[];
  pendingAssignments: string[];
}
