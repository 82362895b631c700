import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asyncApiDocument, openApiDocuments } from '../scripts/docs-model';

// The API and event documents in docs/ are generated; they must match the code (npm run docs).
const committed = (file: string) => JSON.parse(readFileSync(join(__dirname, '..', 'docs', file), 'utf8'));

describe('generated docs are current', () => {
  it('docs/asyncapi.json lists every event schema as it is now', () => {
    expect(committed('asyncapi.json')).toEqual(asyncApiDocument());
  });

  it('docs/openapi/<service>.json matches each service routes', async () => {
    for (const [service, document] of Object.entries(await openApiDocuments())) {
      expect({ service, document: committed(`openapi/${service}.json`) }).toEqual({ service, document: JSON.parse(JSON.stringify(document)) });
    }
  });
});
