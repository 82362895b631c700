/**
 * The payload interfaces are written by hand beside the published schemas; this reads each
 * interface with the TypeScript compiler and compares its shape with its schema, so the two
 * cannot drift apart. Convention: `pool.licenses-reserved.v1` is `LicensesReservedV1`, exported
 * from `src/pool/index.ts`.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { allEventSchemas } from '../src';

type Schema = Record<string, unknown>;

const SRC = join(__dirname, '..', 'src');
const FIXTURE = join(__dirname, '__payload-fixture__.ts');
const events = allEventSchemas.map((schema) => ({ type: schema.$id.replace('licensing:schemas:', ''), schema }));
const contexts = [...new Set(events.map((e) => e.type.split('.')[0] as string))];

/** Interfaces for the comparison's own test: `Fine` matches `fixtureSchema`, each other one breaks it once. */
const fineFields: Record<string, string> = {
  id: 'string',
  count: 'number',
  'note?': 'string',
  kind: "'a' | 'b'",
  at: 'string | null',
  lines: '{ sku: string }[]',
};
const fixtures: Record<string, Record<string, string | undefined>> = {
  Fine: {},
  ExtraField: { lines: '{ sku: string; price: number }[]' },
  MissingRequired: { count: undefined },
  OptionalRequired: { count: undefined, 'count?': 'number' },
  RequiredOptional: { 'note?': undefined, note: 'string' },
  MissingOptional: { 'note?': undefined },
  StringForInteger: { count: 'string' },
  NotNullable: { at: 'string' },
  BooleanForString: { id: 'boolean' },
  ObjectForArray: { lines: '{ sku: string }' },
  WrongLiterals: { kind: "'a' | 'c'" },
  PlainForEnum: { kind: 'string' },
  LiteralForPlain: { id: "'x'" },
  NestedMismatch: { lines: '{ sku: number }[]' },
};
const fixtureSource = Object.entries(fixtures)
  .map(([name, changes]) => {
    const fields = Object.entries({ ...fineFields, ...changes }).filter(([, type]) => type !== undefined);
    return `export interface ${name} { ${fields.map(([field, type]) => `${field}: ${type};`).join(' ')} }`;
  })
  .join('\n');
const fixtureSchema = {
  type: 'object',
  required: ['id', 'count', 'kind', 'at', 'lines'],
  properties: {
    id: { type: 'string' },
    count: { type: 'integer', minimum: 0 },
    note: { type: 'string' },
    kind: { type: 'string', enum: ['a', 'b'] },
    at: { type: ['string', 'null'], format: 'date-time' },
    lines: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
  },
};

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  resolveJsonModule: true,
  noEmit: true,
  types: [],
};

function createChecker(): { checker: ts.TypeChecker; exportsOf: (file: string) => ts.Symbol[] } {
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    file === FIXTURE ? ts.createSourceFile(file, fixtureSource, language) : getSourceFile(file, language, ...rest);
  const roots = [...contexts.map((c) => join(SRC, c, 'index.ts')), FIXTURE];
  const program = ts.createProgram(roots, OPTIONS, host);
  const checker = program.getTypeChecker();
  const exportsOf = (file: string): ts.Symbol[] => {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    return checker.getExportsOfModule(module);
  };
  return { checker, exportsOf };
}

const { checker, exportsOf } = createChecker();

const interfaceType = (file: string, name: string): ts.Type | undefined => {
  const symbol = exportsOf(file).find((s) => s.name === name && s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias));
  return symbol && checker.getDeclaredTypeOfSymbol(symbol);
};

/** What one TypeScript type allows, in JSON Schema terms. */
interface Shape {
  kinds: Set<string>;
  /** Holds a whole primitive type (string, number, boolean), not just some literals of it. */
  open: boolean;
  literals: unknown[];
  arrays: ts.Type[];
  objects: ts.Type[];
  unsupported: string[];
}

function shapeOf(type: ts.Type): Shape {
  const members = (type.isUnion() ? type.types : [type]).filter((t) => !(t.flags & ts.TypeFlags.Undefined));
  const booleans = members.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral).map((t) => checker.typeToString(t) === 'true');
  const shape: Shape = { kinds: new Set(), open: booleans.length === 2, literals: [], arrays: [], objects: [], unsupported: [] };
  for (const t of members) {
    if (t.flags & ts.TypeFlags.Null) shape.kinds.add('null');
    else if (t.flags & (ts.TypeFlags.String | ts.TypeFlags.Number)) {
      shape.kinds.add(t.flags & ts.TypeFlags.String ? 'string' : 'number');
      shape.open = true;
    } else if (t.isStringLiteral() || t.isNumberLiteral()) {
      shape.kinds.add(typeof t.value);
      shape.literals.push(t.value);
    } else if (t.flags & ts.TypeFlags.BooleanLiteral) shape.kinds.add('boolean');
    else if (checker.isArrayType(t)) {
      shape.kinds.add('array');
      shape.arrays.push(checker.getTypeArguments(t as ts.TypeReference)[0] as ts.Type);
    } else if (t.flags & ts.TypeFlags.Object && !checker.isTupleType(t)) {
      shape.kinds.add('object');
      shape.objects.push(t);
    } else shape.unsupported.push(checker.typeToString(t));
  }
  // `boolean` is `true | false`; only one of them is a literal the schema must list.
  if (booleans.length === 1) shape.literals.push(booleans[0]);
  return shape;
}

const UNCOMPARED_KEYWORDS = ['anyOf', 'oneOf', 'allOf', 'not', '$ref', 'patternProperties', 'if'];
const sorted = (values: unknown[]): string =>
  values
    .map((v) => JSON.stringify(v))
    .sort()
    .join(', ');
const kindsOf = (schema: Schema): string[] => {
  if (schema.type !== undefined) return (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
  const values = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : [];
  return [...new Set(values.map((v) => (v === null ? 'null' : typeof v)))];
};

/** Every difference between a TypeScript type and a schema, each naming its path. */
function mismatches(type: ts.Type, schema: Schema, path: string): string[] {
  const uncompared = UNCOMPARED_KEYWORDS.filter((k) => k in schema);
  if (uncompared.length > 0) return [`${path}: the schema uses ${uncompared.join(', ')}, which this test does not compare yet`];
  const shape = shapeOf(type);
  if (shape.unsupported.length > 0)
    return [`${path}: the interface uses ${shape.unsupported.join(' | ')}, which has no JSON Schema counterpart here`];
  const problems: string[] = [];
  const schemaKinds = kindsOf(schema);
  // JSON Schema's integer is a TypeScript number; the schema alone can say it is whole.
  const wanted = new Set(schemaKinds.map((k) => (k === 'integer' ? 'number' : k)));
  if ([...wanted].sort().join('|') !== [...shape.kinds].sort().join('|')) {
    problems.push(`${path}: the schema says ${schemaKinds.join(' | ') || 'anything'}, the interface ${checker.typeToString(type)}`);
    return problems;
  }
  const allowed = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : undefined;
  const enumValues = allowed?.filter((v) => v !== null);
  if (enumValues && (shape.open || sorted(enumValues) !== sorted(shape.literals))) {
    problems.push(`${path}: the schema allows only ${sorted(enumValues)}, the interface ${checker.typeToString(type)}`);
  } else if (!enumValues && shape.literals.length > 0) {
    problems.push(`${path}: the interface allows only ${sorted(shape.literals)}, the schema any ${schemaKinds.join(' | ')}`);
  }
  for (const element of shape.arrays) {
    const items = schema.items;
    if (items === null || typeof items !== 'object' || Array.isArray(items))
      problems.push(`${path}[]: the schema has no single items schema to compare`);
    else problems.push(...mismatches(element, items as Schema, `${path}[]`));
  }
  for (const object of shape.objects) problems.push(...objectMismatches(object, schema, path));
  return problems;
}

function objectMismatches(type: ts.Type, schema: Schema, path: string): string[] {
  const problems: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const fields = new Map(checker.getPropertiesOfType(type).map((p) => [p.name, p]));
  for (const [name, field] of fields) {
    const where = `${path}.${name}`;
    const optional = (field.flags & ts.SymbolFlags.Optional) !== 0;
    const property = properties[name];
    if (!property) problems.push(`${where}: in the interface, not in the schema`);
    else {
      if (required.has(name) && optional) problems.push(`${where}: required by the schema, optional in the interface`);
      if (!required.has(name) && !optional) problems.push(`${where}: optional in the schema, required in the interface`);
      problems.push(...mismatches(checker.getTypeOfSymbol(field), property, where));
    }
  }
  for (const name of Object.keys(properties).filter((n) => !fields.has(n))) {
    problems.push(`${path}.${name}: ${required.has(name) ? 'required' : 'optional'} in the schema, missing from the interface`);
  }
  const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
  const extra = schema.additionalProperties;
  if (extra !== null && typeof extra === 'object') {
    if (!index) problems.push(`${path}: the schema allows extra properties of a schema, the interface has no index signature`);
    else problems.push(...mismatches(index.type, extra as Schema, `${path}.*`));
  } else if (index) problems.push(`${path}: the interface has an index signature, the schema no additionalProperties schema`);
  return problems;
}

const interfaceNameOf = (eventType: string): string => {
  const [, name = '', version = ''] = eventType.split('.');
  return `${name.replace(/(^|-)([a-z])/g, (_m, _dash, letter: string) => letter.toUpperCase())}${version.toUpperCase()}`;
};

describe('payload interfaces match their schemas', () => {
  it.each(events.map((e) => [e.type, interfaceNameOf(e.type), e.schema] as const))('%s matches %s', (type, name, schema) => {
    const file = join(SRC, type.split('.')[0] as string, 'index.ts');
    const payload = interfaceType(file, name);
    expect({ interfaceFound: payload !== undefined, where: `${name} in ${file}` }).toEqual({ interfaceFound: true, where: expect.any(String) });
    expect(mismatches(payload as ts.Type, schema, '$')).toEqual([]);
  });

  it('every versioned payload interface has a schema', () => {
    const names = contexts
      .flatMap((c) => exportsOf(join(SRC, c, 'index.ts')))
      .filter((s) => s.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && /V\d+$/.test(s.name))
      .map((s) => s.name);
    expect(names.filter((n) => !events.some((e) => interfaceNameOf(e.type) === n))).toEqual([]);
  });
});

describe('the payload comparison', () => {
  const check = (name: string, schema: Schema = fixtureSchema): string[] => mismatches(interfaceType(FIXTURE, name) as ts.Type, schema, '$');

  it('accepts an interface that matches its schema', () => {
    expect(check('Fine')).toEqual([]);
  });

  it.each([
    ['a field missing from the schema', 'ExtraField', ['$.lines[].price: in the interface, not in the schema']],
    ['a required schema field missing from the interface', 'MissingRequired', ['$.count: required in the schema, missing from the interface']],
    ['a required schema field optional in the interface', 'OptionalRequired', ['$.count: required by the schema, optional in the interface']],
    ['an optional schema field required in the interface', 'RequiredOptional', ['$.note: optional in the schema, required in the interface']],
    ['an optional schema field missing from the interface', 'MissingOptional', ['$.note: optional in the schema, missing from the interface']],
    ['a string where the schema has an integer', 'StringForInteger', ['$.count: the schema says integer, the interface string']],
    ['a nullable schema field that is not nullable in the interface', 'NotNullable', ['$.at: the schema says string | null, the interface string']],
    ['a boolean where the schema has a string', 'BooleanForString', ['$.id: the schema says string, the interface boolean']],
    ['an object where the schema has an array', 'ObjectForArray', ['$.lines: the schema says array, the interface { sku: string; }']],
    ['literals that differ from the enum', 'WrongLiterals', ['$.kind: the schema allows only "a", "b", the interface "a" | "c"']],
    ['a plain string where the schema has an enum', 'PlainForEnum', ['$.kind: the schema allows only "a", "b", the interface string']],
    ['a literal where the schema allows any string', 'LiteralForPlain', ['$.id: the interface allows only "x", the schema any string']],
    ['a mismatch inside array items', 'NestedMismatch', ['$.lines[].sku: the schema says string, the interface number']],
  ])('reports %s', (_kind, name, expected) => {
    expect(check(name)).toEqual(expected);
  });

  it('refuses to pass a schema keyword it does not compare', () => {
    const union = { ...fixtureSchema, properties: { ...fixtureSchema.properties, id: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } };
    expect(check('Fine', union)).toEqual(['$.id: the schema uses anyOf, which this test does not compare yet']);
  });
});
