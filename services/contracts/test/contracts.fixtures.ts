import { CatalogCopy } from '@licensing/catalog-copy';
import { CatalogEvents, createEvent, type CloudEvent, type LicenseLine, type ProductUpdatedV1 } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, eventually, EventTap, moduleUpdated, productUpdated, serviceEnv, testKafka, uniqueNames } from '@licensing/testing';
import { poolConfig, startPool } from '../../pool/src/pool.module';
import { contractsConfig, startContracts } from '../src/contracts.module';
import { formatDay } from '../src/domain/dates';

/** A JSON body as the API answers it. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP request to a service in process; the body parsed when there is one. */
export async function call(service: RunningService, method: Method, url: string, headers: Record<string, string>, payload?: unknown) {
  const response = await service.http.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  return { status: response.statusCode, headers: response.headers, body: response.body ? (response.json() as Json) : undefined };
}

/**
 * The catalog the contracts tests sell from: EP-PRO (with the module EP-ENC, both management
 * models, an upgrade from EP-BASIC and a downgrade to it), EP-BASIC, the trial edition EP-TRIAL
 * of the same family, EDR-CORE of another, and MDR-MONTHLY, bought with points (term 1).
 */
export const CATALOG_SKUS = ['EP-PRO', 'EP-BASIC', 'EP-TRIAL', 'EDR-CORE', 'EP-ENC', 'MDR-MONTHLY'];
export function catalogEvents(): CloudEvent[] {
  const product = (sku: string, overrides: Partial<ProductUpdatedV1>) =>
    createEvent({ type: CatalogEvents.productUpdated, subject: sku, data: productUpdated(sku, overrides) });
  const encryption = moduleUpdated('EP-ENC', { name: 'Encryption' });
  return [
    createEvent({ type: CatalogEvents.moduleUpdated, subject: 'EP-ENC', data: encryption }),
    product('EP-PRO', {
      familyCode: 'endpoint',
      terms: [12, 24, 36],
      moduleSkus: ['EP-ENC'],
      managementModels: ['self', 'delegated'],
      changes: [{ toSku: 'EP-BASIC', kind: 'downgrade' }],
    }),
    product('EP-BASIC', { familyCode: 'endpoint', terms: [12], changes: [{ toSku: 'EP-PRO', kind: 'upgrade' }] }),
    product('EP-TRIAL', { familyCode: 'endpoint', trialEdition: true, terms: [] }),
    product('EDR-CORE', { familyCode: 'edr', terms: [12, 36] }),
    product('MDR-MONTHLY', { familyCode: 'mdr', terms: [1], pointsPricePerMonth: 3 }),
  ];
}

export interface Assign {
  sku: string;
  termMonths?: number;
  quantity: number;
  managementModel?: string;
  autoRenew?: boolean;
  modules?: { sku: string; quantity: number }[];
}

/**
 * The contracts service in process with the real pool beside it (same topic prefix, its own
 * database), against the run's real servers, with a tap on both topics. Call it when the test
 * file loads (it takes the file's unique names), then `start` and `stop` it in the hooks.
 * Deadlines are far beyond the tests unless a file asks otherwise: only an advance of the
 * platform clock (shared by both services) brings them.
 */
export class ContractsFixture {
  readonly names: ReturnType<typeof uniqueNames>;
  readonly contractsTopic: string;
  readonly poolTopic: string;
  readonly pointsTopic: string;
  /** The contracts' consumer group of the pool's answers and the points' monthly events. */
  readonly sagaGroup: string;
  readonly publisher: ReturnType<typeof testKafka>['publisher'];
  readonly admin: ReturnType<typeof testKafka>['admin'];
  readonly contractsEnv: Record<string, string>;
  readonly poolEnv: Record<string, string>;
  contracts!: RunningService;
  pool!: RunningService;
  tap!: EventTap;
  private readonly tokens: Record<string, { authorization: string }> = {};

  constructor(file: string, env: { contracts?: Record<string, string>; pool?: Record<string, string> } = {}) {
    this.names = uniqueNames(file);
    const names = this.names;
    this.contractsEnv = serviceEnv(names, {
      QUEUE_PREFIX: `${names.queuePrefix}:contracts`,
      CONTRACTS_ASSIGNMENT_TIMEOUT_MS: '600000',
      CONTRACTS_ASSIGNMENT_SWEEP_MS: '600000',
      ...env.contracts,
    });
    this.poolEnv = serviceEnv(names, {
      MONGO_DATABASE: `${names.database}_pool`,
      QUEUE_PREFIX: `${names.queuePrefix}:pool`,
      POOL_RESERVATION_TIMEOUT_MS: '3600000',
      POOL_RESERVATION_SWEEP_MS: '3600000',
      ...env.pool,
    });
    this.contractsTopic = `${names.prefix}contracts.events`;
    this.poolTopic = `${names.prefix}pool.events`;
    this.pointsTopic = `${names.prefix}points.events`;
    this.sagaGroup = `${names.prefix}contracts`;
    ({ publisher: this.publisher, admin: this.admin } = testKafka(names));
  }

  async start(): Promise<void> {
    // One after the other: two services creating the same topics at once can trip kafkajs's leader wait.
    this.pool = await startPool(poolConfig(this.poolEnv));
    this.contracts = await startContracts(contractsConfig(this.contractsEnv));
    this.tap = await EventTap.start([this.contractsTopic, this.poolTopic]);
    await this.admin.connect();
    await this.publisher.publish(catalogEvents());
    await eventually(async () => (await this.contracts.get(CatalogCopy).getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
    await eventually(async () => (await this.pool.get(CatalogCopy).getMany(CATALOG_SKUS)).size === CATALOG_SKUS.length);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.tap?.stop(), this.publisher.disconnect(), this.admin.disconnect()]);
    await Promise.allSettled([this.contracts?.close(), this.pool?.close()]);
  }

  /** Starts the pool again after a test closed it. */
  async restartPool(): Promise<RunningService> {
    this.pool = await startPool(poolConfig(this.poolEnv));
    return this.pool;
  }

  token = async (partnerId: string) => (this.tokens[partnerId] ??= await bearer({ partnerId }));

  createClient = async (partnerId: string, clientId: string) =>
    call(this.contracts, 'POST', `/partners/${partnerId}/clients`, await this.token(partnerId), { clientId, name: `Client ${clientId}` });

  buy = async (partnerId: string, orderId: string, lines: LicenseLine[]) => {
    const bought = await call(this.pool, 'POST', `/partners/${partnerId}/pool/purchases`, await this.token(partnerId), { orderId, lines });
    expect(bought.status).toBe(201);
  };

  stockLine = async (partnerId: string, sku: string, termMonths = 12) =>
    ((await call(this.pool, 'GET', `/partners/${partnerId}/pool`, await this.token(partnerId))).body?.lines as Json[]).find(
      (l) => l.sku === sku && l.termMonths === termMonths,
    );

  assign = async (partnerId: string, clientId: string, key: string, body: Assign, headers: Record<string, string> = {}) =>
    call(
      this.contracts,
      'POST',
      `/partners/${partnerId}/clients/${clientId}/assignments`,
      { ...(await this.token(partnerId)), 'idempotency-key': key, ...headers },
      { termMonths: 12, managementModel: 'self', ...body },
    );

  finalState = async (partnerId: string, location: string) =>
    (await call(this.contracts, 'GET', location, { ...(await this.token(partnerId)), prefer: 'wait=20' })).body as Json;

  /** The client document as stored, without its outbox (which the relay empties on its own time). */
  clientDoc = (partnerId: string, clientId: string) =>
    this.contracts.db.collection('clients').findOne({ _id: `${partnerId}/${clientId}` as never }, { projection: { outbox: 0 } });

  /** The client as the API shows it. */
  client = async (partnerId: string, clientId: string) =>
    (await call(this.contracts, 'GET', `/partners/${partnerId}/clients/${clientId}`, await this.token(partnerId))).body as Json;

  eventsOf = (type: string, predicate: (data: Json) => boolean = () => true) =>
    this.tap.events<CloudEvent<Json>>((e) => e.type === type && predicate(e.data));

  waitForEvent = async (type: string, predicate: (data: Json) => boolean, count = 1, timeoutMs = 20_000) =>
    (
      await this.tap.waitFor((m) => (m.json as CloudEvent<Json>)?.type === type && predicate((m.json as CloudEvent<Json>).data), {
        count,
        timeoutMs,
      })
    ).map((m) => m.json as CloudEvent<Json>);

  clockAdmin = () => bearer({ roles: ['clock-admin'] });

  today = async () => formatDay(new Date((await call(this.contracts, 'GET', '/admin/clock', await this.clockAdmin())).body?.now));

  /** Moves the platform clock of both services forward (`"30d"`, `"11m"`…). */
  advance = async (advance: string) => {
    const moved = await call(this.contracts, 'POST', '/admin/clock', await this.clockAdmin(), { advance });
    expect(moved.status).toBe(200);
  };
}
