import { randomUUID } from 'node:crypto';
import { validateEvent, type CloudEvent, type ProductUpdatedV1 } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, EventTap, serviceEnv, testKafka, topicEnd, uniqueNames } from '@licensing/testing';
import type { Admin } from 'kafkajs';
import { catalogConfig, startCatalog } from '../src/catalog.module';

const names = uniqueNames(__filename);
let catalog: RunningService;
let tap: EventTap;
let kafkaAdmin: Admin;
const catalogTopic = `${names.prefix}catalog.events`;
let admin: { authorization: string };
let partner: { authorization: string };

const product = (sku: string, overrides: Record<string, unknown> = {}) => ({
  sku,
  name: `Product ${sku}`,
  familyCode: 'endpoint',
  terms: [12, 24, 36],
  managementModels: ['self', 'delegated'],
  ...overrides,
});

const productEvents = (sku: string) => tap.events<CloudEvent<ProductUpdatedV1>>((e) => e.type === 'catalog.product-updated.v1' && e.subject === sku);

async function stateSnapshot() {
  const db = catalog.db;
  return {
    products: await db.collection('products').find({}).project({ outbox: 0 }).toArray(),
    families: await db.collection('families').find({}).project({ outbox: 0 }).toArray(),
    modules: await db.collection('modules').find({}).project({ outbox: 0 }).toArray(),
  };
}

beforeAll(async () => {
  catalog = await startCatalog(catalogConfig(serviceEnv(names)));
  tap = await EventTap.start([catalogTopic]);
  kafkaAdmin = testKafka(names).admin;
  await kafkaAdmin.connect();
  admin = await bearer({ roles: ['catalog-admin'] });
  partner = await bearer({ partnerId: 'p-1' });
  const family = await catalog.http.inject({
    method: 'POST',
    url: '/families',
    headers: admin,
    payload: { code: 'endpoint', name: 'Endpoint protection' },
  });
  expect(family.statusCode).toBe(201);
  const module = await catalog.http.inject({
    method: 'POST',
    url: '/modules',
    headers: admin,
    payload: { sku: 'EP-ENC', name: 'Encryption', terms: [12, 24, 36] },
  });
  expect(module.statusCode).toBe(201);
});

afterAll(async () => {
  await Promise.all([tap?.stop(), kafkaAdmin?.disconnect()]);
  await catalog?.close();
});

describe('catalog over HTTP and Kafka', () => {
  it('publishes a created product on catalog.events, keyed by sku, valid against its schema, read by a plain consumer', async () => {
    const created = await catalog.http.inject({
      method: 'POST',
      url: '/products',
      headers: admin,
      payload: product('EP-PRO', { moduleSkus: ['EP-ENC'] }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ sku: 'EP-PRO', status: 'active', version: 1, moduleSkus: ['EP-ENC'], trialEdition: false });

    const [message] = await tap.waitFor((m) => (m.json as CloudEvent).subject === 'EP-PRO');
    expect(message?.key).toBe('EP-PRO');
    expect(message?.headers['content-type']).toBe('application/cloudevents+json; charset=UTF-8');
    const event = message?.json as CloudEvent<ProductUpdatedV1>;
    expect(validateEvent(event)).toEqual({ ok: true });
    expect(event).toMatchObject({ specversion: '1.0', source: 'licensing/catalog', type: 'catalog.product-updated.v1', subject: 'EP-PRO' });
    expect(event.data).toMatchObject({ sku: 'EP-PRO', familyCode: 'endpoint', terms: [12, 24, 36], version: 1, status: 'active' });
  });

  it('bumps the version on an update and publishes the whole product again', async () => {
    await catalog.http.inject({ method: 'POST', url: '/products', headers: admin, payload: product('EP-STD') });
    const updated = await catalog.http.inject({
      method: 'PATCH',
      url: '/products/EP-STD',
      headers: admin,
      payload: { terms: [1, 12], pointsPricePerMonth: 4 },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ version: 2, terms: [1, 12], pointsPricePerMonth: 4 });
    await tap.waitFor((m) => (m.json as CloudEvent<ProductUpdatedV1>).data?.sku === 'EP-STD', { count: 2 });
    expect(productEvents('EP-STD').map((e) => e.data.version)).toEqual([1, 2]);
    expect(productEvents('EP-STD')[1]?.data).toMatchObject({ terms: [1, 12], pointsPricePerMonth: 4, name: 'Product EP-STD' });
  });

  it('retires a product, keeping it and its history; a retired product cannot change', async () => {
    await catalog.http.inject({ method: 'POST', url: '/products', headers: admin, payload: product('EP-OLD') });
    const retired = await catalog.http.inject({ method: 'POST', url: '/products/EP-OLD/retire', headers: admin });
    expect(retired.json()).toMatchObject({ status: 'retired', version: 2 });
    expect(retired.json().retiredAt).toEqual(expect.any(String));
    const change = await catalog.http.inject({ method: 'PATCH', url: '/products/EP-OLD', headers: admin, payload: { name: 'x' } });
    expect(change.statusCode).toBe(409);
    expect(change.json().code).toBe('CATALOG.PRODUCT_RETIRED');
    const listed = await catalog.http.inject({ method: 'GET', url: '/products?status=retired', headers: partner });
    expect(listed.json().items.map((p: { sku: string }) => p.sku)).toEqual(['EP-OLD']);
    await tap.waitFor((m) => (m.json as CloudEvent<ProductUpdatedV1>).data?.status === 'retired');
  });

  it('keeps the change table on the source product and publishes it', async () => {
    await catalog.http.inject({ method: 'POST', url: '/products', headers: admin, payload: product('EP-ENT') });
    const allowed = await catalog.http.inject({
      method: 'PUT',
      url: '/product-changes',
      headers: admin,
      payload: { fromSku: 'EP-PRO', toSku: 'EP-ENT', kind: 'upgrade' },
    });
    expect(allowed.statusCode).toBe(200);
    const table = await catalog.http.inject({ method: 'GET', url: '/product-changes', headers: partner });
    expect(table.json().items).toEqual([{ fromSku: 'EP-PRO', toSku: 'EP-ENT', kind: 'upgrade' }]);
    await tap.waitFor((m) => (m.json as CloudEvent<ProductUpdatedV1>).data?.changes?.length === 1);
    const module = await catalog.http.inject({ method: 'GET', url: '/modules/EP-ENC', headers: partner });
    expect(module.json().productSkus).toEqual(['EP-PRO']);
  });

  it('serves its OpenAPI document at /docs', async () => {
    const doc = await catalog.http.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining(['/products', '/products/{sku}', '/families', '/modules', '/product-changes']),
    );
  });
});

describe('bad input changes nothing', () => {
  const cases: [string, Record<string, unknown> | string, number, string][] = [
    ['a missing field', { sku: 'EP-X', name: 'x', terms: [12], managementModels: ['self'] }, 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown family', product('EP-X', { familyCode: 'nope' }), 400, 'CATALOG.UNKNOWN_FAMILY'],
    ['a bad sku format', product('ep x'), 400, 'REQUEST.VALIDATION_FAILED'],
    ['a wrong type', product('EP-X', { terms: '12' }), 400, 'REQUEST.VALIDATION_FAILED'],
    ['a number as a string', product('EP-X', { terms: ['12'] }), 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown field', product('EP-X', { colour: 'red' }), 400, 'REQUEST.VALIDATION_FAILED'],
    ['a term the catalog does not know', product('EP-X', { terms: [6] }), 400, 'REQUEST.VALIDATION_FAILED'],
    ['an unknown module', product('EP-X', { moduleSkus: ['NOPE'] }), 400, 'CATALOG.UNKNOWN_MODULE'],
    ['monthly without a points price', product('EP-X', { terms: [1] }), 400, 'CATALOG.MONTHLY_NEEDS_POINTS_PRICE'],
    ['a trial edition with terms', product('EP-X', { trialEdition: true }), 400, 'CATALOG.TRIAL_NOT_SOLD'],
    ['malformed JSON', '{"sku": ', 400, 'REQUEST.MALFORMED_JSON'],
    ['an oversized body', product('EP-X', { name: 'n'.repeat(70 * 1024) }), 413, 'REQUEST.PAYLOAD_TOO_LARGE'],
    ['an existing sku', product('EP-PRO'), 409, 'CATALOG.PRODUCT_EXISTS'],
  ];

  it.each(cases)('refuses %s with a stable code', async (_label, payload, status, code) => {
    const before = await stateSnapshot();
    const eventsBefore = await topicEnd(kafkaAdmin, catalogTopic);
    const response = await catalog.http.inject({
      method: 'POST',
      url: '/products',
      headers: { ...admin, 'content-type': 'application/json', 'x-correlation-id': 'bad-input-1' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code, correlationId: 'bad-input-1', message: expect.any(String) });
    expect(await stateSnapshot()).toEqual(before);
    // A marker written after the refusal: once it is on the topic, nothing else came before it.
    const marker = `marker ${randomUUID()}`;
    await catalog.http.inject({ method: 'PATCH', url: '/families/endpoint', headers: admin, payload: { name: marker } });
    await tap.waitFor((m) => (m.json as CloudEvent<{ name?: string }>)?.data?.name === marker);
    expect(await topicEnd(kafkaAdmin, catalogTopic)).toBe(eventsBefore + 1);
  });

  it('answers 401 without a token or with a bad one, and 403 to a partner writing the catalog', async () => {
    const before = await stateSnapshot();
    const none = await catalog.http.inject({ method: 'POST', url: '/products', payload: product('EP-Y') });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('AUTH.UNAUTHENTICATED');
    const forged = await catalog.http.inject({ method: 'GET', url: '/products', headers: { authorization: 'Bearer abc.def.ghi' } });
    expect(forged.statusCode).toBe(401);
    const asPartner = await catalog.http.inject({ method: 'POST', url: '/products', headers: partner, payload: product('EP-Y') });
    expect(asPartner.statusCode).toBe(403);
    expect(asPartner.json().code).toBe('AUTH.FORBIDDEN');
    const support = await catalog.http.inject({ method: 'POST', url: '/products/EP-PRO/retire', headers: await bearer({ roles: ['support'] }) });
    expect(support.statusCode).toBe(403);
    expect(await stateSnapshot()).toEqual(before);
    const read = await catalog.http.inject({ method: 'GET', url: '/products/EP-PRO', headers: partner });
    expect(read.statusCode).toBe(200);
  });
});

describe('issue 9, item 5: every error in the one shape, with a message that says what is wrong', () => {
  it('a path parameter of 101 characters, a malformed URL, a __proto__ key and a wrong content type', async () => {
    const long = await catalog.http.inject({ method: 'GET', url: `/products/${'A'.repeat(101)}`, headers: partner });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ code: 'REQUEST.VALIDATION_FAILED', correlationId: expect.any(String) });
    const malformed = await catalog.http.inject({ method: 'GET', url: '/products/%zz', headers: partner });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      code: 'REQUEST.MALFORMED_URL',
      message: expect.stringContaining('URL'),
      correlationId: expect.any(String),
    });
    const proto = await catalog.http.inject({
      method: 'POST',
      url: '/families',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"code":"x-proto","name":"x","__proto__":{"admin":true}}',
    });
    expect(proto.statusCode).toBe(400);
    expect(proto.json()).toMatchObject({
      code: 'REQUEST.FORBIDDEN_KEY',
      message: expect.stringContaining('__proto__'),
      correlationId: expect.any(String),
    });
    const xml = await catalog.http.inject({
      method: 'POST',
      url: '/families',
      headers: { ...admin, 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE', correlationId: expect.any(String) });
    expect((await catalog.http.inject({ method: 'GET', url: '/families/x-proto', headers: partner })).statusCode).toBe(404);
  });
});
