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

  // A published schema using every keyword the checker has a rule for; each case changes one thing.
  const order = {
    type: 'object',
    required: ['id', 'lines'],
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-z]+$' },
      at: { type: 'string', format: 'date-time' },
      kind: { type: 'string', const: 'order' },
      status: { type: 'string', enum: ['open', 'closed'] },
      note: { type: 'string' },
      lines: {
        type: 'array',
        minItems: 1,
        maxItems: 50,
        items: {
          type: 'object',
          required: ['sku', 'quantity'],
          properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
      price: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1000000 },
      tags: { type: 'object', minProperties: 1, maxProperties: 10, additionalProperties: { type: 'string', maxLength: 50 } },
      meta: { type: 'object' },
      owner: { anyOf: [{ type: 'string' }, { type: 'integer', minimum: 1 }] },
      target: { oneOf: [{ type: 'string', maxLength: 10 }, { type: 'integer' }] },
    },
  };

  /** `order` with the value at a dotted path replaced (undefined: removed). */
  const orderWith = (path: string, value: unknown): unknown => {
    const copy = structuredClone(order) as Record<string, unknown>;
    const keys = path.split('.');
    const last = keys.pop() as string;
    const parent = keys.reduce((node, key) => node[key] as Record<string, unknown>, copy);
    if (value === undefined) delete parent[last];
    else parent[last] = value;
    return copy;
  };

  it.each([
    ['maximum lowered', 'properties.lines.items.properties.quantity.maximum', 999, ['$.lines[].quantity: maximum lowered from 1000 to 999']],
    ['exclusiveMaximum lowered', 'properties.price.exclusiveMaximum', 1000, ['$.price: exclusiveMaximum lowered from 1000000 to 1000']],
    ['minimum raised', 'properties.lines.items.properties.quantity.minimum', 2, ['$.lines[].quantity: minimum raised from 1 to 2']],
    ['exclusiveMinimum raised', 'properties.price.exclusiveMinimum', 1, ['$.price: exclusiveMinimum raised from 0 to 1']],
    ['maxLength lowered', 'properties.id.maxLength', 50, ['$.id: maxLength lowered from 100 to 50']],
    ['maxItems lowered', 'properties.lines.maxItems', 10, ['$.lines: maxItems lowered from 50 to 10']],
    ['maxProperties lowered', 'properties.tags.maxProperties', 5, ['$.tags: maxProperties lowered from 10 to 5']],
    ['minLength raised', 'properties.id.minLength', 3, ['$.id: minLength raised from 1 to 3']],
    ['minItems raised', 'properties.lines.minItems', 2, ['$.lines: minItems raised from 1 to 2']],
    ['minProperties raised', 'properties.tags.minProperties', 2, ['$.tags: minProperties raised from 1 to 2']],
    ['a bound added where there was none', 'properties.note.maxLength', 500, ['$.note: maxLength 500 added']],
    ['uniqueItems added', 'properties.lines.uniqueItems', true, ['$.lines: uniqueItems added']],
    ['an enum value removed', 'properties.status.enum', ['open'], ['$.status: enum value "closed" removed']],
    ['an enum added to a free value', 'properties.note.enum', ['a', 'b'], ['$.note: enum added']],
    ['an enum removed', 'properties.status.enum', undefined, ['$.status: enum removed']],
    ['a const changed', 'properties.kind.const', 'purchase', ['$.kind: const changed from "order" to "purchase"']],
    ['a const added', 'properties.note.const', 'x', ['$.note: const "x" added']],
    ['a pattern widened (any pattern change)', 'properties.id.pattern', '^[a-z0-9]+$', ['$.id: pattern changed from "^[a-z]+$" to "^[a-z0-9]+$"']],
    ['a format changed', 'properties.at.format', 'date', ['$.at: format changed from "date-time" to "date"']],
    ['an anyOf alternative removed', 'properties.owner.anyOf', [{ type: 'string' }], ['$.owner.anyOf[1]: alternative removed']],
    ['an anyOf alternative narrowed', 'properties.owner.anyOf.1.minimum', 10, ['$.owner.anyOf[1]: minimum raised from 1 to 10']],
    [
      'a oneOf alternative removed',
      'properties.target.oneOf',
      [{ type: 'integer' }],
      ['$.target.oneOf[0]: type changed from string to integer', '$.target.oneOf[1]: alternative removed'],
    ],
    ['a oneOf alternative widened (may overlap another)', 'properties.target.oneOf.0.maxLength', 20, ['$.target.oneOf[0]: alternative changed']],
    ['a oneOf alternative added', 'properties.target.oneOf.2', { type: 'boolean' }, ['$.target.oneOf: alternative added']],
    ['anyOf added to a property', 'properties.note.anyOf', [{ type: 'string' }], ['$.note: anyOf added']],
    ['an open object closed', 'properties.meta.additionalProperties', false, ['$.meta: closed to additional properties']],
    [
      'an open object restricted to a schema',
      'properties.meta.additionalProperties',
      { type: 'string' },
      ['$.meta: additional properties restricted to a schema'],
    ],
    ['an additionalProperties schema narrowed', 'properties.tags.additionalProperties.maxLength', 20, ['$.tags.*: maxLength lowered from 50 to 20']],
    ['an additionalProperties schema closed', 'properties.tags.additionalProperties', false, ['$.tags: closed to additional properties']],
    [
      'a new property narrower than the additionalProperties it was valid against',
      'properties.tags.properties',
      { env: { type: 'string', enum: ['prod'] } },
      ['$.tags.env: enum added'],
    ],
    ['a property removed from array items', 'properties.lines.items.properties.sku', undefined, ['$.lines[].sku: property removed']],
    [
      'a keyword without its own rule changed',
      'properties.lines.items.properties.quantity.multipleOf',
      10,
      ['$.lines[].quantity: multipleOf changed'],
    ],
  ])('rejects %s, naming the path', (_kind, path, value, expected) => {
    expect(incompatibilities(order, orderWith(path, value))).toEqual(expected);
  });

  it.each([
    ['a new optional property', 'properties.coupon', { type: 'string', maxLength: 20 }],
    ['a new optional property in array items', 'properties.lines.items.properties.discount', { type: 'integer', minimum: 0 }],
    ['a maximum raised', 'properties.lines.items.properties.quantity.maximum', 5000],
    ['a minimum lowered', 'properties.lines.items.properties.quantity.minimum', 0],
    ['a maxLength raised', 'properties.id.maxLength', 200],
    ['a bound removed', 'properties.lines.maxItems', undefined],
    ['an exclusiveMinimum lowered', 'properties.price.exclusiveMinimum', -1],
    ['an added enum value', 'properties.status.enum', ['open', 'closed', 'cancelled']],
    ['an added anyOf alternative', 'properties.owner.anyOf.2', { type: 'boolean' }],
    ['a widened anyOf alternative', 'properties.owner.anyOf.1.minimum', 0],
    ['an additionalProperties schema widened', 'properties.tags.additionalProperties.maxLength', 100],
    ['an additionalProperties schema opened', 'properties.tags.additionalProperties', undefined],
    ['a description added', 'properties.target.oneOf.0.description', 'a short code'],
    ['a property within the additionalProperties schema', 'properties.tags.properties', { env: { type: 'string', maxLength: 50 } }],
  ])('accepts %s', (_kind, path, value) => {
    expect(incompatibilities(order, orderWith(path, value))).toEqual([]);
  });

  it('accepts an object that was closed being opened again', () => {
    const closed = orderWith('properties.meta.additionalProperties', false);
    expect(incompatibilities(closed, order)).toEqual([]);
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
