/**
 * `npm run bench` (after `npm run build`, so the binary measured is the one that ships): the
 * headline benchmarks of issue 19, one after another, each in its own process (so one's heap
 * and JIT do not weigh on the next), each printing its figures beside a baseline measured in
 * the same run. The README's Benchmarks table lists the same figures.
 * A bench whose compiled file is missing is named and skipped, not fatal. Takes ~2–4 minutes.
 *
 *   npm run bench                       # all of them
 *   npm run bench -- stdio-rpc ws-rpc   # only these
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `SWITCHBOARD_BENCH_BASELINE=<checkout>`: startup-sessions prints that build's figures beside (e.g. main's). */
const baseline = process.env.SWITCHBOARD_BENCH_BASELINE ? ['7', '200', '20', `--baseline=${process.env.SWITCHBOARD_BENCH_BASELINE}`] : undefined;

/** In the order they print; the arguments keep the whole run under a few minutes. */
const BENCHES: { name: string; what: string; args?: string[] }[] = [
  { name: 'startup', what: 'start-up: spawn → initialize answered, --version, beside bare Node' },
  { name: 'startup-sessions', what: 'start-up with 200 stored sessions: spawn → initialize and → first session/list, RSS, beside an empty home', args: baseline },
  { name: 'stdio-rpc', what: 'JSON-RPC overhead over stdio: wall and CPU per request, beside bare vscode-jsonrpc' },
  { name: 'ws-rpc', what: 'JSON-RPC overhead over WebSocket: wall and CPU per request, beside bare vscode-jsonrpc; RSS' },
  { name: 'sse-turn', what: 'relay: a 20,000-token turn over SSE, beside a bare Node relay', args: ['20000', '5'] },
  { name: 'turn-stream', what: 'relay: a 20,000-token turn over stdio (ACP), beside a bare relay' },
  { name: 'session-log', what: 'session logs: bytes and session/load time of a 100-turn session, compacted beside as streamed' },
];

const only = process.argv.slice(2);
const chosen = only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;
const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

console.log(`Node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const started = performance.now();
let failed = 0;
for (const bench of chosen) {
  const file = path.join(here, `${bench.name}.js`);
  console.log(`\n== ${bench.name}: ${bench.what}`);
  if (!existsSync(file)) {
    console.log(`   (skipped: bench/${bench.name}.ts is not in this tree)`);
    continue;
  }
  const t = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [file, ...(bench.args ?? [])], { stdio: 'inherit' }).once('exit', resolve);
  });
  if (code !== 0) {
    failed++;
    console.log(`   (${bench.name} exited with ${code})`);
  }
  console.log(`   [${((performance.now() - t) / 1000).toFixed(0)} s]`);
}
console.log(`\n${chosen.length} benches in ${((performance.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);
