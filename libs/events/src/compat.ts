/**
 * Compatibility rule for a new revision of one published event version: only additive changes.
 * Every event the old schema accepted must still validate against the new one (replays, producers
 * not yet upgraded), so nothing may narrow: no property removed, no bound tightened, no enum
 * value or union alternative removed, no object closed that was open. What consumers key on stays
 * frozen: type, required set, const, format and pattern. Widenings a consumer must tolerate anyway
 * are allowed: a new optional property, an added enum value or anyOf alternative, a looser bound.
 * Keywords without a rule here are compared as they are, so an unforeseen change fails.
 */
type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined =>
  value === true ? {} : value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;

/** Key order carries no meaning in JSON Schema, so it is not a change. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value !== null && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const typesOf = (schema: Schema): string => {
  const t = schema.type;
  return (Array.isArray(t) ? (t as string[]) : t === undefined ? ['any'] : [t as string]).slice().sort().join('|');
};

/** Annotations change no validation result. */
const ANNOTATIONS = new Set(['$id', '$schema', '$comment', 'title', 'description', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated']);
const FROZEN = ['const', 'format', 'pattern'];
/** A lower maximum or a higher minimum rejects values the old schema accepted. */
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const HANDLED = new Set([
  ...ANNOTATIONS,
  ...FROZEN,
  ...UPPER_BOUNDS,
  ...LOWER_BOUNDS,
  'type',
  'required',
  'enum',
  'uniqueItems',
  'properties',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'definitions',
  '$defs',
]);

function boundProblems(oldS: Schema, newS: Schema, path: string): string[] {
  const problems: string[] = [];
  for (const keyword of [...UPPER_BOUNDS, ...LOWER_BOUNDS]) {
    const [before, after] = [oldS[keyword], newS[keyword]];
    if (same(before, after) || after === undefined) continue;
    if (typeof after !== 'number' || (before !== undefined && typeof before !== 'number')) problems.push(`${path}: ${keyword} changed`);
    else if (before === undefined) problems.push(`${path}: ${keyword} ${after} added`);
    else if (UPPER_BOUNDS.includes(keyword) ? after < before : after > before) {
      problems.push(`${path}: ${keyword} ${UPPER_BOUNDS.includes(keyword) ? 'lowered' : 'raised'} from ${before} to ${after}`);
    }
  }
  if (oldS.uniqueItems !== true && newS.uniqueItems === true) problems.push(`${path}: uniqueItems added`);
  return problems;
}

function enumProblems(oldS: Schema, newS: Schema, path: string): string[] {
  if (!Array.isArray(newS.enum)) return Array.isArray(oldS.enum) ? [`${path}: enum removed`] : [];
  if (!Array.isArray(oldS.enum)) return [`${path}: enum added`];
  const newEnum = newS.enum;
  return oldS.enum.filter((value) => !newEnum.some((v) => same(v, value))).map((value) => `${path}: enum value ${JSON.stringify(value)} removed`);
}

/**
 * anyOf: an added alternative only widens. oneOf: an added or widened alternative can make an old
 * event match two alternatives, which oneOf rejects, so its alternatives must stay as they were.
 */
function alternativeProblems(oldS: Schema, newS: Schema, path: string): string[] {
  const problems: string[] = [];
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const before = Array.isArray(oldS[keyword]) ? (oldS[keyword] as unknown[]) : undefined;
    const after = Array.isArray(newS[keyword]) ? (newS[keyword] as unknown[]) : undefined;
    if (!before) {
      if (after) problems.push(`${path}: ${keyword} added`);
      continue;
    }
    for (const [i, alternative] of before.entries()) {
      const where = `${path}.${keyword}[${i}]`;
      if (!after || i >= after.length) {
        problems.push(`${where}: alternative removed`);
        continue;
      }
      const nested = incompatibilities(alternative, after[i], where);
      problems.push(...nested);
      if (keyword === 'oneOf' && nested.length === 0 && !same(withoutAnnotations(alternative), withoutAnnotations(after[i]))) {
        problems.push(`${where}: alternative changed`);
      }
    }
    if (keyword === 'oneOf' && after && after.length > before.length) problems.push(`${path}.oneOf: alternative added`);
  }
  return problems;
}

function withoutAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAnnotations);
  const schema = asSchema(value);
  if (!schema || value === true) return value;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([k]) => !ANNOTATIONS.has(k))
      .map(([k, v]) => [k, k === 'properties' || k === 'definitions' || k === '$defs' ? mapValues(v, withoutAnnotations) : withoutAnnotations(v)]),
  );
}

const mapValues = (value: unknown, f: (v: unknown) => unknown): unknown =>
  Object.fromEntries(Object.entries(asSchema(value) ?? {}).map(([k, v]) => [k, f(v)]));

/** Absent or true: open; false: closed; an object: extra properties must match that schema. */
function additionalPropertiesProblems(oldS: Schema, newS: Schema, path: string): string[] {
  const [before, after] = [oldS.additionalProperties, newS.additionalProperties];
  if (before === false || after === undefined || after === true) return [];
  if (after === false) return [`${path}: closed to additional properties`];
  if (before === undefined || before === true) return [`${path}: additional properties restricted to a schema`];
  return incompatibilities(before, after, `${path}.*`);
}

function propertyProblems(oldS: Schema, newS: Schema, path: string): string[] {
  const problems: string[] = [];
  const oldProps = asSchema(oldS.properties) ?? {};
  const newProps = asSchema(newS.properties) ?? {};
  for (const [name, oldProp] of Object.entries(oldProps)) {
    if (!(name in newProps)) problems.push(`${path}.${name}: property removed`);
    else problems.push(...incompatibilities(oldProp, newProps[name], `${path}.${name}`));
  }
  // Old events may carry a newly declared property already, valid against the old additionalProperties schema.
  const oldExtra = asSchema(oldS.additionalProperties);
  if (oldExtra && oldS.additionalProperties !== true) {
    for (const [name, newProp] of Object.entries(newProps)) {
      if (!(name in oldProps)) problems.push(...incompatibilities(oldExtra, newProp, `${path}.${name}`));
    }
  }
  return problems;
}

function definitionProblems(oldS: Schema, newS: Schema, path: string): string[] {
  const problems: string[] = [];
  for (const keyword of ['definitions', '$defs']) {
    const newDefs = asSchema(newS[keyword]) ?? {};
    for (const [name, oldDef] of Object.entries(asSchema(oldS[keyword]) ?? {})) {
      const where = `${path}.${keyword}.${name}`;
      problems.push(...(name in newDefs ? incompatibilities(oldDef, newDefs[name], where) : [`${where}: definition removed`]));
    }
  }
  return problems;
}

export function incompatibilities(before: unknown, after: unknown, path = '$'): string[] {
  if (before === false) return [];
  const oldS = asSchema(before);
  if (!oldS) return [];
  if (after === false) return [`${path}: schema now rejects every value`];
  const newS = asSchema(after);
  if (!newS) return [`${path}: schema removed`];
  const problems: string[] = [];
  if (typesOf(oldS) !== typesOf(newS)) problems.push(`${path}: type changed from ${typesOf(oldS)} to ${typesOf(newS)}`);
  for (const keyword of FROZEN) {
    const [was, is] = [JSON.stringify(oldS[keyword]), JSON.stringify(newS[keyword])];
    if (same(oldS[keyword], newS[keyword])) continue;
    problems.push(`${path}: ${keyword} ${was === undefined ? `${is} added` : is === undefined ? `${was} removed` : `changed from ${was} to ${is}`}`);
  }
  const oldRequired = ((oldS.required as string[] | undefined) ?? []).slice().sort();
  const newRequired = ((newS.required as string[] | undefined) ?? []).slice().sort();
  for (const name of newRequired.filter((r) => !oldRequired.includes(r))) problems.push(`${path}.${name}: became required`);
  for (const name of oldRequired.filter((r) => !newRequired.includes(r))) problems.push(`${path}.${name}: no longer required`);
  problems.push(...enumProblems(oldS, newS, path), ...boundProblems(oldS, newS, path), ...additionalPropertiesProblems(oldS, newS, path));
  problems.push(...propertyProblems(oldS, newS, path));
  if (oldS.items !== undefined) {
    if (Array.isArray(oldS.items) || Array.isArray(newS.items)) {
      if (!same(oldS.items, newS.items)) problems.push(`${path}[]: tuple items changed`);
    } else problems.push(...incompatibilities(oldS.items, newS.items, `${path}[]`));
  } else if (newS.items !== undefined && newS.items !== true) problems.push(`${path}[]: items restricted to a schema`);
  problems.push(...alternativeProblems(oldS, newS, path), ...definitionProblems(oldS, newS, path));
  for (const keyword of new Set([...Object.keys(oldS), ...Object.keys(newS)])) {
    if (!HANDLED.has(keyword) && !same(withoutAnnotations(oldS[keyword]), withoutAnnotations(newS[keyword]))) {
      problems.push(`${path}: ${keyword} changed`);
    }
  }
  return problems;
}
