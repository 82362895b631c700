/**
 * Writes the Kubernetes JSON Schemas that test/k8s.spec.ts validates the rendered overlays with
 * (k8s/schemas/kubernetes), from the schemas the `kubernetes-validate` package of PyPI ships
 * (generated from Kubernetes' own OpenAPI document; k8s/schemas/README.md says how to get them):
 *
 *   node -r @swc-node/register scripts/k8s-schemas.ts <kubernetes-json-schema/v1.32.0-local-strict>
 *
 * Each kind's schema becomes one self-contained file: the definitions it reaches are copied under
 * `$defs`, the descriptions dropped (they are most of the size and validate nothing).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kinds the overlays render, by the file name kubernetes-validate gives each. */
export const KUBERNETES_KINDS = [
  'namespace-v1',
  'serviceaccount-v1',
  'configmap-v1',
  'secret-v1',
  'service-v1',
  'deployment-apps-v1',
  'statefulset-apps-v1',
  'job-batch-v1',
  'poddisruptionbudget-policy-v1',
  'horizontalpodautoscaler-autoscaling-v2',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A kind's file refers to `/api/_definitions.json#/$defs/<name>`, a definition to `#/$defs/<name>`. */
const DEFINITION_REF = /^(?:\/api\/_definitions\.json)?#\/\$defs\/(.+)$/;

/** The schema without descriptions, its references pointing at the file's own `$defs`; `reached` collects their names. */
function rewrite(node: Json, reached: Set<string>): Json {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, reached));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key === '$schema') continue;
    if (key === '$ref' && typeof value === 'string') {
      const name = DEFINITION_REF.exec(value)?.[1];
      if (name === undefined) throw new Error(`unexpected $ref ${value}`);
      reached.add(name);
      out[key] = `#/$defs/${name}`;
    } else {
      out[key] = rewrite(value, reached);
    }
  }
  return out;
}

/** One kind's schema with every definition it reaches, transitively. */
export function selfContained(kind: Json, definitions: Record<string, Json>): Json {
  const reached = new Set<string>();
  const root = rewrite(kind, reached) as Record<string, Json>;
  const defs: Record<string, Json> = {};
  for (let pending = [...reached]; pending.length > 0;) {
    const name = pending.pop() as string;
    if (name in defs) continue;
    const definition = definitions[name];
    if (definition === undefined) throw new Error(`no definition ${name}`);
    const more = new Set<string>();
    defs[name] = rewrite(definition, more);
    pending = [...pending, ...[...more].filter((n) => !(n in defs))];
  }
  return { ...root, $defs: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))) };
}

if (require.main === module) {
  const source = process.argv[2];
  if (!source) {
    console.error('usage: scripts/k8s-schemas.ts <kubernetes-json-schema/v1.32.0-local-strict>');
    process.exit(2);
  }
  const read = (file: string): Json => JSON.parse(readFileSync(join(source, file), 'utf8')) as Json;
  const definitions = (read('_definitions.json') as { $defs: Record<string, Json> }).$defs;
  const target = join(__dirname, '..', 'k8s', 'schemas', 'kubernetes');
  mkdirSync(target, { recursive: true });
  for (const kind of KUBERNETES_KINDS)
    writeFileSync(join(target, `${kind}.json`), `${JSON.stringify(selfContained(read(`${kind}.json`), definitions))}\n`);
  console.log(`k8s/schemas/kubernetes: ${KUBERNETES_KINDS.length} schemas written from ${source}`);
}
