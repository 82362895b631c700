import type { CloudEvent, ProductUpdatedV1 } from '@licensing/events';
import type { RunningService } from '@licensing/service-kit';
import { bearer, EventTap, serviceEnv, uniqueNames } from '@licensing/testing';
import { catalogConfig, startCatalog } from '../src/catalog.module';
import { ProductRepository } from '../src/infrastructure/catalog.repositories';

const names = uniqueNames(__filename);
const catalogTopic = `${names.prefix}catalog.events`;
let catalog: RunningService;
let tap: EventTap;
let admin: { authorization: string };

const product = (sku: string, overrides: Record<string, unknown> = {}) => ({
  sku,
  name: `Product ${sku}`,
  familyCode: 'endpoint',
  terms: [12, 24, 36],
  managementModels: ['self'],
  ...overrides,
});
const moduleBody = (sku: string, overrides: Record<string, unknown> = {}) => ({ sku, name: `Module ${sku}`, terms: [12, 24, 36], ...overrides });

const send = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
  catalog.http.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
const created = async (url: string, payload: object) => {
  const answer = await send('POST', url, payload);
  expect(answer.statusCode).toBe(201);
  return answer.json();
};
const changeTable = async (): Promise<{ fromSku: string; toSku: string; kind: string }[]> =>
  (await catalog.http.inject({ method: 'GET', url: '/product-changes', headers: admin })).json().items;

beforeAll(async () => {
  catalog = await startCatalog(catalogConfig(serviceEnv(names)));
  tap = await EventTap.start([catalogTopic]);
  admin = await bearer({ roles: ['catalog-admin'] });
  await created('/families', { code: 'endpoint', name: 'Endpoint protection' });
});

afterAll(async () => {
  await tap?.stop();
  await catalog?.close();
});

describe('issue 9.10 a sku names one product or one module, never both', () => {
  it('refuses a product with a module sku, and a module with a product sku (409 CATALOG.SKU_TAKEN), changing nothing', async () => {
    await created('/modules', moduleBody('SKU-MOD'));
    await created('/products', product('SKU-PROD'));
    const asProduct = await send('POST', '/products', product('SKU-MOD'));
    expect(asProduct.statusCode).toBe(409);
    expect(asProduct.json()).toMatchObject({ code: 'CATALOG.SKU_TAKEN', correlationId: expect.any(String) });
    const asModule = await send('POST', '/modules', moduleBody('SKU-PROD'));
    expect(asModule.statusCode).toBe(409);
    expect(asModule.json().code).toBe('CATALOG.SKU_TAKEN');
    expect(await catalog.db.collection('products').countDocuments({ _id: 'SKU-MOD' as never })).toBe(0);
    expect(await catalog.db.collection('modules').countDocuments({ _id: 'SKU-PROD' as never })).toBe(0);
  });

  it('lets exactly one of a product and a module created at the same moment with one sku have it', async () => {
    for (let round = 0; round < 5; round++) {
      const sku = `RACE-${round}`;
      const answers = await Promise.all([send('POST', '/products', product(sku)), send('POST', '/modules', moduleBody(sku))]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
      expect(answers.find((a) => a.statusCode === 409)?.json().code).toBe('CATALOG.SKU_TAKEN');
      const held =
        (await catalog.db.collection('products').countDocuments({ _id: sku as never })) +
        (await catalog.db.collection('modules').countDocuments({ _id: sku as never }));
      expect(held).toBe(1);
    }
  });

  it('keeps a product and a module of their own kind refused as existing (CATALOG.PRODUCT_EXISTS, CATALOG.MODULE_EXISTS)', async () => {
    expect((await send('POST', '/products', product('SKU-PROD'))).json().code).toBe('CATALOG.PRODUCT_EXISTS');
    expect((await send('POST', '/modules', moduleBody('SKU-MOD'))).json().code).toBe('CATALOG.MODULE_EXISTS');
  });
});

describe('issue 9.10 a product keeps a retired module it lists, but cannot add one', () => {
  it('edits a product listing a module retired since; refuses to add a retired module (409 CATALOG.MODULE_RETIRED)', async () => {
    await created('/modules', moduleBody('KEEP-MOD'));
    await created('/modules', moduleBody('GONE-MOD'));
    await created('/products', product('KEEP-PROD', { moduleSkus: ['KEEP-MOD'] }));
    expect((await send('POST', '/modules/KEEP-MOD/retire')).statusCode).toBe(200);
    expect((await send('POST', '/modules/GONE-MOD/retire')).statusCode).toBe(200);

    const renamed = await send('PATCH', '/products/KEEP-PROD', { name: 'Still sold' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Still sold', moduleSkus: ['KEEP-MOD'] });
    expect((await send('PATCH', '/products/KEEP-PROD', { moduleSkus: ['KEEP-MOD'], terms: [12] })).statusCode).toBe(200);

    const added = await send('PATCH', '/products/KEEP-PROD', { moduleSkus: ['KEEP-MOD', 'GONE-MOD'] });
    expect(added.statusCode).toBe(409);
    expect(added.json()).toMatchObject({ code: 'CATALOG.MODULE_RETIRED', details: { moduleSkus: ['GONE-MOD'] } });
    const fresh = await send('POST', '/products', product('NEW-PROD', { moduleSkus: ['GONE-MOD'] }));
    expect(fresh.statusCode).toBe(409);
    expect(fresh.json().code).toBe('CATALOG.MODULE_RETIRED');
    const unknown = await send('PATCH', '/products/KEEP-PROD', { moduleSkus: ['KEEP-MOD', 'NO-SUCH-MOD'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('CATALOG.UNKNOWN_MODULE');
    expect((await send('PATCH', '/products/KEEP-PROD', { moduleSkus: [] })).json().moduleSkus).toEqual([]);
  });
});

describe('issue 9.10 change-table rows join active products that share a term', () => {
  beforeAll(async () => {
    await created('/products', product('CT-ANNUAL'));
    await created('/products', product('CT-ANNUAL-2', { terms: [12] }));
    await created('/products', product('CT-MONTHLY', { terms: [1], pointsPricePerMonth: 5 }));
  });

  it('refuses a row between a product sold only yearly and one sold only monthly (400 CATALOG.CHANGE_ACROSS_TERMS)', async () => {
    for (const [fromSku, toSku] of [
      ['CT-ANNUAL', 'CT-MONTHLY'],
      ['CT-MONTHLY', 'CT-ANNUAL'],
    ]) {
      const answer = await send('PUT', '/product-changes', { fromSku, toSku, kind: 'upgrade' });
      expect(answer.statusCode).toBe(400);
      expect(answer.json().code).toBe('CATALOG.CHANGE_ACROSS_TERMS');
    }
    expect(await changeTable()).toEqual([]);
  });

  it('refuses a terms edit that would leave a row across terms, from either end (409 CATALOG.CHANGE_ACROSS_TERMS)', async () => {
    expect((await send('PUT', '/product-changes', { fromSku: 'CT-ANNUAL', toSku: 'CT-ANNUAL-2', kind: 'downgrade' })).statusCode).toBe(200);
    const target = await send('PATCH', '/products/CT-ANNUAL-2', { terms: [1], pointsPricePerMonth: 3 });
    expect(target.statusCode).toBe(409);
    expect(target.json()).toMatchObject({
      code: 'CATALOG.CHANGE_ACROSS_TERMS',
      details: { changes: [{ fromSku: 'CT-ANNUAL', toSku: 'CT-ANNUAL-2' }] },
    });
    const source = await send('PATCH', '/products/CT-ANNUAL', { terms: [24, 36] });
    expect(source.statusCode).toBe(409);
    expect(source.json().code).toBe('CATALOG.CHANGE_ACROSS_TERMS');
    expect((await send('PATCH', '/products/CT-ANNUAL', { terms: [12, 36] })).statusCode).toBe(200);
  });

  it('removes the rows that point to a product when it retires, and publishes the products they left', async () => {
    await created('/products', product('CT-TARGET'));
    await created('/products', product('CT-SOURCE'));
    expect((await send('PUT', '/product-changes', { fromSku: 'CT-SOURCE', toSku: 'CT-TARGET', kind: 'upgrade' })).statusCode).toBe(200);
    expect((await send('PUT', '/product-changes', { fromSku: 'CT-ANNUAL', toSku: 'CT-TARGET', kind: 'upgrade' })).statusCode).toBe(200);
    expect((await send('PUT', '/product-changes', { fromSku: 'CT-TARGET', toSku: 'CT-SOURCE', kind: 'downgrade' })).statusCode).toBe(200);

    expect((await send('POST', '/products/CT-TARGET/retire')).statusCode).toBe(200);
    const rows = await changeTable();
    expect(rows.filter((r) => r.toSku === 'CT-TARGET')).toEqual([]);
    // A retired product's own rows stay: its holders may still change away from it.
    expect(rows).toContainEqual({ fromSku: 'CT-TARGET', toSku: 'CT-SOURCE', kind: 'downgrade' });
    await tap.waitFor(
      (m) => {
        const e = m.json as CloudEvent<ProductUpdatedV1>;
        return e.type === 'catalog.product-updated.v1' && e.subject === 'CT-SOURCE' && e.data.version === 3;
      },
      { timeoutMs: 15_000 },
    );
    const last = tap.events<CloudEvent<ProductUpdatedV1>>((e) => e.type === 'catalog.product-updated.v1' && e.subject === 'CT-SOURCE').at(-1);
    expect(last?.data.changes).toEqual([]);

    const again = await send('PUT', '/product-changes', { fromSku: 'CT-SOURCE', toSku: 'CT-TARGET', kind: 'upgrade' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('CATALOG.PRODUCT_RETIRED');
  });

  it('never leaves a row to a retired product when the row and the retirement race', async () => {
    for (let round = 0; round < 6; round++) {
      const toSku = `CT-RACE-${round}`;
      await created('/products', product(toSku));
      await Promise.all([
        send('PUT', '/product-changes', { fromSku: 'CT-SOURCE', toSku, kind: 'upgrade' }),
        send('POST', `/products/${toSku}/retire`),
      ]);
      expect((await changeTable()).filter((r) => r.toSku === toSku)).toEqual([]);
    }
  });
});

describe('issue 9.10 product checks are decided on the state read in the same attempt', () => {
  it('re-reads the catalog facts when a concurrent edit wins the write: a rename is not refused for the modules another edit set', async () => {
    await created('/modules', moduleBody('RACE-M1'));
    await created('/modules', moduleBody('RACE-M2'));
    await created('/products', product('RACE-PROD', { moduleSkus: ['RACE-M1'] }));
    const repository = catalog.get(ProductRepository);
    const original = repository.facts.bind(repository);
    const spy = jest.spyOn(repository, 'facts').mockImplementationOnce(async (...args: Parameters<ProductRepository['facts']>) => {
      // Another admin's edit lands between this command's read of the facts and its write.
      const other = await send('PATCH', '/products/RACE-PROD', { moduleSkus: ['RACE-M2'] });
      expect(other.statusCode).toBe(200);
      return original(...args);
    });
    try {
      const renamed = await send('PATCH', '/products/RACE-PROD', { name: 'Renamed' });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json()).toMatchObject({ name: 'Renamed', moduleSkus: ['RACE-M2'], version: 3 });
    } finally {
      spy.mockRestore();
    }
  });
});
