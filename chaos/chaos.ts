/**
 * The fault experiment (issue 12) as a command: on private servers on free ports, the four
 * services as real processes under seeded load over many partners, each service SIGKILLed at
 * random moments and started again, Redis and Kafka restarted, the Mongo server stopped for a
 * few seconds; then the platform is left to settle and every invariant is checked. Prints a
 * table (faults and kill-to-ready, what the load did, saga outcomes and latencies, invariants)
 * and exits 1 when an invariant fails. The table and its figures go to chaos/results/.
 *
 *   npm run chaos                       the full default run (a few minutes on 2 cores)
 *   npm run chaos -- --quick            about a minute: pool, points and contracts killed once, Redis
 *                                       restarted, Mongo stopped (part of npm test)
 *   npm run chaos -- --seed=N           the same plan of requests and faults again
 *   npm run chaos -- --help             the options
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { ChaosExperiment } from './experiment';
import { HELP, parseOptions } from './options';

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const experiment = new ChaosExperiment(parseOptions(process.argv.slice(2)));
  // Ctrl-C or a SIGTERM stops the services and the servers this run started, then exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the services and the servers`);
      void experiment.cleanup(true).finally(() => process.exit(130));
    });
  }
  const result = await experiment.run();
  console.log(`\n${result.text}`);
  // The table and the figures behind it (every fault, every saga's times), for comparing runs.
  const results = join(__dirname, 'results');
  mkdirSync(results, { recursive: true });
  const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${result.report.seed}`;
  const json = JSON.stringify({ ...result.report, counts: Object.fromEntries(result.report.counts) });
  for (const name of ['latest', stamp]) {
    const path = join(results, `${name}.json`);
    // Formatted as the repo's prettier wants it, so `npm run lint` passes with results on disk.
    writeFileSync(path, await prettier.format(json, { ...(await prettier.resolveConfig(path)), filepath: path }));
    writeFileSync(join(results, `${name}.txt`), `${result.text}\n`);
  }
  console.log(`\nwritten: chaos/results/${stamp}.{txt,json} (and latest.*)`);
  if (result.logs) console.log(`\nlogs and data kept in ${result.logs}`);
  return result.passed ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
