import { fmt, median } from './measure.js';

/** One measured run: round trips per second, and the CPU the server spent per round trip. */
export interface RunFigures {
  rate: number;
  cpuUsPerRequest: number;
}

export interface AbResult {
  bare: RunFigures[];
  host: RunFigures[];
}

/**
 * Runs the baseline and the host `rounds` times each, interleaved and alternating which goes
 * first (B H, H B, B H, …), so that a load that comes and goes on the machine hits both alike.
 */
export async function abRounds(rounds: number, bare: () => Promise<RunFigures>, host: () => Promise<RunFigures>): Promise<AbResult> {
  const out: AbResult = { bare: [], host: [] };
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      out.bare.push(await bare());
      out.host.push(await host());
    } else {
      out.host.push(await host());
      out.bare.push(await bare());
    }
  }
  return out;
}

/**
 * Prints throughput and CPU per request side by side. Both ratios read "host as good as bare =
 * 1.00x": wall is host req/s over bare req/s; CPU is bare µs/request over host µs/request. Each
 * is the median of the per-round pairs (a pair ran back to back, under the same load), with the
 * worst and best pair beside it.
 */
export function printAb(title: string, labels: { bare: string; host: string }, r: AbResult, goal = 0.9): void {
  const width = Math.max(labels.bare.length, labels.host.length, 22);
  const wall = r.host.map((h, i) => h.rate / r.bare[i].rate);
  const cpu = r.host.map((h, i) => r.bare[i].cpuUsPerRequest / h.cpuUsPerRequest);
  const row = (label: string, xs: RunFigures[]) =>
    `  ${label.padEnd(width)}  ${fmt(median(xs.map((x) => x.rate))).padStart(9)} req/s   ${fmt(median(xs.map((x) => x.cpuUsPerRequest)), 1).padStart(6)} µs CPU/request`;
  const span = (xs: number[]) => `${fmt(median(xs), 2)}x (pairs ${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)})`;
  console.log(title);
  console.log(row(labels.bare, r.bare));
  console.log(row(labels.host, r.host));
  console.log(`  ${'wall ratio'.padEnd(width)}  ${span(wall)}; goal >= ${fmt(goal, 2)}x`);
  console.log(`  ${'CPU ratio (bare/host)'.padEnd(width)}  ${span(cpu)}; goal >= ${fmt(goal, 2)}x`);
}
