import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import type { Ceiling } from './ceilings';
import type { StepResult } from './open-loop';
import { round } from './stats';

/** One figure of the platform beside the ceiling that bounds it. */
export interface ScenarioRow {
  name: string;
  throughputPerS: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms?: number;
  ceilingPerS: number;
  /** Which ceiling: its name in `ceilings`. */
  ceiling: string;
  ratio: number;
  offeredPerS?: number;
  count?: number;
  note?: string;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started, its mean and max over the run (sampled every 5 s), and at the end. */
  load: { start: number; mean: number; max: number; end: number };
}

export interface Results {
  machine: Machine;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  options: Record<string, unknown>;
  ceilings: Ceiling[];
  scenarios: ScenarioRow[];
  sweeps: { name: string; steps: StepResult[]; half?: StepResult }[];
  bounds: Record<string, string>;
}

/** Samples the 1-minute load average while the run lasts. */
export class LoadSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;
  readonly start = loadavg()[0] as number;

  constructor() {
    this.timer = setInterval(() => this.samples.push(loadavg()[0] as number), 5000);
    this.timer.unref();
  }

  machine(): Machine {
    clearInterval(this.timer);
    const end = loadavg()[0] as number;
    const all = [this.start, ...this.samples, end];
    return {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30),
      os: `${osType()} ${release()}`,
      node: process.version,
      load: { start: round(this.start), mean: round(all.reduce((a, b) => a + b, 0) / all.length), max: round(Math.max(...all)), end: round(end) },
    };
  }
}

export function row(
  name: string,
  figure: { throughputPerS: number; p50Ms: number; p99Ms: number; p999Ms?: number },
  ceiling: Ceiling | undefined,
  extra: Partial<ScenarioRow> = {},
): ScenarioRow {
  const ceilingPerS = ceiling?.perS ?? NaN;
  return {
    name,
    throughputPerS: round(figure.throughputPerS),
    p50Ms: round(figure.p50Ms),
    p99Ms: round(figure.p99Ms),
    ...(figure.p999Ms === undefined ? {} : { p999Ms: round(figure.p999Ms) }),
    ceilingPerS: round(ceilingPerS),
    ceiling: ceiling?.name ?? 'none',
    ratio: Number((figure.throughputPerS / ceilingPerS).toFixed(3)),
    ...extra,
  };
}

const cell = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? '-' : String(round(value)));

/** The table as printed: ceilings first, then each figure with the ceiling that bounds it. */
export function table(results: Pick<Results, 'ceilings' | 'scenarios' | 'machine'>): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load (1 min) start ${m.load.start}, mean ${m.load.mean}, max ${m.load.max}, end ${m.load.end}`,
  );
  lines.push('');
  lines.push('ceilings (same servers, same run)');
  for (const c of results.ceilings) lines.push(`  ${c.name.padEnd(34)} ${cell(c.perS).padStart(8)} /s   ${c.how}`);
  lines.push('');
  const header = ['scenario', 'throughput/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'ceiling', 'ceiling/s', 'ratio'];
  const rows = results.scenarios.map((s) => [
    s.name,
    cell(s.throughputPerS),
    cell(s.p50Ms),
    cell(s.p99Ms),
    cell(s.p999Ms),
    s.ceiling,
    cell(s.ceilingPerS),
    Number.isFinite(s.ratio) ? s.ratio.toFixed(3) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const format = (r: string[]) => r.map((v, i) => (i === 0 || i === 5 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join('  ');
  lines.push(format(header));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) lines.push(format(r));
  return lines.join('\n');
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Latency (log scale) against offered load, one line per percentile, as an inline SVG. */
function plot(title: string, steps: StepResult[]): string {
  const width = 640;
  const height = 340;
  const pad = { left: 84, right: 80, top: 30, bottom: 50 };
  const points = steps.filter((s) => s.count > 0).sort((a, b) => a.offeredPerS - b.offeredPerS);
  if (points.length === 0) return `<p>${escape(title)}: no completed step</p>`;
  const maxX = Math.max(...points.map((s) => s.offeredPerS)) * 1.05;
  const values = points.flatMap((s) => [s.p50Ms, s.p99Ms, s.p999Ms]).filter((v) => v > 0);
  const minY = Math.max(1, 10 ** Math.floor(Math.log10(Math.min(...values))));
  const maxY = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v: number) => pad.left + (v / maxX) * (width - pad.left - pad.right);
  const y = (v: number) =>
    pad.top + (1 - (Math.log10(Math.max(v, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))) * (height - pad.top - pad.bottom);
  const series: [string, string, (s: StepResult) => number][] = [
    ['p50', '#1b7837', (s) => s.p50Ms],
    ['p99', '#e08214', (s) => s.p99Ms],
    ['p99.9', '#b2182b', (s) => s.p999Ms],
  ];
  const grid: string[] = [];
  for (let v = minY; v <= maxY; v *= 10) {
    grid.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    grid.push(`<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v} ms</text>`);
  }
  grid.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${height - pad.bottom}" y2="${height - pad.bottom}" stroke="#888"/>`);
  // Offered rates on the axis, skipping one too close to the last drawn.
  let lastLabel = -Infinity;
  for (const s of points) {
    if (x(s.offeredPerS) - lastLabel < 22) continue;
    lastLabel = x(s.offeredPerS);
    grid.push(`<text x="${x(s.offeredPerS)}" y="${height - pad.bottom + 16}" text-anchor="middle" font-size="11">${s.offeredPerS}</text>`);
  }
  const lines = series.map(([name, color, pick], i) => {
    const path = points.map((s) => `${x(s.offeredPerS).toFixed(1)},${y(pick(s)).toFixed(1)}`).join(' ');
    // A saturated step is a hollow dot.
    const dots = points
      .map(
        (s) =>
          `<circle cx="${x(s.offeredPerS).toFixed(1)}" cy="${y(pick(s)).toFixed(1)}" r="3.5" fill="${s.saturated ? 'white' : color}" stroke="${color}">` +
          `<title>${s.offeredPerS}/s offered, ${round(s.throughputPerS)}/s achieved: ${name} ${round(pick(s))} ms</title></circle>`,
      )
      .join('');
    // p99.9 dashed: where it equals p99 (few samples) both stay visible.
    return `<polyline fill="none" stroke="${color}" stroke-width="2"${name === 'p99.9' ? ' stroke-dasharray="6 4"' : ''} points="${path}"/>${dots}<text x="${width - pad.right + 10}" y="${pad.top + 10 + 16 * i}" font-size="12" fill="${color}">${name}</text>`;
  });
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escape(title)}">
<text x="${width / 2}" y="16" text-anchor="middle" font-size="14">${escape(title)}</text>
${grid.join('')}${lines.join('')}
<text x="${(pad.left + width - pad.right) / 2}" y="${height - pad.bottom + 34}" text-anchor="middle" font-size="11">offered sagas per second</text>
<text x="${width - pad.right + 10}" y="${pad.top + 66}" font-size="10" fill="#555">hollow:</text>
<text x="${width - pad.right + 10}" y="${pad.top + 78}" font-size="10" fill="#555">saturated</text>
</svg></figure>`;
}

/** Every step of a sweep, as numbers beside the plot. */
function stepTable(name: string, steps: StepResult[]): string {
  const rows = steps
    .map(
      (s) =>
        `<tr><td>${s.offeredPerS}</td><td>${round(s.throughputPerS)}</td><td>${round(s.p50Ms)}</td><td>${round(s.p99Ms)}</td><td>${round(s.p999Ms)}</td>` +
        `<td>${round(s.acceptP50Ms)}</td><td>${s.count}/${s.sent}</td><td>${s.saturated ? 'saturated' : ''}</td></tr>`,
    )
    .join('');
  return `<table><caption>${escape(name)}</caption><tr><th>offered/s</th><th>achieved/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>accept p50 ms</th><th>ok/sent</th><th></th></tr>${rows}</table>`;
}

function html(results: Results, text: string): string {
  const tables = results.sweeps.map((s) => stepTable(s.name, [...s.steps, ...(s.half ? [s.half] : [])])).join('\n');
  const plots = results.sweeps.map((s) => plot(`${s.name}: latency against offered load`, [...s.steps, ...(s.half ? [s.half] : [])])).join('\n');
  const bounds = Object.entries(results.bounds)
    .map(([name, why]) => `<li><b>${escape(name)}</b>: ${escape(why)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Benchmark ${escape(results.startedAt)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px}pre{background:#f6f6f6;padding:1em;overflow-x:auto}figure{display:inline-block;margin:0 1em 1em 0}table{border-collapse:collapse;display:inline-table;margin:0 2em 1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}caption{font-weight:bold}</style></head>
<body><h1>npm run bench — ${escape(results.startedAt)}${results.quick ? ' (quick)' : ''}</h1>
${plots}
${tables}
<h2>Figures</h2><pre>${escape(text)}</pre>
<h2>What bounds each figure</h2><ul>${bounds}</ul>
</body></html>
`;
}

async function formatted(path: string, text: string): Promise<string> {
  const config = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...config, filepath: path });
}

/** Writes latest.{json,html,txt} and a copy per date (YYYY-MM-DD.*) into `dir`. */
export async function save(dir: string, results: Results, text: string, dated: boolean): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const day = results.startedAt.slice(0, 10);
  const files: [string, string][] = [
    ['json', JSON.stringify(results)],
    ['html', html(results, text)],
    ['txt', `${text}\n`],
  ];
  const written: string[] = [];
  for (const [ext, content] of files) {
    for (const name of dated ? ['latest', day] : ['latest']) {
      const path = join(dir, `${name}.${ext}`);
      writeFileSync(path, ext === 'txt' ? content : await formatted(path, content));
      written.push(path);
    }
  }
  return written;
}
