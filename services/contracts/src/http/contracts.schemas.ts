/** JSON Schemas of the contracts HTTP API; they validate requests and generate the OpenAPI document. */
import { partnerIdSchema } from '@licensing/platform';

const id = (what: string) =>
  ({
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$',
    description: `the ${what}: letters, digits, dot, dash, underscore; 1–100 characters`,
  }) as const;
const partnerId = partnerIdSchema;
const clientId = id('client id');
const assignmentId = { type: 'string', pattern: '^[A-Za-z0-9-]{1,100}$' } as const;
const sku = { type: 'string', pattern: '^[A-Z0-9][A-Z0-9-]{1,39}$', description: 'upper-case letters, digits and dashes, 2–40 characters' } as const;
const term = {
  type: 'integer',
  enum: [1, 12, 24, 36],
  description: 'months: 12, 24 or 36 (annual pool), or 1 (monthly, bought with points)',
} as const;
const quantity = { type: 'integer', minimum: 1, maximum: 1000000 } as const;
const managementModel = { type: 'string', enum: ['self', 'delegated'] } as const;
const day = { type: 'string', description: 'a UTC calendar day, YYYY-MM-DD' } as const;
const prefer = { type: 'string', maxLength: 200, description: 'RFC 7240; `wait=N` waits up to N seconds for the final state' } as const;

export const partnerParams = { type: 'object', required: ['partnerId'], properties: { partnerId } } as const;
export const clientParams = { type: 'object', required: ['partnerId', 'clientId'], properties: { partnerId, clientId } } as const;
export const assignmentParams = {
  type: 'object',
  required: ['partnerId', 'clientId', 'assignmentId'],
  properties: { partnerId, clientId, assignmentId },
} as const;

export const createClientBody = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'name'],
  properties: { clientId, name: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const clientsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'string', maxLength: 200, description: 'nextCursor of the previous page (opaque)' },
  },
} as const;

export const assignmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'termMonths', 'quantity', 'managementModel'],
  properties: {
    sku,
    termMonths: term,
    quantity,
    managementModel,
    autoRenew: { type: 'boolean', default: false, description: 'renew the product and its modules on their end date (C3)' },
    modules: {
      type: 'array',
      maxItems: 49,
      default: [],
      description: 'modules assigned with the product, for the same term (C7)',
      items: { type: 'object', additionalProperties: false, required: ['sku', 'quantity'], properties: { sku, quantity } },
    },
  },
} as const;

export const assignmentHeaders = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    'idempotency-key': {
      type: 'string',
      pattern: '^[A-Za-z0-9._:-]{1,200}$',
      description: 'a client-chosen key: the same key starts one assignment; with another body it is refused (409)',
    },
    prefer,
  },
} as const;
export const preferHeaders = { type: 'object', properties: { prefer } } as const;

const deviceId = id('device id');
const contractId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,119}$', description: 'a contract id as the API gave it' } as const;
export const serviceParams = {
  type: 'object',
  required: ['partnerId', 'clientId', 'sku'],
  properties: { partnerId, clientId, sku },
} as const;
export const deviceParams = {
  type: 'object',
  required: ['partnerId', 'clientId', 'sku', 'deviceId'],
  properties: { partnerId, clientId, sku, deviceId },
} as const;
export const contractParams = {
  type: 'object',
  required: ['partnerId', 'clientId', 'contractId'],
  properties: { partnerId, clientId, contractId },
} as const;
export const dryRunQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { dryRun: { type: 'boolean', default: false, description: 'answer what would happen, change nothing' } },
} as const;
const annualOrMonthly = term;
export const renewalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['termMonths'],
  properties: { termMonths: annualOrMonthly },
} as const;
export const changeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['toSku', 'termMonths'],
  properties: { toSku: sku, termMonths: term },
} as const;
export const moduleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku', 'quantity'],
  properties: { sku, quantity },
} as const;
export const servicePatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    autoRenew: { type: 'boolean', description: 'renew the product and its modules on their end date for the same term (C3)' },
    managementModel: { ...managementModel, description: 'only a model the product allows' },
  },
} as const;
export const trialBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sku'],
  properties: { sku: { ...sku, description: 'a trial edition' } },
} as const;
export const trialParams = serviceParams;
/** For a saga started by a request that is not an assignment: the same key answers the same saga. */
export const sagaHeaders = assignmentHeaders;

const licenseLine = {
  type: 'object',
  properties: { sku: { type: 'string' }, termMonths: { type: 'integer' }, quantity: { type: 'integer' } },
} as const;
const licenseLines = { type: 'array', items: licenseLine } as const;

export const cancellationSchema = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    contracts: {
      type: 'array',
      description: 'the contracts that end: the one named and, for a product, its modules (C7)',
      items: { type: 'object', properties: { contractId: { type: 'string' }, sku: { type: 'string' }, recovered: licenseLines } },
    },
    recovered: { ...licenseLines, description: 'what goes back to the pool, with the original terms (C5)' },
    deactivatedDevices: { type: 'array', items: { type: 'string' }, description: 'devices that lose their license, longest unseen first' },
  },
} as const;

export const groupingSchema = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    sku: { type: 'string' },
    contract: {
      type: 'object',
      properties: {
        contractId: { type: 'string' },
        licenses: { type: 'integer' },
        lines: { type: 'array', items: { type: 'object', properties: { termMonths: { type: 'integer' }, quantity: { type: 'integer' } } } },
        startsOn: day,
        endsOn: day,
      },
    },
    replaced: { type: 'array', items: { type: 'string' } },
    modules: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string' },
          contractId: { type: 'string' },
          licenses: { type: 'integer' },
          replaced: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

export const changePreviewSchema = {
  type: 'object',
  required: ['dryRun'],
  properties: {
    dryRun: { type: 'boolean' },
    fromSku: { type: 'string' },
    toSku: { type: 'string' },
    kind: { type: 'string', enum: ['upgrade', 'downgrade'] },
    ended: {
      type: 'array',
      items: { type: 'object', properties: { contractId: { type: 'string' }, sku: { type: 'string' }, recovered: licenseLines } },
    },
    recovered: licenseLines,
    contract: {
      type: 'object',
      properties: { sku: { type: 'string' }, termMonths: { type: 'integer' }, quantity: { type: 'integer' }, startsOn: day, endsOn: day },
    },
    managementModel,
  },
} as const;

export const deviceSchema = {
  type: 'object',
  properties: { deviceId: { type: 'string' }, lastSeenAt: { type: 'string', format: 'date-time' } },
} as const;

const trialContract = {
  type: 'object',
  properties: {
    contractId: { type: 'string' },
    sku: { type: 'string' },
    maxDevices: { type: 'integer' },
    startsOn: day,
    endsOn: day,
    extended: { type: 'boolean' },
  },
} as const;
export const trialSchema = trialContract;

const contract = {
  type: 'object',
  properties: {
    contractId: { type: 'string' },
    sku: { type: 'string' },
    termMonths: { type: 'integer' },
    quantity: { type: 'integer', description: 'licenses: how many devices it lets run' },
    startsOn: day,
    endsOn: day,
    status: { type: 'string', enum: ['active', 'in-grace', 'expired', 'cancelled'], description: 'today, by the platform clock' },
  },
} as const;
const contracts = { type: 'array', items: contract } as const;

const clientSummary = {
  clientId: { type: 'string' },
  name: { type: 'string' },
  createdAt: { type: 'string' },
  updatedAt: { type: 'string' },
} as const;

export const clientListSchema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', properties: clientSummary } },
    nextCursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last page' },
  },
} as const;

export const clientSchema = {
  type: 'object',
  properties: {
    partnerId: { type: 'string' },
    ...clientSummary,
    version: { type: 'integer' },
    services: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string' },
          familyCode: { type: 'string' },
          trialEdition: { type: 'boolean' },
          managementModel,
          autoRenew: { type: 'boolean' },
          contracts: { ...contracts, description: 'contracts held: active, in grace, or expired awaiting the sweep' },
          modules: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, contracts } } },
          devices: { type: 'array', items: { type: 'object', properties: { deviceId: { type: 'string' }, lastSeenAt: { type: 'string' } } } },
          licenses: {
            type: 'object',
            description: 'C8: licenses of the contracts active or in grace, those devices use, and those free',
            properties: { total: { type: 'integer' }, inUse: { type: 'integer' }, free: { type: 'integer' } },
          },
          autoRenewFailure: {
            type: ['object', 'null'],
            description: 'why the last auto-renewal failed (C3), null once a renewal succeeds',
            properties: { code: { type: 'string' }, reason: { type: 'string' }, at: { type: 'string' } },
          },
          ended: {
            type: 'array',
            description: 'the most recent contracts that ended, with why',
            items: {
              type: 'object',
              properties: {
                ...contract.properties,
                endedReason: { type: 'string', enum: ['expired', 'cancelled', 'changed', 'grouped'] },
                endedOn: day,
              },
            },
          },
        },
      },
    },
    pendingAssignments: { type: 'array', items: { type: 'string' }, description: 'assignments waiting for the pool' },
  },
} as const;

export const assignmentSchema = {
  type: 'object',
  properties: {
    assignmentId: { type: 'string' },
    clientId: { type: 'string' },
    kind: { type: 'string', enum: ['assignment', 'renewal', 'auto-renewal', 'change', 'modules'], description: 'what the licenses are for' },
    status: { type: 'string', enum: ['pending', 'activated', 'rejected'] },
    code: {
      type: 'string',
      description: "why it was rejected: the pool's code (e.g. POOL.INSUFFICIENT_STOCK) or CONTRACTS.TIMEOUT, CONTRACTS.FAMILY_RULE",
    },
    reason: { type: 'string' },
    request: {
      ...assignmentBody,
      description: 'what was asked of the pool, as an assignment; for a renewal, change or module, the service it concerns',
    },
    requestedAt: { type: 'string' },
    deadline: { type: 'string', description: 'when the saga gives up waiting for the pool' },
    settledAt: { type: 'string' },
    contracts: { ...contracts, description: 'the contracts the activation created (product first, then modules)' },
    cancellation: {
      type: 'object',
      description: 'the pool could not back the activation: its contracts were cancelled',
      properties: { code: { type: 'string' }, reason: { type: 'string' }, at: { type: 'string' } },
    },
  },
} as const;
