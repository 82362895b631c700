import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { catalogSchemas } from './catalog';
import { contractsSchemas } from './contracts';
import { poolSchemas } from './pool';
import { pointsSchemas } from './points';
import envelopeSchema from './envelope.schema.json';
import type { CloudEvent } from './envelope';

const SCHEMA_ID_PREFIX = 'licensing:schemas:';

export interface JsonSchema {
  $id: string;
  [keyword: string]: unknown;
}

/** Every event schema of every producer; a producer adds its list here. */
export const allEventSchemas: JsonSchema[] = [...catalogSchemas, ...poolSchemas, ...pointsSchemas, ...contractsSchemas];

export type Validation = { ok: true } | { ok: false; error: string };

/** The JSON Schema validator the platform uses (ajv 8, with formats), for tools and tests that check other documents too. */
export function createAjv(options: Options = {}): Ajv {
  const validator = new Ajv(options);
  addFormats(validator);
  return validator;
}

const ajv = createAjv({ allErrors: true, strict: true });
const envelopeValidator = ajv.compile(envelopeSchema);
const byType = new Map<string, ValidateFunction>();
for (const schema of allEventSchemas) {
  byType.set(schema.$id.slice(SCHEMA_ID_PREFIX.length), ajv.compile(schema));
}

const describe = (where: string, errors: ErrorObject[] | null | undefined): string =>
  (errors ?? []).map((e) => `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}`).join('; ');

export const knownEventTypes = (): string[] => [...byType.keys()].sort();

/** The event type a schema describes (its `$id` is `licensing:schemas:<type>`). */
export const schemaTypeOf = (schema: JsonSchema): string => schema.$id.slice(SCHEMA_ID_PREFIX.length);

export const schemaOf = (type: string): JsonSchema | undefined => allEventSchemas.find((s) => s.$id === SCHEMA_ID_PREFIX + type);

/** Validates the CloudEvents envelope alone, whatever the type. */
export function validateEnvelope(candidate: unknown): Validation {
  if (!envelopeValidator(candidate)) return { ok: false, error: `envelope: ${describe('', envelopeValidator.errors)}` };
  return { ok: true };
}

/** Validates the envelope and then the payload against the schema of its type and version. */
export function validateEvent(candidate: unknown): Validation {
  const envelope = validateEnvelope(candidate);
  if (!envelope.ok) return envelope;
  const event = candidate as unknown as CloudEvent;
  const validateData = byType.get(event.type);
  if (!validateData) return { ok: false, error: `unknown event type or version: ${event.type}` };
  if (!validateData(event.data)) return { ok: false, error: `${event.type}: ${describe('data', validateData.errors)}` };
  return { ok: true };
}

/** For producers: a bug if an event they build does not match its own schema. */
export function assertValidEvent(event: CloudEvent): void {
  const result = validateEvent(event);
  if (!result.ok) throw new Error(`refusing to emit an invalid event: ${result.error}`);
}
