import { cpus } from 'node:os';
import type { Check, SagaOutcome } from './checks';
import type { FaultRecord } from './faults';
import type { LagSample } from './lag';

export interface ChaosReport {
  seed: number;
  settings: string;
  /** The machine's 1-minute load average at the start and at the end: the times are only as good as the CPU the run got. */
  loadAverage: [number, number];
  loadSeconds: number;
  loadStartedAt: number;
  /** Consumer groups' lag sampled during the load. */
  lag: LagSample[];
  counts: Map<string, number>;
  faults: FaultRecord[];
  sagas: SagaOutcome[];
  settle: { settled: boolean; ms: number; pending: string[] };
  checks: Check[];
}

/** The value at a percentile of sorted numbers (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-');

function table(rows: string[][], align: ('l' | 'r')[]): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    `  ${r.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
  );
}

/** Whether a saga ran while a fault was in progress (its request-to-final span meets a fault's span). */
const underFault = (saga: SagaOutcome, faults: FaultRecord[]): boolean =>
  faults.some((f) => f.kind !== 'retire' && saga.requestedAt <= f.endedAt && (saga.settledAt ?? Infinity) >= f.startedAt);

/** The consumer group with the largest lag in the samples, and that lag. */
function mostBehind(samples: LagSample[]): string {
  let worst = { group: '', lag: 0 };
  for (const sample of samples) for (const [group, lag] of Object.entries(sample.behind)) if (lag > worst.lag) worst = { group, lag };
  return worst.lag > 0 ? `${worst.group} (${worst.lag})` : samples.length ? '-' : '(no sample)';
}

/**
 * The sagas by when they were requested, beside the faults that began in each slice of the load:
 * what a fault does to the sagas around it (timeouts, latencies) and how soon it passes.
 */
function timeline(report: ChaosReport): string[] {
  const sliceMs = Math.max(10_000, Math.ceil(report.loadSeconds / 16 / 5) * 5000);
  const rows: string[][] = [
    ['from (s)', 'faults beginning', 'exchanges', 'p50 (s)', 'max (s)', 'assignments', 'activated', 'timed out', 'refused', 'most behind (messages)'],
  ];
  const last = Math.max(0, ...report.sagas.map((s) => s.requestedAt - report.loadStartedAt));
  for (let from = 0; from <= last; from += sliceMs) {
    const inSlice = (at: number) => at - report.loadStartedAt >= from && at - report.loadStartedAt < from + sliceMs;
    const exchanges = report.sagas.filter((s) => s.kind === 'exchange' && inSlice(s.requestedAt));
    const assignments = report.sagas.filter((s) => s.kind === 'assignment' && inSlice(s.requestedAt));
    const latencies = exchanges.flatMap((s) => (s.settledAt === undefined ? [] : [s.settledAt - s.requestedAt])).sort((a, b) => a - b);
    rows.push([
      String(from / 1000),
      report.faults
        .filter((f) => inSlice(f.startedAt))
        .map((f) => f.label.replace('SIGKILL ', 'kill '))
        .join(', '),
      String(exchanges.length),
      seconds(percentile(latencies, 50)),
      seconds(latencies[latencies.length - 1] ?? NaN),
      String(assignments.length),
      String(assignments.filter((s) => s.status === 'activated').length),
      String(assignments.filter((s) => s.code === 'CONTRACTS.TIMEOUT').length),
      String(assignments.filter((s) => s.status === 'rejected' && s.code !== 'CONTRACTS.TIMEOUT').length),
      mostBehind(report.lag.filter((l) => inSlice(l.at))),
    ]);
  }
  return [
    `timeline: sagas by when they were requested (exchange latencies from request to final state)`,
    ...table(rows, ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
  ];
}

/** The run as a table: the faults and kill-to-ready, what the load did, the sagas and their latencies, the invariants. */
export function formatReport(report: ChaosReport): string {
  const out: string[] = [];
  const failed = report.checks.filter((c) => c.failures.length > 0);
  out.push(`chaos run, seed ${report.seed}: ${report.settings}`);
  out.push(`machine: ${cpus().length} cores, load average ${report.loadAverage.map((l) => l.toFixed(1)).join(' at the start, ')} at the end`);

  out.push('', 'faults (in order; ready = until the new process, or every service after a server, answers /health/ready)');
  const started = Math.min(...report.faults.map((f) => f.startedAt));
  out.push(
    ...table(
      [
        ['at (s)', 'fault', 'ready after (s)', ''],
        ...report.faults.map((f) => [
          seconds(f.startedAt - started),
          f.label,
          f.error ? `FAILED: ${f.error.split('\n')[0]}` : seconds(f.readyMs),
          f.detail ?? '',
        ]),
      ],
      ['r', 'l', 'r', 'l'],
    ),
  );
  const kinds = [...new Set(report.faults.filter((f) => f.kind !== 'retire').map((f) => f.label.replace(/ stopped .*/, ' stopped')))];
  out.push('', 'kill to ready (s)');
  out.push(
    ...table(
      [
        ['fault', 'n', 'median', 'max'],
        ...kinds.map((kind) => {
          const times = report.faults
            .filter((f) => !f.error && f.label.startsWith(kind))
            .map((f) => f.readyMs)
            .sort((a, b) => a - b);
          return [kind, String(times.length), seconds(percentile(times, 50)), seconds(times[times.length - 1] ?? NaN)];
        }),
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );

  out.push('', `load (${report.loadSeconds} s)`);
  out.push(
    ...table(
      [...report.counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([what, n]) => [what, String(n)]),
      ['l', 'r'],
    ),
  );

  out.push('', 'sagas: outcome, and seconds from the request to the final state (as the services stamped them)');
  const rows: string[][] = [['saga', 'outcome', 'n', 'p50', 'p95', 'max', 'under faults: n', 'p50', 'p95', 'max']];
  const outcomes = new Map<string, SagaOutcome[]>();
  for (const s of report.sagas) {
    const key = `${s.kind}\t${s.status}${s.code ? ` ${s.code}` : ''}`;
    outcomes.set(key, [...(outcomes.get(key) ?? []), s]);
  }
  for (const [key, sagas] of [...outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const latency = (xs: SagaOutcome[]) => xs.flatMap((s) => (s.settledAt === undefined ? [] : [s.settledAt - s.requestedAt])).sort((a, b) => a - b);
    const all = latency(sagas);
    const faulted = latency(sagas.filter((s) => underFault(s, report.faults)));
    const [kind = '', outcome = ''] = key.split('\t');
    rows.push([
      kind,
      outcome,
      String(sagas.length),
      seconds(percentile(all, 50)),
      seconds(percentile(all, 95)),
      seconds(all[all.length - 1] ?? NaN),
      String(faulted.length),
      seconds(percentile(faulted, 50)),
      seconds(percentile(faulted, 95)),
      seconds(faulted[faulted.length - 1] ?? NaN),
    ]);
  }
  out.push(...table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));

  out.push('', ...timeline(report));

  out.push(
    '',
    report.settle.settled
      ? `settled ${seconds(report.settle.ms)} s after the load (sagas final, outboxes empty, consumers caught up)`
      : `NOT SETTLED within ${seconds(report.settle.ms)} s: ${report.settle.pending.join('; ')}`,
  );

  out.push('', 'invariants');
  out.push(
    ...table(
      [
        ...report.checks.map((c) => [
          c.failures.length ? 'FAILED' : 'ok',
          c.name,
          `${c.checked} checked`,
          c.failures.length ? `${c.failures.length} broken` : '',
        ]),
      ],
      ['l', 'l', 'r', 'l'],
    ),
  );
  for (const c of failed) {
    out.push('', `${c.name}:`);
    for (const f of c.failures.slice(0, 10)) out.push(`  - ${f.split('\n').slice(0, 6).join('\n    ')}`);
    if (c.failures.length > 10) out.push(`  … and ${c.failures.length - 10} more`);
  }
  const faultErrors = report.faults.filter((f) => f.error);
  out.push(
    '',
    failed.length === 0 && report.settle.settled && faultErrors.length === 0
      ? `PASSED (seed ${report.seed})`
      : `FAILED (seed ${report.seed}): ${[
          ...failed.map((c) => c.name),
          ...(report.settle.settled ? [] : ['the platform did not settle']),
          ...faultErrors.map((f) => `${f.label} did not recover`),
        ].join('; ')}`,
  );
  return out.join('\n');
}

export const passed = (report: ChaosReport): boolean =>
  report.settle.settled && report.faults.every((f) => !f.error) && report.checks.every((c) => c.failures.length === 0);
