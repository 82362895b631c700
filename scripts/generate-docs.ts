/**
 * Writes the generated parts of docs/: the OpenAPI document of each service (from the routes'
 * own schemas) and the AsyncAPI event catalog (from the JSON Schemas in libs/events).
 * `npm run docs` rewrites them; a test fails when the committed files are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiDocument, openApiDocuments } from './docs-model';

async function main(): Promise<void> {
  const docs = join(__dirname, '..', 'docs');
  for (const [service, document] of Object.entries(await openApiDocuments())) {
    writeFileSync(join(docs, 'openapi', `${service}.json`), `${JSON.stringify(document, null, 2)}\n`);
  }
  writeFileSync(join(docs, 'asyncapi.json'), `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
  console.log('docs/openapi/*.json and docs/asyncapi.json written');
}

void main();
