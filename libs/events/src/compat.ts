/**
 * Compatibility rule for a new revision of one event version: only additive changes.
 * Old events must still validate against the new schema (replays) and new events against the
 * old one (consumers not yet upgraded), so: no property removed, no type or format changed,
 * the required set unchanged, no enum value removed, no object closed that was open.
 */
type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;

const typesOf = (schema: Schema): string[] => {
  const t = schema.type;
  return (Array.isArray(t) ? (t as string[]) : t === undefined ? [] : [t as string]).slice().sort();
};

export function incompatibilities(before: unknown, after: unknown, path = '$'): string[] {
  const oldS = asSchema(before);
  const newS = asSchema(after);
  if (!oldS) return [];
  if (!newS) return [`${path}: schema removed`];
  const problems: string[] = [];
  if (typesOf(oldS).join() !== typesOf(newS).join()) {
    problems.push(`${path}: type changed from ${typesOf(oldS).join('|')} to ${typesOf(newS).join('|')}`);
  }
  for (const keyword of ['const', 'format', 'pattern']) {
    if (JSON.stringify(oldS[keyword]) !== JSON.stringify(newS[keyword])) problems.push(`${path}: ${keyword} changed`);
  }
  const oldRequired = ((oldS.required as string[] | undefined) ?? []).slice().sort();
  const newRequired = ((newS.required as string[] | undefined) ?? []).slice().sort();
  for (const name of newRequired.filter((r) => !oldRequired.includes(r))) problems.push(`${path}.${name}: became required`);
  for (const name of oldRequired.filter((r) => !newRequired.includes(r))) problems.push(`${path}.${name}: no longer required`);
  if (Array.isArray(oldS.enum)) {
    const newEnum = Array.isArray(newS.enum) ? newS.enum : [];
    for (const value of oldS.enum) {
      if (!newEnum.some((v) => JSON.stringify(v) === JSON.stringify(value))) problems.push(`${path}: enum value ${JSON.stringify(value)} removed`);
    }
  }
  if (oldS.additionalProperties !== false && newS.additionalProperties === false) problems.push(`${path}: closed to additional properties`);
  const oldProps = asSchema(oldS.properties) ?? {};
  const newProps = asSchema(newS.properties) ?? {};
  for (const [name, oldProp] of Object.entries(oldProps)) {
    if (!(name in newProps)) problems.push(`${path}.${name}: property removed`);
    else problems.push(...incompatibilities(oldProp, newProps[name], `${path}.${name}`));
  }
  if (oldS.items !== undefined) problems.push(...incompatibilities(oldS.items, newS.items, `${path}[]`));
  return problems;
}
