import { Progress } from './progress';
import { percentile, sleep, summarize, type Summary } from './stats';

/** How one request of a saga ended, as the event stream tells it. */
export type Outcome = { ok: true; at: number } | { ok: false; code: string } | undefined;

export interface Saga {
  /** Sends request `i` (an HTTP command); resolves with the saga's id, or an error text. */
  fire(i: number, label: string): Promise<{ id: string } | { error: string }>;
  /** The saga's end once its final event is on the topic (Kafka's time stamp for a success). */
  outcome(id: string): Outcome;
}

export interface StepResult extends Summary {
  offeredPerS: number;
  seconds: number;
  sent: number;
  rejected: number;
  errors: number;
  /** Requests with no final event within the drain time. */
  unfinished: number;
  /** p50 and p99 of the HTTP answer (the accept), ms. */
  acceptP50Ms: number;
  acceptP99Ms: number;
  codes: Record<string, number>;
  saturated: boolean;
}

/**
 * One open-loop step: request i is due at start + i / rate whatever happened to the ones before
 * (no coordinated omission), and its latency runs from when it was due to the Kafka time stamp
 * of the saga's final event. Throughput is the sagas that succeeded over the time from the first
 * due request to the last success. The step waits for every saga to end (up to `drainMs` after
 * the last request) so the next one starts on a quiet platform.
 */
export async function openLoopStep(saga: Saga, label: string, rate: number, seconds: number, drainMs: number): Promise<StepResult> {
  const count = Math.max(1, Math.round(rate * seconds));
  const progress = new Progress(`${label} @ ${rate}/s`);
  const due: number[] = [];
  const ids: (string | undefined)[] = [];
  const accepted: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  let answered = 0;
  const inFlight: Promise<void>[] = [];
  const start = Date.now() + 50;
  for (let i = 0; i < count; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - Date.now();
    if (wait > 0) await sleep(wait);
    due[i] = at;
    inFlight.push(
      saga.fire(i, label).then(
        (result) => {
          answered++;
          accepted.push(Date.now() - at);
          if ('id' in result) ids[i] = result.id;
          else {
            errors++;
            codes[result.error] = (codes[result.error] ?? 0) + 1;
          }
        },
        (error: unknown) => {
          answered++;
          errors++;
          const code = String((error as Error)?.message ?? error).slice(0, 60);
          codes[code] = (codes[code] ?? 0) + 1;
        },
      ),
    );
    if (i % 20 === 0) progress.update(`sent ${i + 1} / ${count}, answered ${answered}`);
  }
  await Promise.all(inFlight);
  const deadline = Date.now() + drainMs;
  const ended = () => ids.filter((id) => id !== undefined && saga.outcome(id) !== undefined).length;
  const expected = ids.filter((id) => id !== undefined).length;
  while (ended() < expected && Date.now() < deadline) {
    progress.update(`sent ${count}, ${ended()} of ${expected} sagas ended`);
    await sleep(100);
  }
  const latencies: number[] = [];
  let rejected = 0;
  let unfinished = 0;
  let last = start;
  ids.forEach((id, i) => {
    if (id === undefined) return;
    const outcome = saga.outcome(id);
    if (outcome === undefined) unfinished++;
    else if (outcome.ok) {
      latencies.push(outcome.at - (due[i] as number));
      last = Math.max(last, outcome.at);
    } else {
      rejected++;
      codes[outcome.code] = (codes[outcome.code] ?? 0) + 1;
    }
  });
  const elapsed = Math.max(0.001, (last - start) / 1000);
  const summary = summarize(latencies, elapsed);
  const acceptSorted = [...accepted].sort((a, b) => a - b);
  const saturated =
    summary.count < 0.99 * count ||
    summary.throughputPerS < 0.85 * rate ||
    summary.p99Ms > 5000 ||
    unfinished > 0 ||
    errors + rejected > 0.01 * count;
  const result: StepResult = {
    ...summary,
    offeredPerS: rate,
    seconds: elapsed,
    sent: count,
    rejected,
    errors,
    unfinished,
    acceptP50Ms: percentile(acceptSorted, 50),
    acceptP99Ms: percentile(acceptSorted, 99),
    codes,
    saturated,
  };
  progress.done(
    `${summary.count}/${count} ok, ${summary.throughputPerS.toFixed(1)}/s, p50 ${Math.round(summary.p50Ms)} ms, p99 ${Math.round(summary.p99Ms)} ms, ` +
      `p99.9 ${Math.round(summary.p999Ms)} ms, accept p50 ${Math.round(result.acceptP50Ms)} ms` +
      `${rejected + errors + unfinished ? `, ${rejected} rejected, ${errors} errors, ${unfinished} unfinished ${JSON.stringify(codes)}` : ''}` +
      `${saturated ? ' (saturated)' : ''}`,
  );
  return result;
}

export interface Sweep {
  steps: StepResult[];
  /** The most sagas per second any step completed. */
  saturationPerS: number;
  saturated: boolean;
  /** A step at half the saturation rate, when a step saturated. */
  half?: StepResult;
}

/** Steps the offered rate up until a step saturates, then (with `half`) runs one step at half the best throughput. */
export async function sweep(
  saga: Saga,
  label: string,
  options: { rates: number[]; seconds: number; drainMs: number; half: boolean; settle: () => Promise<void> },
): Promise<Sweep> {
  const { rates, seconds, drainMs, settle } = options;
  const steps: StepResult[] = [];
  for (const rate of rates) {
    const result = await openLoopStep(saga, label, rate, seconds, drainMs);
    steps.push(result);
    await settle();
    if (result.saturated) break;
  }
  const saturationPerS = Math.max(...steps.map((s) => s.throughputPerS));
  const saturated = steps.some((s) => s.saturated);
  let half: StepResult | undefined;
  if (saturated && options.half) {
    half = await openLoopStep(saga, `${label} (half of saturation)`, Math.max(1, Math.round(saturationPerS / 2)), seconds, drainMs);
    await settle();
  }
  return { steps, saturationPerS, saturated, ...(half ? { half } : {}) };
}
