import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';

const prefixesInUse = new Set<string>();

/**
 * Names no other test file uses, so files run in parallel against one set of servers:
 * a Kafka topic prefix, a Mongo database, a BullMQ prefix. The prefix is remembered: before the
 * file's tests run, the services' Kafka ACLs are granted under it (jest-setup), so call this when
 * the file loads (at its top level or in a describe block), not inside a test or hook.
 */
export function uniqueNames(label: string): { prefix: string; database: string; queuePrefix: string; id: string } {
  const id = `${basename(label)
    .replace(/\.[^.]*$/, '')
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 20)}${randomBytes(3).toString('hex')}`;
  const prefix = `t-${id}.`;
  prefixesInUse.add(prefix);
  return { id, prefix, database: `t_${id}`, queuePrefix: `t:${id}` };
}

/** The topic prefixes this test file has taken with `uniqueNames`. */
export const topicPrefixesInUse = (): string[] => [...prefixesInUse];
