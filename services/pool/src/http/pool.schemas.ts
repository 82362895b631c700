/** JSON Schemas of the pool's HTTP API; they validate requests and generate the OpenAPI document. */
import { partnerIdSchema } from '@licensing/platform';

const partnerId = partnerIdSchema;
const sku = { type: 'string', pattern: '^[A-Z0-9][A-Z0-9-]{1,39}$', description: 'upper-case letters, digits and dashes, 2–40 characters' } as const;
const termMonths = { type: 'integer', enum: [1, 12, 24, 36] } as const;
const count = { type: 'integer', minimum: 0 } as const;
const delta = { type: 'integer', description: 'signed change' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

export const partnerParams = { type: 'object', required: ['partnerId'], properties: { partnerId } } as const;
export const thresholdParams = { type: 'object', required: ['partnerId', 'sku'], properties: { partnerId, sku } } as const;

export const purchaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'lines'],
  properties: {
    orderId: {
      type: 'string',
      pattern: '^[\\x21-\\x7E]{1,100}$',
      description: 'the order that pays for the licenses; a purchase is taken once per orderId',
    },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'termMonths', 'quantity'],
        properties: {
          sku,
          termMonths: { ...termMonths, description: 'purchases are annual: 12, 24 or 36' },
          quantity: { type: 'integer', minimum: 1, maximum: 1000000 },
        },
      },
    },
  },
} as const;

export const thresholdBody = {
  type: 'object',
  additionalProperties: false,
  required: ['threshold'],
  properties: {
    threshold: {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      description: 'stock-low is emitted when available licenses of the sku fall below it',
    },
  },
} as const;

export const poolQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { asOf: { ...dateTime, description: 'the stock as it was at this time, from the movement ledger' } },
} as const;

export const movementsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sku,
    from: { ...dateTime, description: 'movements at or after this time' },
    to: { ...dateTime, description: 'movements at or before this time' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page' },
  },
} as const;

const stockLine = { type: 'object', properties: { sku, termMonths, quantity: { type: 'integer' } } } as const;
const poolLine = { type: 'object', properties: { sku, termMonths, available: count, reserved: count, assigned: count } } as const;

export const poolSchema = {
  type: 'object',
  properties: {
    partnerId,
    version: { type: 'integer', minimum: 1 },
    openedAt: dateTime,
    updatedAt: dateTime,
    lines: { type: 'array', items: poolLine },
    thresholds: {
      type: 'array',
      items: { type: 'object', properties: { sku, threshold: count, available: count, low: { type: 'boolean' } } },
    },
    reservations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          assignmentId: { type: 'string' },
          clientId: { type: 'string' },
          lines: { type: 'array', items: stockLine },
          reservedAt: dateTime,
          expiresAt: dateTime,
        },
      },
    },
  },
} as const;

/** GET /pool: the current pool, or with asOf only `partnerId`, `asOf` and the `lines` then. */
export const poolOrAsOfSchema = {
  type: 'object',
  properties: { ...poolSchema.properties, asOf: dateTime },
} as const;

export const purchaseSchema = {
  type: 'object',
  properties: { orderId: { type: 'string' }, duplicate: { type: 'boolean' }, lines: { type: 'array', items: stockLine }, pool: poolSchema },
} as const;

export const movementSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    eventId: { type: 'string' },
    eventType: { type: 'string' },
    sku,
    termMonths,
    available: delta,
    reserved: delta,
    assigned: delta,
    reason: { type: 'string', enum: ['purchase', 'points', 'recovery', 'reserved', 'committed', 'released', 'expired', 'unassigned'] },
    detail: { type: 'string' },
    reference: { type: 'string' },
    correlationId: { type: 'string' },
    at: dateTime,
    poolVersion: { type: 'integer' },
  },
} as const;

export const movementPageSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: movementSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;
