import { loadavg } from 'node:os';
import { checkInvariants, type Check, type SagaOutcome } from './lib/checks';
import { faultLabel, planFaults, runFaults, type FaultRecord } from './lib/faults';
import { LagSampler } from './lib/lag';
import { Ledger, Load, MONTHLY_RETIRED } from './lib/load';
import { ChaosPlatform, SERVICES, type ServiceName } from './lib/platform';
import { Random } from './lib/random';
import { formatReport, passed, type ChaosReport } from './lib/report';
import { seed } from './lib/seed';
import { settle } from './lib/settle';

export interface ChaosOptions {
  seed: number;
  /** Seconds of load; the faults fall within its first 80 %. */
  durationS: number;
  partners: number;
  clientsPerPartner: number;
  /** Concurrent request loops. */
  actors: number;
  /** Requests a second, all loops together. */
  rate: number;
  /** SIGKILLs of each of the `killed` services. */
  kills: number;
  killed: ServiceName[];
  /** Servers restarted (Kafka, Redis) or stopped for a while (Mongo), once each. */
  servers: ('kafka' | 'redis' | 'mongo')[];
  mongoDownS: number;
  /** How long the platform may take to settle after the load. */
  settleS: number;
  /** Keep the servers' data and the logs (they are kept anyway when the run fails). */
  keep: boolean;
}

export const DEFAULT_OPTIONS: Omit<ChaosOptions, 'seed'> = {
  durationS: 240,
  partners: 16,
  clientsPerPartner: 4,
  actors: 8,
  rate: 8,
  kills: 2,
  killed: [...SERVICES],
  servers: ['redis', 'kafka', 'mongo'],
  mongoDownS: 5,
  settleS: 240,
  keep: false,
};

/**
 * `--quick`: about a minute of load on 2 cores: one SIGKILL of each service that holds sagas,
 * Redis restarted and the Mongo server stopped for a few seconds (the Kafka restart and the
 * catalog's kill are left to the full run).
 */
export const QUICK_OPTIONS: Omit<ChaosOptions, 'seed'> = {
  durationS: 30,
  partners: 5,
  clientsPerPartner: 3,
  actors: 4,
  rate: 6,
  kills: 1,
  killed: ['pool', 'points', 'contracts'],
  servers: ['redis', 'mongo'],
  mongoDownS: 3,
  settleS: 120,
  keep: false,
};

export interface ChaosResult {
  passed: boolean;
  report: ChaosReport;
  text: string;
  /** Where the servers' and the services' logs are, when they were kept. */
  logs?: string;
}

/**
 * The fault experiment of issue 12: private servers, the four services as processes, seeded load
 * and faults, then the platform left to settle and every invariant checked. `run()` once;
 * `cleanup()` stops whatever still runs (safe to call at any time, also after `run()`).
 */
export class ChaosExperiment {
  private platform?: ChaosPlatform;
  private lag?: LagSampler;

  constructor(
    readonly options: ChaosOptions,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  async run(): Promise<ChaosResult> {
    const o = this.options;
    const random = new Random(o.seed);
    const ledger = new Ledger();
    const settings =
      `${o.durationS} s of load (${o.rate} requests/s, ${o.actors} at a time) over ${o.partners} partners × ${o.clientsPerPartner} clients; ` +
      `${o.kills} SIGKILL(s) of ${o.killed.join(', ') || 'no service'}` +
      `${o.servers.map((s) => (s === 'mongo' ? `, mongo stopped ${o.mongoDownS} s` : `, ${s} restart`)).join('')}`;
    this.log(`chaos run, seed ${o.seed}: ${settings}`);
    let kept = false;
    let loadSeconds = 0;
    try {
      const t0 = Date.now();
      const loadAverage = loadavg()[0] ?? NaN;
      this.platform = await ChaosPlatform.start(`chaos-${process.pid}-${o.seed}`);
      const platform = this.platform;
      this.log(`servers up (${((Date.now() - t0) / 1000).toFixed(1)} s, ${platform.infra.dir}); starting the services`);
      await platform.startServices();
      this.log(`services ready (${((Date.now() - t0) / 1000).toFixed(1)} s); seeding the catalog and ${o.partners} partners`);
      await seed(platform, ledger, { partners: o.partners, clients: o.clientsPerPartner });

      const durationMs = o.durationS * 1000;
      const faults = planFaults(random, durationMs, {
        kills: o.kills,
        killed: o.killed,
        servers: o.servers,
        mongoDownMs: o.mongoDownS * 1000,
        retire: MONTHLY_RETIRED,
      });
      this.log(`load for ${o.durationS} s; faults planned: ${faults.map((f) => `${(f.atMs / 1000).toFixed(0)} s ${faultLabel(f)}`).join(', ')}`);
      const records: FaultRecord[] = [];
      const loadStarted = Date.now();
      // Every fault happens under load: when they overrun the duration, the load goes on until the
      // last one has recovered and a little after, so sagas are also seen completing calmly.
      let faultsDone = 0;
      let recovered = true;
      const tailMs = Math.max(5000, 0.1 * durationMs);
      const lag = (this.lag = new LagSampler(platform));
      await lag.start();
      const load = new Load(platform, ledger, random).run(
        o.actors,
        o.rate,
        () => !recovered || (Date.now() >= loadStarted + durationMs && faultsDone > 0 && Date.now() >= faultsDone + tailMs),
      );
      await Promise.all([
        load,
        runFaults(platform, faults, loadStarted, this.log, records).then((ok) => {
          recovered = ok;
          ledger.abandoned = !ok;
          faultsDone = Date.now();
        }),
      ]);
      loadSeconds = Math.round((Date.now() - loadStarted) / 1000);
      await lag.stop();
      let settled: ChaosReport['settle'] = { settled: false, ms: 0, pending: ['not waited for: a fault was not recovered from'] };
      let checks: Check[] = [];
      let sagas: SagaOutcome[] = [];
      if (recovered) {
        this.log(`load done (${loadSeconds} s); waiting for the platform to settle`);
        settled = await settle(platform, ledger, o.settleS * 1000, this.log);
        this.log(
          settled.settled
            ? `settled in ${(settled.ms / 1000).toFixed(1)} s; checking the invariants`
            : 'did not settle; checking the invariants anyway',
        );
        ({ checks, sagas } = await checkInvariants(platform, ledger));
      } else this.log('a fault was not recovered from: the run stops here');
      const report: ChaosReport = {
        seed: o.seed,
        loadAverage: [loadAverage, loadavg()[0] ?? NaN],
        settings,
        loadSeconds,
        loadStartedAt: loadStarted,
        lag: lag.samples,
        counts: ledger.counts,
        faults: records,
        sagas,
        settle: settled,
        checks,
      };
      const ok = passed(report);
      kept = o.keep || !ok;
      return { passed: ok, report, text: formatReport(report), ...(kept ? { logs: platform.infra.dir } : {}) };
    } catch (error) {
      kept = true;
      throw error;
    } finally {
      await this.cleanup(kept);
    }
  }

  /** Stops the services and the servers; keeps their data and logs when asked (or when the run failed). */
  async cleanup(keep = this.options.keep): Promise<void> {
    await this.lag?.stop();
    await this.platform?.stop(keep);
  }
}
