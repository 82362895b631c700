/**
 * Seeds the demo data `npm start` promises: a catalog (families, products with trial editions,
 * modules, the change table, points prices). Idempotent: what exists already is left as it is.
 */
import { signToken } from '@licensing/platform';

const secret = process.env.AUTH_JWT_SECRET;
if (!secret) throw new Error('AUTH_JWT_SECRET is required');
const catalogUrl = process.env.CATALOG_URL ?? 'http://127.0.0.1:3001';
const poolUrl = process.env.POOL_URL ?? 'http://127.0.0.1:3002';
const pointsUrl = process.env.POINTS_URL ?? 'http://127.0.0.1:3004';
const contractsUrl = process.env.CONTRACTS_URL ?? 'http://127.0.0.1:3003';
const DEMO_PARTNER = 'demo-partner';

const families = [
  { code: 'endpoint', name: 'Endpoint protection' },
  { code: 'edr', name: 'Endpoint detection and response' },
  { code: 'patch', name: 'Patch management' },
  { code: 'mobile', name: 'Mobile security' },
];
const modules = [
  { sku: 'MOD-ENCRYPTION', name: 'Full-disk encryption', terms: [1, 12, 24, 36], pointsPricePerMonth: 1 },
  { sku: 'MOD-FIREWALL', name: 'Advanced firewall', terms: [12, 24, 36] },
  { sku: 'MOD-FORENSICS', name: 'Forensics', terms: [1, 12], pointsPricePerMonth: 2 },
];
const products = [
  {
    sku: 'EP-ESSENTIALS',
    name: 'Endpoint Essentials',
    familyCode: 'endpoint',
    terms: [1, 12, 24, 36],
    managementModels: ['self', 'delegated'],
    moduleSkus: ['MOD-ENCRYPTION'],
    pointsPricePerMonth: 2,
  },
  {
    sku: 'EP-ADVANCED',
    name: 'Endpoint Advanced',
    familyCode: 'endpoint',
    terms: [1, 12, 24, 36],
    managementModels: ['self', 'delegated'],
    moduleSkus: ['MOD-ENCRYPTION', 'MOD-FIREWALL'],
    pointsPricePerMonth: 3,
  },
  {
    sku: 'EP-ADVANCED-TRIAL',
    name: 'Endpoint Advanced (trial)',
    familyCode: 'endpoint',
    trialEdition: true,
    terms: [],
    managementModels: ['self', 'delegated'],
  },
  {
    sku: 'EDR-CORE',
    name: 'EDR Core',
    familyCode: 'edr',
    terms: [1, 12, 24, 36],
    managementModels: ['delegated'],
    moduleSkus: ['MOD-FORENSICS'],
    pointsPricePerMonth: 5,
  },
  { sku: 'EDR-TRIAL', name: 'EDR (trial)', familyCode: 'edr', trialEdition: true, terms: [], managementModels: ['delegated'] },
  { sku: 'PATCH-MANAGER', name: 'Patch Manager', familyCode: 'patch', terms: [12, 24, 36], managementModels: ['self', 'delegated'] },
  { sku: 'MOBILE-SECURITY', name: 'Mobile Security', familyCode: 'mobile', terms: [12], managementModels: ['self'] },
];
const demoOrder = {
  orderId: 'demo-order-1',
  lines: [
    { sku: 'EP-ADVANCED', termMonths: 12, quantity: 50 },
    { sku: 'EP-ESSENTIALS', termMonths: 24, quantity: 20 },
    { sku: 'MOD-ENCRYPTION', termMonths: 12, quantity: 30 },
    { sku: 'EDR-CORE', termMonths: 36, quantity: 10 },
    { sku: 'PATCH-MANAGER', termMonths: 12, quantity: 25 },
  ],
};
const changes = [
  { fromSku: 'EP-ESSENTIALS', toSku: 'EP-ADVANCED', kind: 'upgrade' },
  { fromSku: 'EP-ADVANCED', toSku: 'EP-ESSENTIALS', kind: 'downgrade' },
];

async function call(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // 409: it exists already (a second npm start).
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status;
}

async function main(): Promise<void> {
  const admin = await signToken(secret as string, { roles: ['catalog-admin'] });
  let created = 0;
  for (const family of families) created += (await call(catalogUrl, 'POST', '/families', admin, family)) === 201 ? 1 : 0;
  for (const module of modules) created += (await call(catalogUrl, 'POST', '/modules', admin, module)) === 201 ? 1 : 0;
  for (const product of products) created += (await call(catalogUrl, 'POST', '/products', admin, product)) === 201 ? 1 : 0;
  for (const change of changes) await call(catalogUrl, 'PUT', '/product-changes', admin, change);
  console.log(`demo catalog: ${families.length} families, ${modules.length} modules, ${products.length} products (${created} records new)`);

  // The pool knows skus from catalog.events: until its copy has caught up it answers UNKNOWN_SKU.
  const partner = await signToken(secret as string, { partnerId: DEMO_PARTNER });
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${poolUrl}/partners/${DEMO_PARTNER}/pool/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${partner}`, 'content-type': 'application/json' },
      body: JSON.stringify(demoOrder),
    });
    if (response.ok) break;
    const body = await response.text();
    if (!body.includes('POOL.UNKNOWN_SKU') || attempt === 50) throw new Error(`demo purchase: ${response.status} ${body}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.log(`demo pool: ${DEMO_PARTNER} holds the licenses of ${demoOrder.orderId}`);

  const pointsAdmin = await signToken(secret as string, { roles: ['points-admin'] });
  await call(pointsUrl, 'PUT', `/partners/${DEMO_PARTNER}/points/enrolment`, pointsAdmin, { enrolled: true });
  // The idempotency key makes a second npm start credit nothing.
  await call(
    pointsUrl,
    'POST',
    `/partners/${DEMO_PARTNER}/points/credits`,
    pointsAdmin,
    { amount: 500, reason: 'demo grant' },
    { 'idempotency-key': 'demo-grant-1' },
  );
  console.log(`demo points: ${DEMO_PARTNER} enrolled in MSSP Points with a 500-point grant`);

  // A client holding a product with a module, assigned from the pool (the idempotency key makes a
  // second npm start assign nothing). The contracts' catalog copy may still be catching up.
  await call(contractsUrl, 'POST', `/partners/${DEMO_PARTNER}/clients`, partner, { clientId: 'demo-client', name: 'Demo client' });
  const assignment = {
    sku: 'EP-ADVANCED',
    termMonths: 12,
    quantity: 5,
    managementModel: 'delegated',
    autoRenew: true,
    modules: [{ sku: 'MOD-ENCRYPTION', quantity: 5 }],
  };
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${contractsUrl}/partners/${DEMO_PARTNER}/clients/demo-client/assignments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${partner}`, 'content-type': 'application/json', 'idempotency-key': 'demo-assignment-1', prefer: 'wait=20' },
      body: JSON.stringify(assignment),
    });
    const body = (await response.json()) as { status?: string; code?: string };
    if (body.status === 'activated') break;
    const catchingUp = response.status === 503 || body.code === 'CONTRACTS.UNKNOWN_SKU';
    if (!catchingUp || attempt === 50) throw new Error(`demo assignment: ${response.status} ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Three devices on its licenses (PUT is idempotent), and an EDR trial (refused with 409 once it runs, which is fine).
  for (const deviceId of ['laptop-01', 'laptop-02', 'server-01']) {
    await call(contractsUrl, 'PUT', `/partners/${DEMO_PARTNER}/clients/demo-client/services/EP-ADVANCED/devices/${deviceId}`, partner);
  }
  await call(contractsUrl, 'POST', `/partners/${DEMO_PARTNER}/clients/demo-client/trials`, partner, { sku: 'EDR-TRIAL' });
  console.log(`demo contracts: demo-client holds EP-ADVANCED with MOD-ENCRYPTION (5 licenses, 12 months, auto-renew), 3 devices, an EDR trial`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
