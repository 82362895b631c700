/**
 * Records the schema of each event version the first time it is published, as the baseline the
 * compatibility test holds later revisions to. Never overwrites: an existing baseline is the
 * contract consumers already rely on.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allEventSchemas } from '../src';

const dir = join(__dirname, '..', 'schema-baseline');
for (const schema of allEventSchemas) {
  const file = join(dir, `${schema.$id.replace('licensing:schemas:', '')}.json`);
  if (existsSync(file)) continue;
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`baseline written: ${file}`);
}
