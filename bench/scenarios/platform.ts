import type { Deployment } from '../lib/deployment';
import { Progress } from '../lib/progress';
import { inParallel, sleep } from '../lib/stats';

/** The annual product the assignment saga sells, and the monthly one the exchange saga buys with points. */
export const ANNUAL_SKU = 'BENCH-PRO';
export const MONTHLY_SKU = 'BENCH-MONTHLY';

export interface Seeded {
  partners: string[];
  clients: string[];
}

const expectStatus = (what: string, answer: { status: number; body: unknown }, ok: number[]): void => {
  if (!ok.includes(answer.status)) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
};

/**
 * Everything the sagas need, through the services' HTTP APIs as their users would do it: the
 * catalog (as catalog-admin), stock in each partner's pool, clients, enrolled wallets with points.
 * Waits until every service's copy of the catalog knows the products.
 */
export async function seedPlatform(deployment: Deployment, options: { partners: number; clientsPerPartner: number; stock: number }): Promise<Seeded> {
  const catalogAdmin = await deployment.auth({ role: 'catalog-admin' });
  const pointsAdmin = await deployment.auth({ role: 'points-admin' });
  const writes: [string, string, unknown][] = [
    ['POST', '/families', { code: 'bench', name: 'Bench protection' }],
    ['POST', '/families', { code: 'bench-monthly', name: 'Bench monthly protection' }],
    ['POST', '/products', { sku: ANNUAL_SKU, name: 'Bench Pro', familyCode: 'bench', terms: [12], managementModels: ['self'] }],
    [
      'POST',
      '/products',
      { sku: MONTHLY_SKU, name: 'Bench Monthly', familyCode: 'bench-monthly', terms: [1], managementModels: ['self'], pointsPricePerMonth: 1 },
    ],
  ];
  for (const [method, path, body] of writes)
    expectStatus(`catalog ${path}`, await deployment.call('catalog', method, path, catalogAdmin, body), [201]);

  const partners = Array.from({ length: options.partners }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const clients = Array.from({ length: options.clientsPerPartner }, (_, i) => `c${String(i).padStart(3, '0')}`);

  // The copies of the catalog: the pool takes a purchase (and calls the monthly product's annual
  // term not sold), the contracts service answers the refusal only a known product gets, the
  // points service prices the monthly product (and finds the probe's empty wallet short).
  const probe = 'probe';
  const probeAuth = await deployment.auth({ partnerId: probe });
  expectStatus(
    'probe client',
    await deployment.call('contracts', 'POST', `/partners/${probe}/clients`, probeAuth, { clientId: 'probe', name: 'Probe' }),
    [201],
  );
  expectStatus(
    'probe enrolment',
    await deployment.call('points', 'PUT', `/partners/${probe}/points/enrolment`, pointsAdmin, { enrolled: true }),
    [200],
  );
  let last: unknown;
  for (const deadline = Date.now() + 120_000; ;) {
    const monthly = await deployment.call('pool', 'POST', `/partners/${probe}/pool/purchases`, probeAuth, {
      orderId: 'probe-monthly',
      lines: [{ sku: MONTHLY_SKU, termMonths: 12, quantity: 1 }],
    });
    const contracts = await deployment.call(
      'contracts',
      'POST',
      `/partners/${probe}/clients/probe/assignments`,
      { ...probeAuth, 'idempotency-key': 'probe' },
      { sku: ANNUAL_SKU, termMonths: 36, quantity: 1, managementModel: 'self' },
    );
    const points = await deployment.call('points', 'POST', `/partners/${probe}/points/exchanges?dryRun=true`, pointsAdmin, {
      lines: [{ sku: MONTHLY_SKU, quantity: 1 }],
    });
    if (
      monthly.body?.code === 'POOL.TERM_NOT_ALLOWED' &&
      contracts.body?.code === 'CONTRACTS.TERM_NOT_ALLOWED' &&
      points.body?.code === 'POINTS.INSUFFICIENT_BALANCE'
    )
      break;
    last = { pool: monthly, contracts, points };
    if (Date.now() > deadline)
      throw new Error(`the services' catalog copies did not know the bench products within 2 minutes: ${JSON.stringify(last)}`);
    await sleep(250);
  }

  const progress = new Progress('seed');
  let done = 0;
  const total = partners.length * (3 + clients.length);
  const tick = () => progress.update(`${++done} / ${total} requests`);
  await inParallel(partners, 4, async (partnerId) => {
    const auth = await deployment.auth({ partnerId });
    const purchase = await deployment.call('pool', 'POST', `/partners/${partnerId}/pool/purchases`, auth, {
      orderId: `stock-${partnerId}`,
      lines: [{ sku: ANNUAL_SKU, termMonths: 12, quantity: options.stock }],
    });
    expectStatus(`purchase for ${partnerId}`, purchase, [200, 201]);
    tick();
    expectStatus(
      `enrolment of ${partnerId}`,
      await deployment.call('points', 'PUT', `/partners/${partnerId}/points/enrolment`, pointsAdmin, { enrolled: true }),
      [200],
    );
    tick();
    const credit = await deployment.call(
      'points',
      'POST',
      `/partners/${partnerId}/points/credits`,
      { ...pointsAdmin, 'idempotency-key': `grant-${partnerId}` },
      { amount: 10_000_000, reason: 'bench grant' },
    );
    expectStatus(`credit for ${partnerId}`, credit, [200, 201]);
    tick();
    for (const clientId of clients) {
      const created = await deployment.call('contracts', 'POST', `/partners/${partnerId}/clients`, auth, { clientId, name: `Client ${clientId}` });
      expectStatus(`client ${partnerId}/${clientId}`, created, [201, 409]);
      tick();
    }
  });
  progress.done(`${partners.length} partners (stock, wallet), ${partners.length * clients.length} clients`);
  return { partners, clients };
}
