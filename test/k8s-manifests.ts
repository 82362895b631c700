import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createAjv } from '@licensing/events';
import { parseAllDocuments } from 'yaml';

/** What the manifest checks share (test/k8s.spec.ts, test/strimzi.spec.ts): rendering and schemas. */
export const ROOT = join(__dirname, '..');
export const K8S = join(ROOT, 'k8s');

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests, checked by the assertions */
export type Resource = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: any;
  data?: any;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Every document of a YAML stream. */
export const documents = (text: string): Resource[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJSON() as Resource | null)
    .filter((r): r is Resource => r !== null);

/**
 * `kubectl kustomize <dir>` (kubectl is on these machines and CI's); undefined where kubectl is
 * missing, so a spec can fall back to the files themselves. A failed render throws.
 */
export function kustomize(dir: string, args: string[] = []): Resource[] | undefined {
  const run = spawnSync('kubectl', ['kustomize', ...args, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error === undefined && run.status === 0) return documents(run.stdout);
  if (run.error === undefined) throw new Error(`kubectl kustomize ${relative(ROOT, dir)} failed:\n${run.stderr}`);
  return undefined;
}

/**
 * The plain resources a kustomization lists (its `resources`, and those of the directories and
 * components it names), without its generators and patches: what is checked without kubectl.
 */
export function resourceFiles(dir: string): Resource[] {
  const kustomization = documents(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0] as unknown as {
    resources?: string[];
    components?: string[];
  };
  return [...(kustomization.resources ?? []), ...(kustomization.components ?? [])].flatMap((entry) =>
    entry.endsWith('.yaml') ? documents(readFileSync(join(dir, entry), 'utf8')) : resourceFiles(join(dir, entry)),
  );
}

type ValidateFunction = ReturnType<ReturnType<typeof createAjv>['compile']>;

/** Formats of the Kubernetes OpenAPI schemas that carry no check of their own here. */
const KUBERNETES_FORMATS = ['int32', 'int64', 'double', 'byte', 'int-or-string', 'date-time'];

/**
 * A validator per kind, from the committed schemas: k8s/schemas/kubernetes (core kinds, named as
 * kubernetes-validate names them: `<kind>[-<group>]-<version>`), k8s/schemas/keda and
 * k8s/strimzi/schemas. Answers the schema errors of a resource, or undefined when no schema
 * knows its kind.
 */
export function manifestValidator(): (resource: Resource) => { errors: unknown[] } | undefined {
  const ajv = createAjv({ strict: false, allErrors: true });
  for (const format of KUBERNETES_FORMATS) ajv.addFormat(format, true);
  const compiled = new Map<string, ValidateFunction | undefined>();
  const load = (dir: string, file: string): ValidateFunction | undefined => {
    const path = join(dir, file);
    if (!compiled.has(path)) {
      const exists = readdirSync(dir).includes(file);
      compiled.set(path, exists ? ajv.compile(JSON.parse(readFileSync(path, 'utf8'))) : undefined);
    }
    return compiled.get(path);
  };
  return (resource) => {
    const [group, version] = resource.apiVersion.includes('/') ? resource.apiVersion.split('/') : ['', resource.apiVersion];
    const kind = resource.kind.toLowerCase();
    const validate =
      group === 'kafka.strimzi.io'
        ? load(join(K8S, 'strimzi', 'schemas'), `${kind}.${version}.json`)
        : group === 'keda.sh'
          ? load(join(K8S, 'schemas', 'keda'), `${kind}-keda-${version}.json`)
          : load(join(K8S, 'schemas', 'kubernetes'), `${[kind, group?.split('.')[0], version].filter(Boolean).join('-')}.json`);
    if (!validate) return undefined;
    return { errors: validate(resource) ? [] : [...(validate.errors ?? [])] };
  };
}
