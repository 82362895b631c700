import { ContractsEvents, dlqTopicOf, PointsEvents, PoolEvents, type CloudEvent } from '@licensing/events';
import { EventTap, poolInvariant, testKafkaClient, topicEnd } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { POINTS_PRICE, untilAnswered, type ClientView, type ContractView, type Ledger, type Line } from './load';
import { SERVICES, type ChaosPlatform } from './platform';

/** One invariant: how many things it looked at and what broke it. */
export interface Check {
  name: string;
  checked: number;
  failures: string[];
}

export interface SagaOutcome {
  kind: 'exchange' | 'assignment';
  id: string;
  status: string;
  code?: string;
  requestedAt: number;
  settledAt?: number;
}

interface Buckets {
  available: number;
  reserved: number;
  assigned: number;
}
type StockLine = Buckets & { sku: string; termMonths: number };
type Movement = StockLine & { reason: string; reference: string; eventId: string; poolVersion: number; at: string };
interface PointsEntry {
  entryId: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  reference: string;
  walletVersion: number;
}

/** JSON answers and event payloads of many shapes, read field by field. */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- see above

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const lineKey = (l: { sku: string; termMonths: number }) => `${l.sku}/${l.termMonths}`;
const inForce = (c: ContractView) => c.status === 'active' || c.status === 'in-grace';

/** Quantities per "sku/term", without zeros, as comparable text. */
function tally(lines: { sku: string; termMonths: number; quantity: number }[]): string {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(lineKey(l), (counts.get(lineKey(l)) ?? 0) + l.quantity);
  return [...counts]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

/** Every page of a paged list, following its cursor. */
async function allPages<T>(get: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null } | undefined>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await get(cursor);
    if (!page) throw new Error('a page did not come');
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/**
 * Reads the settled platform (through the services' APIs, as the support role and the partners,
 * and the event stream from its start) and checks every invariant of the experiment. Also
 * returns each saga's outcome with the times the services stamped on it.
 */
export async function checkInvariants(platform: ChaosPlatform, ledger: Ledger): Promise<{ checks: Check[]; sagas: SagaOutcome[] }> {
  const checks = new Map<string, Check>();
  const check = (name: string): Check => {
    let c = checks.get(name);
    if (!c) checks.set(name, (c = { name, checked: 0, failures: [] }));
    return c;
  };
  const expect = (name: string, ok: boolean, failure: () => string): void => {
    const c = check(name);
    c.checked++;
    if (!ok) c.failures.push(failure());
  };
  const support = await platform.auth({ role: 'support' });
  const get = async (service: 'pool' | 'points' | 'contracts', path: string): Promise<Json> => {
    const result = await untilAnswered(platform, ledger, service, 'GET', path, support);
    if (result?.answer.status !== 200)
      throw new Error(`GET ${service}${path}: ${result ? `${result.answer.status} ${JSON.stringify(result.answer.body)}` : 'no answer'}`);
    return result.answer.body;
  };

  // --- the sagas -----------------------------------------------------------------------------
  const sagas: SagaOutcome[] = [];
  const exchangeStatus = new Map<string, string>();
  const assignmentStatus = new Map<string, string>();
  for (const e of ledger.exchanges.values()) {
    const view = await get('points', `/partners/${e.partnerId}/points/exchanges/${e.exchangeId}`);
    exchangeStatus.set(e.exchangeId, view.status);
    sagas.push({
      kind: 'exchange',
      id: e.exchangeId,
      status: view.status,
      ...(view.refund?.code ? { code: view.refund.code } : {}),
      requestedAt: Date.parse(view.requestedAt),
      ...(view.settledAt ? { settledAt: Date.parse(view.settledAt) } : {}),
    });
    expect('every saga final', view.status === 'completed' || view.status === 'refunded', () => `exchange ${e.exchangeId} is ${view.status}`);
  }
  for (const a of ledger.assignments.values()) {
    const view = await get('contracts', `/partners/${a.partnerId}/clients/${a.clientId}/assignments/${a.assignmentId}`);
    assignmentStatus.set(a.assignmentId, view.status);
    sagas.push({
      kind: 'assignment',
      id: a.assignmentId,
      status: view.status,
      ...(view.code ? { code: view.code } : {}),
      requestedAt: Date.parse(view.requestedAt),
      ...(view.settledAt ? { settledAt: Date.parse(view.settledAt) } : {}),
    });
    expect('every saga final', view.status === 'activated' || view.status === 'rejected', () => `assignment ${a.assignmentId} is ${view.status}`);
  }

  // --- each partner: wallet and points ledger, pool and its ledger, clients -------------------
  for (const partnerId of ledger.partners) {
    const wallet = await get('points', `/partners/${partnerId}/points`);
    const entries = await allPages<PointsEntry>((cursor) =>
      get('points', `/partners/${partnerId}/points/ledger?limit=100${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`),
    );
    const oldestFirst = [...entries].sort((a, b) => a.walletVersion - b.walletVersion);
    let running = 0;
    let chain = true;
    for (const entry of oldestFirst) {
      running += entry.amount;
      if (entry.balanceAfter < 0 || running !== entry.balanceAfter) chain = false;
    }
    expect(
      'balances equal their ledgers, never below zero',
      wallet.balance >= 0 && running === wallet.balance && chain,
      () => `${partnerId}: balance ${wallet.balance}, ledger sums to ${running}${chain ? '' : ', a balanceAfter below zero or off the running sum'}`,
    );
    const byReference = (kind: string) => {
      const map = new Map<string, PointsEntry[]>();
      for (const e of entries.filter((x) => x.kind === kind)) map.set(e.reference, [...(map.get(e.reference) ?? []), e]);
      return map;
    };
    const creditEntries = byReference('credit');
    const credits = [...ledger.credits.values()].filter((c) => c.partnerId === partnerId);
    for (const c of credits) {
      const found = creditEntries.get(c.key) ?? [];
      expect(
        'points credits once per key',
        found.length === 1 && found[0]?.amount === c.amount,
        () => `${partnerId} credit ${c.key} of ${c.amount}: ledger has ${JSON.stringify(found.map((f) => f.amount))}`,
      );
    }
    for (const [reference] of creditEntries) {
      expect(
        'points credits once per key',
        credits.some((c) => c.key === reference),
        () => `${partnerId}: a credit ${reference} nobody asked for`,
      );
    }
    const debits = byReference('exchange-debit');
    const refunds = byReference('exchange-refund');
    for (const e of [...ledger.exchanges.values()].filter((x) => x.partnerId === partnerId)) {
      const debit = debits.get(e.exchangeId) ?? [];
      const refund = refunds.get(e.exchangeId) ?? [];
      const refunded = exchangeStatus.get(e.exchangeId) === 'refunded';
      expect(
        'exchanges debited once, refunded only when refunded',
        debit.length === 1 && debit[0]?.amount === -e.quantity * POINTS_PRICE && refund.length === (refunded ? 1 : 0),
        () => `${partnerId} exchange ${e.exchangeId}: debits ${JSON.stringify(debit.map((d) => d.amount))}, refunds ${refund.length}`,
      );
    }

    const pool = await get('pool', `/partners/${partnerId}/pool`);
    const lines = pool.lines as StockLine[];
    const movements = await allPages<Movement>((cursor) =>
      get('pool', `/partners/${partnerId}/pool/movements?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    );
    const invariant = poolInvariant(lines, movements);
    expect('pool invariant (held = credited − expired − unassigned)', invariant.holds, () => `${partnerId}: ${JSON.stringify(invariant)}`);

    // Stock never below zero at any point: the ledger replayed version by version.
    const stock = new Map<string, Buckets>();
    let lowest = '';
    for (let i = 0; i < movements.length; i++) {
      const m = movements[i] as Movement;
      const s = stock.get(lineKey(m)) ?? { available: 0, reserved: 0, assigned: 0 };
      stock.set(lineKey(m), { available: s.available + m.available, reserved: s.reserved + m.reserved, assigned: s.assigned + m.assigned });
      if (movements[i + 1]?.poolVersion === m.poolVersion) continue;
      for (const [key, b] of stock) {
        if (!lowest && (b.available < 0 || b.reserved < 0 || b.assigned < 0)) lowest = `${key} ${JSON.stringify(b)} at pool version ${m.poolVersion}`;
      }
    }
    expect('stock never below zero at any point of the pool ledger', lowest === '', () => `${partnerId}: ${lowest}`);
    const replayed = [...stock].map(([key, b]) => `${key}:${b.available}/${b.reserved}/${b.assigned}`);
    const held = lines.map((l) => `${lineKey(l)}:${l.available}/${l.reserved}/${l.assigned}`);
    const nonZero = (xs: string[]) => xs.filter((x) => !x.endsWith(':0/0/0')).sort();
    expect(
      'the pool ledger sums to the stock',
      nonZero(replayed).join() === nonZero(held).join(),
      () => `${partnerId}: ledger ${nonZero(replayed).join(' ')}, pool ${nonZero(held).join(' ')}`,
    );
    const asOf = await get('pool', `/partners/${partnerId}/pool?asOf=${encodeURIComponent(new Date(Date.now() - 1000).toISOString())}`);
    const asOfLines = nonZero((asOf.lines as StockLine[]).map((l) => `${lineKey(l)}:${l.available}/${l.reserved}/${l.assigned}`));
    expect(
      'asOf(now) equals the stock',
      asOfLines.join() === nonZero(held).join(),
      () => `${partnerId}: asOf ${asOfLines.join(' ')}, pool ${nonZero(held).join(' ')}`,
    );

    // Purchases once per orderId, with the order's lines; nothing bought that nobody ordered.
    const purchases = new Map<string, Movement[]>();
    for (const m of movements.filter((x) => x.reason === 'purchase')) purchases.set(m.reference, [...(purchases.get(m.reference) ?? []), m]);
    for (const order of [...ledger.orders.values()].filter((o) => o.partnerId === partnerId)) {
      const found = purchases.get(order.orderId) ?? [];
      const events = new Set(found.map((m) => m.eventId));
      const got = tally(found.map((m) => ({ ...m, quantity: m.available })));
      expect(
        'purchases once per orderId',
        events.size === 1 && got === tally(order.lines),
        () => `${partnerId} order ${order.orderId}: ${events.size} events, ${got} for ${tally(order.lines)}`,
      );
    }
    for (const [reference] of purchases) {
      expect(
        'purchases once per orderId',
        ledger.orders.has(`${partnerId}/${reference}`),
        () => `${partnerId}: a purchase ${reference} nobody ordered`,
      );
    }

    // Exchanges completed = the points credits in the pool, license for license.
    const pointsCredits = new Map<string, number>();
    for (const m of movements.filter((x) => x.reason === 'points'))
      pointsCredits.set(m.reference, (pointsCredits.get(m.reference) ?? 0) + m.available);
    const completed = [...ledger.exchanges.values()].filter((e) => e.partnerId === partnerId && exchangeStatus.get(e.exchangeId) === 'completed');
    for (const e of completed) {
      expect(
        'exchanges completed equal the points credits in the pool',
        pointsCredits.get(e.exchangeId) === e.quantity,
        () => `${partnerId} exchange ${e.exchangeId} completed for ${e.quantity}: the pool credited ${pointsCredits.get(e.exchangeId) ?? 0}`,
      );
    }
    for (const [reference, quantity] of pointsCredits) {
      expect(
        'exchanges completed equal the points credits in the pool',
        completed.some((e) => e.exchangeId === reference),
        () => `${partnerId}: the pool credited ${quantity} for exchange ${reference}, which is ${exchangeStatus.get(reference) ?? 'unknown'}`,
      );
    }

    // Nothing pending, nothing open past its deadline.
    const now = Date.now();
    for (const r of pool.reservations as { assignmentId: string; expiresAt: string }[]) {
      expect(
        'nothing pending or open past its deadline',
        false,
        () =>
          `${partnerId}: reservation ${r.assignmentId} open${Date.parse(r.expiresAt) < now ? `, ${Math.round((now - Date.parse(r.expiresAt)) / 1000)} s past its deadline` : ''}`,
      );
    }
    expect(
      'nothing pending or open past its deadline',
      wallet.pendingExchanges === 0,
      () => `${partnerId}: ${wallet.pendingExchanges} exchanges pending`,
    );

    // The contracts: C1, C8, and what the pool holds as assigned.
    const inForceLines: { sku: string; termMonths: number; quantity: number }[] = [];
    for (const clientId of ledger.clients.get(partnerId) ?? []) {
      const client = (await get('contracts', `/partners/${partnerId}/clients/${clientId}`)) as ClientView;
      expect(
        'nothing pending or open past its deadline',
        client.pendingAssignments.length === 0,
        () => `${partnerId}/${clientId}: assignments pending ${client.pendingAssignments.join(', ')}`,
      );
      const families = new Map<string, string[]>();
      for (const service of client.services) {
        const contracts = [...service.contracts, ...service.modules.flatMap((m) => m.contracts)].filter(inForce);
        inForceLines.push(...contracts);
        if (!service.trialEdition && service.contracts.some(inForce))
          families.set(service.familyCode, [...(families.get(service.familyCode) ?? []), service.sku]);
        expect(
          'C8 devices never above the licenses in force',
          service.devices.length <= service.licenses.total,
          () => `${partnerId}/${clientId} ${service.sku}: ${service.devices.length} devices on ${service.licenses.total} licenses`,
        );
      }
      for (const [family, skus] of families) {
        expect('C1 one product of a family per client', skus.length <= 1, () => `${partnerId}/${clientId} holds ${skus.join(' and ')} of ${family}`);
      }
    }
    const assigned = tally(lines.map((l) => ({ ...l, quantity: l.assigned })));
    expect(
      "the pool's assigned = the licenses of the contracts in force",
      assigned === tally(inForceLines),
      () => `${partnerId}: pool assigned ${assigned || '-'}, contracts in force ${tally(inForceLines) || '-'}`,
    );
  }

  // --- the event stream, from its start -----------------------------------------------------
  const admin = testKafkaClient('operator', platform.urls).admin();
  await admin.connect();
  try {
    for (const service of SERVICES) {
      const dlq = dlqTopicOf(platform.topic(service));
      const dead = await topicEnd(admin, dlq).catch(() => 0);
      expect('the DLQs are empty', dead === 0, () => `${dlq}: ${dead} messages`);
    }
    const events = await readStream(admin, [platform.topic('pool'), platform.topic('points'), platform.topic('contracts')], platform.urls);
    checkStream(events, ledger, { exchanges: exchangeStatus, assignments: assignmentStatus }, expect);
  } finally {
    await admin.disconnect();
  }

  const problems = check('answers as documented (replays, refusals, duplicates)');
  problems.checked = [...ledger.counts.values()].reduce((n, c) => n + c, 0);
  problems.failures.push(...ledger.problems);
  return { checks: [...checks.values()], sagas };
}

/** Every event of the topics, each once (read from the start by a fresh consumer until it has reached every partition's end). */
async function readStream(admin: Admin, topics: string[], env: Parameters<typeof EventTap.start>[1]): Promise<CloudEvent[]> {
  const ends = new Map<string, number>();
  for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${o.partition}`, Number(o.high));
  const tap = await EventTap.start(topics, env);
  try {
    for (const deadline = Date.now() + 120_000; ;) {
      const read = new Map<string, number>();
      for (const m of tap.messages) read.set(`${m.topic}/${m.partition}`, Math.max(read.get(`${m.topic}/${m.partition}`) ?? 0, Number(m.offset) + 1));
      if ([...ends].every(([key, end]) => (read.get(key) ?? 0) >= end)) break;
      if (Date.now() > deadline) throw new Error('the event stream could not be read to its end within 120 s');
      await sleep(200);
    }
  } finally {
    await tap.stop();
  }
  const byId = new Map<string, CloudEvent>();
  for (const m of tap.messages) {
    const event = m.json as CloudEvent | undefined;
    if (event?.id) byId.set(event.id, event);
  }
  return [...byId.values()];
}

/**
 * No event applied twice: each business id is applied by one event at most (a redelivered
 * message keeps its id and is counted once); every exchange ends in exactly one of completed and
 * refunded; an assignment is never both activated and rejected; every recovery is credited once.
 */
function checkStream(
  events: CloudEvent[],
  ledger: Ledger,
  status: { exchanges: Map<string, string>; assignments: Map<string, string> },
  expect: (name: string, ok: boolean, failure: () => string) => void,
): void {
  const name = 'no event applied twice';
  const group = (types: string[], key: (data: Json) => string) => {
    const map = new Map<string, CloudEvent<Json>[]>();
    for (const e of events.filter((x) => types.includes(x.type))) map.set(key(e.data), [...(map.get(key(e.data)) ?? []), e as CloudEvent<Json>]);
    return map;
  };
  const once: [string[], (d: Json) => string][] = [
    [[PoolEvents.stockCredited], (d) => `${d.source}/${d.creditId}`],
    [[PoolEvents.licensesReserved], (d) => d.assignmentId],
    [[PoolEvents.reservationCommitted], (d) => d.assignmentId],
    [[PoolEvents.reservationReleased], (d) => d.assignmentId],
    [[PointsEvents.pointsCredited], (d) => d.creditId],
    [[PointsEvents.exchangeDebited], (d) => d.exchangeId],
    [[PointsEvents.exchangeCompleted, PointsEvents.exchangeRefunded], (d) => d.exchangeId],
    [[ContractsEvents.contractActivated], (d) => d.assignmentId],
    [[ContractsEvents.licensesRecovered], (d) => d.recoveryId],
  ];
  for (const [types, key] of once) {
    for (const [id, applied] of group(types, key)) {
      expect(name, applied.length === 1, () => `${types.join(' or ')} ${id}: ${applied.length} events (${applied.map((e) => e.id).join(', ')})`);
    }
  }
  const answers = group([PointsEvents.exchangeCompleted, PointsEvents.exchangeRefunded], (d) => d.exchangeId);
  for (const e of ledger.exchanges.values()) {
    const got = answers.get(e.exchangeId) ?? [];
    const final = status.exchanges.get(e.exchangeId);
    const type = final === 'completed' ? PointsEvents.exchangeCompleted : PointsEvents.exchangeRefunded;
    expect(
      'every exchange ends completed or refunded, never both, never neither',
      got.length === 1 && got[0]?.type === type,
      () => `exchange ${e.exchangeId} (${final}): ${got.map((x) => x.type).join(', ') || 'no answer event'}`,
    );
  }
  // The contracts service tells the pool when it gives up (assignment-rejected); a refusal by the
  // pool (reservation-rejected) ends the saga without a contracts event, as nothing is held.
  const activated = group([ContractsEvents.contractActivated], (d) => d.assignmentId);
  const rejected = group([ContractsEvents.assignmentRejected, PoolEvents.reservationRejected], (d) => d.assignmentId);
  for (const a of ledger.assignments.values()) {
    const n = activated.has(a.assignmentId);
    const r = rejected.has(a.assignmentId);
    const final = status.assignments.get(a.assignmentId);
    expect(
      'every assignment ends activated or rejected, never both',
      n !== r && n === (final === 'activated'),
      () => `assignment ${a.assignmentId} (${final}): activated ${n}, rejected ${r} in the stream`,
    );
  }
  const recoveryCredits = group([PoolEvents.stockCredited], (d) => (d.source === 'recovery' ? d.creditId : ''));
  for (const [recoveryId, recovered] of group([ContractsEvents.licensesRecovered], (d) => d.recoveryId)) {
    const lines = (recovered[0]?.data.lines ?? []) as Line[];
    const credited = recoveryCredits.get(recoveryId) ?? [];
    expect(
      'every recovery credited to the pool once',
      lines.every((l) => l.quantity === 0) ? credited.length <= 1 : credited.length === 1 && tally(credited[0]?.data.lines ?? []) === tally(lines),
      () => `recovery ${recoveryId} of ${tally(lines)}: ${credited.length} credits`,
    );
  }
}
