import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allEventSchemas, createEvent, incompatibilities, validateEvent, CatalogEvents, type ProductUpdatedV1 } from '../src';

const product: ProductUpdatedV1 = {
  sku: 'EP-PRO',
  name: 'Endpoint Protection Pro',
  familyCode: 'endpoint',
  trialEdition: false,
  terms: [12, 24, 36],
  managementModels: ['self', 'delegated'],
  moduleSkus: [],
  pointsPricePerMonth: 3,
  status: 'active',
  changes: [],
  version: 1,
  updatedAt: new Date().toISOString(),
};

describe('event envelope', () => {
  it('builds a CloudEvents 1.0 event that validates against its schema', () => {
    const event = createEvent({ type: CatalogEvents.productUpdated, subject: product.sku, data: product });
    expect(event).toMatchObject({ specversion: '1.0', source: 'licensing/catalog', datacontenttype: 'application/json' });
    expect(event.correlationid).toBe(event.id);
    expect(validateEvent(event)).toEqual({ ok: true });
  });

  it('refuses a payload that breaks its schema, naming the field', () => {
    const event = createEvent({ type: CatalogEvents.productUpdated, subject: 'x', data: { ...product, terms: [7] } });
    const result = validateEvent(event);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain('data/terms/0');
  });

  it('refuses an unknown type or version', () => {
    const event = createEvent({ type: 'catalog.product-updated.v9', subject: 'x', data: product });
    expect(validateEvent(event)).toEqual({ ok: false, error: 'unknown event type or version: catalog.product-updated.v9' });
  });

  it('refuses an envelope without its required attributes', () => {
    const { id: _id, ...withoutId } = createEvent({ type: CatalogEvents.productUpdated, subject: 'x', data: product });
    const result = validateEvent(withoutId);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain("must have required property 'id'");
  });
});

describe('schema compatibility', () => {
  const base = { type: 'object', required: ['a'], properties: { a: { type: 'string' }, e: { type: 'string', enum: ['x', 'y'] } } };

  it('accepts an added optional property and an added enum value', () => {
    const after = { ...base, properties: { ...base.properties, b: { type: 'integer' }, e: { type: 'string', enum: ['x', 'y', 'z'] } } };
    expect(incompatibilities(base, after)).toEqual([]);
  });

  it('rejects a removed property, a type change, a new required field and a removed enum value', () => {
    const after = { type: 'object', required: ['a', 'b'], properties: { a: { type: 'integer' }, b: { type: 'string' } } };
    expect(incompatibilities(base, after)).toEqual(['$.b: became required', '$.a: type changed from string to integer', '$.e: property removed']);
    expect(incompatibilities(base.properties.e, { type: 'string', enum: ['x'] })).toEqual(['$: enum value "y" removed']);
  });

  it.each(allEventSchemas.map((s) => [s.$id.replace('licensing:schemas:', ''), s] as const))(
    '%s stays compatible with its published baseline',
    (type, schema) => {
      const file = join(__dirname, '..', 'schema-baseline', `${type}.json`);
      expect({ baselineExists: existsSync(file), hint: 'npm run schemas:baseline records a new event version' }).toEqual({
        baselineExists: true,
        hint: expect.any(String),
      });
      expect(incompatibilities(JSON.parse(readFileSync(file, 'utf8')), schema)).toEqual([]);
    },
  );
});
