#!/usr/bin/env node
'use strict';
/**
 * npm start [-- --follow] [--out table.csv]
 * Env: KAFKA_BROKERS (required), KAFKA_USERNAME (default license-usage), KAFKA_PASSWORD,
 * KAFKA_MECHANISM (default scram-sha-512), KAFKA_SSL (true|false), KAFKA_TOPIC_PREFIX,
 * STATE_FILE (default ./state/license-usage.json).
 */
const console = require('node:console');
const { writeFileSync } = require('node:fs');
const process = require('node:process');
const { LicenseUsage, toCsv } = require('./pipeline');

async function main() {
  const args = process.argv.slice(2);
  const env = process.env;
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is required (host:port,host:port)');
  const pipeline = new LicenseUsage({
    brokers: env.KAFKA_BROKERS.split(','),
    sasl: env.KAFKA_PASSWORD
      ? { mechanism: env.KAFKA_MECHANISM ?? 'scram-sha-512', username: env.KAFKA_USERNAME ?? 'license-usage', password: env.KAFKA_PASSWORD }
      : undefined,
    ssl: env.KAFKA_SSL === 'true',
    topicPrefix: env.KAFKA_TOPIC_PREFIX ?? '',
    stateFile: env.STATE_FILE ?? 'state/license-usage.json',
    log: (line) => console.error(line),
  });
  const follow = args.includes('--follow');
  if (follow) for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void pipeline.stop());
  const table = await pipeline.run({ follow });
  const csv = toCsv(table);
  const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
  if (out) writeFileSync(out, `${csv}\n`);
  else console.log(csv);
  console.error(
    `read ${pipeline.counts.read} messages: ${pipeline.counts.counted} counted, ${pipeline.counts.duplicates} duplicates, ${pipeline.counts.skipped} of other types, ${pipeline.counts.invalid} invalid`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
