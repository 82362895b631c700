import { CREDIT_REASON, FAMILY, MONTHLY, MONTHLY_RETIRED, POINTS_PRICE, PRODUCTS, untilAnswered, type Ledger } from './load';
import type { Answer, ChaosPlatform } from './platform';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function expectStatus(what: string, result: { answer: Answer } | undefined, ok: number[]): void {
  if (!result || !ok.includes(result.answer.status)) {
    throw new Error(`${what}: ${result ? `${result.answer.status} ${JSON.stringify(result.answer.body)}` : 'no answer'}`);
  }
}

/**
 * The catalog (as catalog-admin) and each partner's start through the services' APIs: stock in
 * its pool, an enrolled wallet with a few points (so exchanges soon go over the balance), its
 * clients. Waits until every service's copy of the catalog knows the products.
 */
export async function seed(platform: ChaosPlatform, ledger: Ledger, options: { partners: number; clients: number }): Promise<void> {
  const catalogAdmin = await platform.auth({ role: 'catalog-admin' });
  const pointsAdmin = await platform.auth({ role: 'points-admin' });
  const product = (sku: string, extra: Record<string, unknown>) => ({ sku, name: `Chaos ${sku}`, managementModels: ['self'], ...extra });
  const writes: [string, unknown][] = [
    ['/families', { code: FAMILY, name: 'Chaos endpoint protection' }],
    ['/families', { code: 'chaos-mssp', name: 'Chaos monthly protection' }],
    ...PRODUCTS.map((sku): [string, unknown] => ['/products', product(sku, { familyCode: FAMILY, terms: [12] })]),
    ...[MONTHLY, MONTHLY_RETIRED].map((sku): [string, unknown] => [
      '/products',
      product(sku, { familyCode: 'chaos-mssp', terms: [1], pointsPricePerMonth: POINTS_PRICE }),
    ]),
  ];
  for (const [path, body] of writes) {
    expectStatus(`catalog ${path}`, await untilAnswered(platform, ledger, 'catalog', 'POST', path, catalogAdmin, body), [201]);
  }

  // The copies of the catalog: the pool calls the monthly product's annual term not sold, the
  // contracts service each annual product's 36 months, points finds the probe's empty wallet short.
  const probe = 'chaos-probe';
  const probeAuth = await platform.auth({ partnerId: probe });
  expectStatus(
    'probe client',
    await untilAnswered(platform, ledger, 'contracts', 'POST', `/partners/${probe}/clients`, probeAuth, { clientId: 'probe', name: 'Probe' }),
    [201],
  );
  expectStatus(
    'probe enrolment',
    await untilAnswered(platform, ledger, 'points', 'PUT', `/partners/${probe}/points/enrolment`, pointsAdmin, { enrolled: true }),
    [200],
  );
  for (const deadline = Date.now() + 120_000; ;) {
    const known = await Promise.all([
      platform
        .call('pool', 'POST', `/partners/${probe}/pool/purchases`, probeAuth, {
          orderId: 'probe',
          lines: [{ sku: MONTHLY, termMonths: 12, quantity: 1 }],
        })
        .then((a) => !(a instanceof Error) && a.body?.code === 'POOL.TERM_NOT_ALLOWED'),
      ...PRODUCTS.map((sku) =>
        platform
          .call(
            'contracts',
            'POST',
            `/partners/${probe}/clients/probe/assignments`,
            { ...probeAuth, 'idempotency-key': `probe-${sku}` },
            { sku, termMonths: 36, quantity: 1, managementModel: 'self' },
          )
          .then((a) => !(a instanceof Error) && a.body?.code === 'CONTRACTS.TERM_NOT_ALLOWED'),
      ),
      platform
        .call('pool', 'POST', `/partners/${probe}/pool/purchases`, probeAuth, {
          orderId: 'probe',
          lines: [{ sku: MONTHLY_RETIRED, termMonths: 12, quantity: 1 }],
        })
        .then((a) => !(a instanceof Error) && a.body?.code === 'POOL.TERM_NOT_ALLOWED'),
      ...[MONTHLY, MONTHLY_RETIRED].map((sku) =>
        platform
          .call('points', 'POST', `/partners/${probe}/points/exchanges?dryRun=true`, pointsAdmin, { lines: [{ sku, quantity: 1 }] })
          .then((a) => !(a instanceof Error) && a.body?.code === 'POINTS.INSUFFICIENT_BALANCE'),
      ),
    ]);
    if (known.every(Boolean)) break;
    if (Date.now() > deadline) throw new Error("the services' copies of the catalog did not know the chaos products within 2 minutes");
    await sleep(250);
  }

  for (let p = 0; p < options.partners; p++) ledger.partners.push(`chaos-p${String(p).padStart(2, '0')}`);
  await Promise.all(
    ledger.partners.map(async (partnerId) => {
      const auth = await platform.auth({ partnerId });
      const lines = PRODUCTS.map((sku) => ({ sku, termMonths: 12, quantity: 8 }));
      const orderId = `seed-${partnerId}`;
      expectStatus(
        `purchase for ${partnerId}`,
        await untilAnswered(platform, ledger, 'pool', 'POST', `/partners/${partnerId}/pool/purchases`, auth, { orderId, lines }),
        [201],
      );
      ledger.orders.set(`${partnerId}/${orderId}`, { partnerId, orderId, lines });
      expectStatus(
        `enrolment of ${partnerId}`,
        await untilAnswered(platform, ledger, 'points', 'PUT', `/partners/${partnerId}/points/enrolment`, pointsAdmin, { enrolled: true }),
        [200],
      );
      const key = `seed-${partnerId}`;
      expectStatus(
        `credit for ${partnerId}`,
        await untilAnswered(
          platform,
          ledger,
          'points',
          'POST',
          `/partners/${partnerId}/points/credits`,
          { ...pointsAdmin, 'idempotency-key': key },
          { amount: 60, reason: CREDIT_REASON },
        ),
        [201],
      );
      ledger.credits.set(`${partnerId}/${key}`, { partnerId, key, amount: 60 });
      const clients: string[] = [];
      for (let c = 0; c < options.clients; c++) {
        const clientId = `c${c}`;
        expectStatus(
          `client ${partnerId}/${clientId}`,
          await untilAnswered(platform, ledger, 'contracts', 'POST', `/partners/${partnerId}/clients`, auth, {
            clientId,
            name: `Client ${clientId}`,
          }),
          [201],
        );
        clients.push(clientId);
      }
      ledger.clients.set(partnerId, clients);
    }),
  );
}
