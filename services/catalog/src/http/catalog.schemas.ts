/** JSON Schemas of the catalog's HTTP API; they validate requests and generate the OpenAPI document. */
const sku = { type: 'string', pattern: '^[A-Z0-9][A-Z0-9-]{1,39}$', description: 'upper-case letters, digits and dashes, 2–40 characters' } as const;
const familyCode = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,39}$', description: 'lower-case letters, digits and dashes' } as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const terms = { type: 'array', items: { type: 'integer', enum: [1, 12, 24, 36] }, uniqueItems: true, maxItems: 4 } as const;
const pointsPrice = { type: ['integer', 'null'], minimum: 1, maximum: 1000000 } as const;
const managementModels = { type: 'array', items: { type: 'string', enum: ['self', 'delegated'] }, minItems: 1, uniqueItems: true } as const;
const moduleSkus = { type: 'array', items: sku, uniqueItems: true, maxItems: 100 } as const;
const status = { type: 'string', enum: ['active', 'retired'] } as const;
const version = { type: 'integer', minimum: 1, description: 'increases by one on every change' } as const;

export const familySchema = {
  type: 'object',
  properties: { code: familyCode, name, version, createdAt: { type: 'string' }, updatedAt: { type: 'string' } },
} as const;

export const moduleSchema = {
  type: 'object',
  properties: {
    sku,
    name,
    terms,
    pointsPricePerMonth: pointsPrice,
    status,
    version,
    productSkus: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    retiredAt: { type: ['string', 'null'] },
  },
} as const;

const change = { type: 'object', properties: { toSku: { type: 'string' }, kind: { type: 'string', enum: ['upgrade', 'downgrade'] } } } as const;

export const productSchema = {
  type: 'object',
  properties: {
    sku,
    name,
    familyCode,
    trialEdition: { type: 'boolean' },
    terms,
    managementModels,
    moduleSkus,
    pointsPricePerMonth: pointsPrice,
    status,
    changes: { type: 'array', items: change },
    version,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    retiredAt: { type: ['string', 'null'] },
  },
} as const;

export const createFamilyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name'],
  properties: { code: familyCode, name },
} as const;

export const renameFamilyBody = { type: 'object', additionalProperties: false, required: ['name'], properties: { name } } as const;

export const createModuleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'name', 'terms'],
  properties: { sku, name, terms, pointsPricePerMonth: { ...pointsPrice, default: null } },
} as const;

export const updateModuleBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name, terms, pointsPricePerMonth: pointsPrice },
} as const;

export const createProductBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'name', 'familyCode', 'terms', 'managementModels'],
  properties: {
    sku,
    name,
    familyCode,
    trialEdition: { type: 'boolean', default: false },
    terms,
    managementModels,
    moduleSkus: { ...moduleSkus, default: [] },
    pointsPricePerMonth: { ...pointsPrice, default: null },
  },
} as const;

export const updateProductBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name, familyCode, terms, managementModels, moduleSkus, pointsPricePerMonth: pointsPrice },
} as const;

export const productChangeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['fromSku', 'toSku', 'kind'],
  properties: { fromSku: sku, toSku: sku, kind: { type: 'string', enum: ['upgrade', 'downgrade'] } },
} as const;

export const productChangeSchema = {
  type: 'object',
  properties: { fromSku: { type: 'string' }, toSku: { type: 'string' }, kind: { type: 'string' } },
} as const;

export const skuParams = { type: 'object', required: ['sku'], properties: { sku } } as const;
export const codeParams = { type: 'object', required: ['code'], properties: { code: familyCode } } as const;
export const changeParams = { type: 'object', required: ['fromSku', 'toSku'], properties: { fromSku: sku, toSku: sku } } as const;
export const productQuery = { type: 'object', additionalProperties: false, properties: { familyCode, status } } as const;
