import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

/**
 * Names no other test file uses, so files run in parallel against one set of servers:
 * a Kafka topic prefix, a Mongo database, a BullMQ prefix.
 */
export function uniqueNames(label: string): { prefix: string; database: string; queuePrefix: string; id: string } {
  const id = `${basename(label)
    .replace(/\.[^.]*$/, '')
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 20)}${randomBytes(3).toString('hex')}`;
  return { id, prefix: `t-${id}.`, database: `t_${id}`, queuePrefix: `t:${id}` };
}
