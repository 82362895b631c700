/** JSON Schemas of the points HTTP API; they validate requests and generate the OpenAPI document. */
import { partnerIdSchema } from '@licensing/platform';

const partnerId = partnerIdSchema;
const sku = { type: 'string', pattern: '^[A-Z0-9][A-Z0-9-]{1,39}$', description: 'upper-case letters, digits and dashes, 2–40 characters' } as const;
const month = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'a UTC month, YYYY-MM' } as const;
const idempotencyKey = {
  type: 'string',
  pattern: '^[A-Za-z0-9._:-]{1,200}$',
  description: 'a client-chosen key: the same key repeats the same command at most once',
} as const;
const points = { type: 'integer', minimum: 0 } as const;

const line = {
  type: 'object',
  required: ['sku', 'termMonths', 'quantity', 'pointsPerLicense'],
  properties: { sku: { type: 'string' }, termMonths: { type: 'integer' }, quantity: { type: 'integer' }, pointsPerLicense: { type: 'integer' } },
} as const;

const holding = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    quantity: { type: 'integer' },
    paidThrough: { type: 'string', description: 'the licenses last until the 1st of the month after this one' },
  },
} as const;

export const walletSchema = {
  type: 'object',
  properties: {
    partnerId: { type: 'string' },
    enrolled: { type: 'boolean' },
    balance: points,
    holdings: { type: 'array', items: holding, description: 'monthly licenses bought with points (M4)' },
    pendingExchanges: { type: 'integer' },
    version: { type: 'integer', description: 'the wallet version; 0 before the partner is first enrolled' },
    updatedAt: { type: ['string', 'null'] },
  },
} as const;

export const exchangeSchema = {
  type: 'object',
  properties: {
    exchangeId: { type: 'string' },
    partnerId: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'completed', 'refunded'] },
    lines: { type: 'array', items: line },
    totalPoints: points,
    correlationId: { type: 'string' },
    requestedAt: { type: 'string' },
    settledAt: { type: ['string', 'null'] },
    refund: {
      type: ['object', 'null'],
      properties: { code: { type: 'string', description: "the pool's refusal code" }, reason: { type: 'string' } },
    },
    stalled: { type: 'boolean', description: 'the pool has not answered within the timeout; the exchange still completes or refunds when it does' },
    warnings: {
      type: 'array',
      items: { type: 'object', properties: { sku: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

export const quoteSchema = {
  type: 'object',
  properties: {
    cost: points,
    balanceAfter: points,
    lines: { type: 'array', items: line },
    warnings: exchangeSchema.properties.warnings,
  },
} as const;

export const ledgerSchema = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          entryId: { type: 'string', description: 'the id of the event that recorded it' },
          kind: { type: 'string', enum: ['credit', 'exchange-debit', 'exchange-refund', 'monthly-renewal'] },
          amount: { type: 'integer', description: 'signed: credits and refunds positive, debits negative' },
          balanceAfter: points,
          reason: { type: 'string' },
          reference: { type: 'string', description: 'the credit id, exchange id or renewal id' },
          walletVersion: { type: 'integer' },
          at: { type: 'string' },
          correlationId: { type: 'string' },
        },
      },
    },
    nextCursor: { type: ['string', 'null'], description: 'pass as `before` for the next (older) page; null on the last page' },
  },
} as const;

export const renewalSummarySchema = {
  type: 'object',
  properties: {
    month: { type: 'string' },
    wallets: { type: 'integer', description: 'wallets that had licenses due for the month in this run' },
    renewedWallets: { type: 'integer' },
    lapsedWallets: { type: 'integer' },
    licensesRenewed: { type: 'integer' },
    licensesLapsed: { type: 'integer' },
    pointsDebited: points,
  },
} as const;

export const partnerParams = { type: 'object', required: ['partnerId'], properties: { partnerId } } as const;
export const exchangeParams = {
  type: 'object',
  required: ['partnerId', 'exchangeId'],
  properties: { partnerId, exchangeId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,100}$' } },
} as const;

export const enrolmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['enrolled'],
  properties: { enrolled: { type: 'boolean' } },
} as const;

export const creditBody = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'reason'],
  properties: {
    amount: { type: 'integer', minimum: 1, maximum: 10000000, description: 'points to add' },
    reason: { type: 'string', minLength: 1, maxLength: 500, description: 'why: a purchase order, a grant…' },
  },
} as const;

export const creditHeaders = { type: 'object', required: ['idempotency-key'], properties: { 'idempotency-key': idempotencyKey } } as const;

export const exchangeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['lines'],
  properties: {
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity'],
        properties: { sku, quantity: { type: 'integer', minimum: 1, maximum: 100000, description: 'monthly licenses (term 1)' } },
      },
    },
  },
} as const;

const prefer = { type: 'string', maxLength: 200, description: 'RFC 7240; `wait=N` waits up to N seconds for the final state' } as const;

export const exchangeHeaders = { type: 'object', properties: { 'idempotency-key': idempotencyKey, prefer } } as const;
export const preferHeaders = { type: 'object', properties: { prefer } } as const;

export const exchangeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { dryRun: { type: 'boolean', default: false, description: 'quote only: {cost, balanceAfter}, nothing changes' } },
} as const;

export const releaseSchema = {
  type: 'object',
  properties: {
    releaseId: { type: 'string' },
    partnerId: { type: 'string' },
    sku: { type: 'string' },
    quantity: { type: 'integer' },
    month: { type: 'string', description: 'the first month (YYYY-MM) the licenses are no longer renewed for' },
    status: { type: 'string', enum: ['pending', 'released', 'refused'], description: 'pending until the pool answers' },
    correlationId: { type: 'string' },
    requestedAt: { type: 'string' },
    settledAt: { type: ['string', 'null'] },
    refusal: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, reason: { type: 'string' } },
      description: 'why the pool refused: fewer are available (the rest are reserved or assigned); the licenses are held and renewed again',
    },
  },
} as const;

export const releaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'quantity'],
  properties: { sku, quantity: { type: 'integer', minimum: 1, maximum: 100000, description: 'monthly licenses (term 1) to release' } },
} as const;

export const releaseHeaders = { type: 'object', required: ['idempotency-key'], properties: { 'idempotency-key': idempotencyKey } } as const;

export const releaseParams = {
  type: 'object',
  required: ['partnerId', 'releaseId'],
  properties: { partnerId, releaseId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,100}$' } },
} as const;

export const renewalBody = { type: 'object', additionalProperties: false, required: ['month'], properties: { month } } as const;
