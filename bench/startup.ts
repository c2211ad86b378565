/**
 * Issue 19 benchmark: start-up, from spawn to the answer of an NDJSON `initialize` over
 * `switchboard stdio` (as an ACP editor starts it), and `switchboard --version` / `--help` from
 * spawn to exit; beside a bare vscode-jsonrpc child answering `initialize` (Content-Length, its
 * framing) and `node -e ""`, all in the same run, interleaved, median of 7. The bundled binary
 * is measured with its code cache warm (every start after the first), cold (the first start
 * of a build, or SWITCHBOARD_COMPILE_CACHE=off) and, for scale, the tsc output (SWITCHBOARD_BUNDLE=0).
 * When NODE_EXTRA_CA_CERTS is set (a sandbox's CA bundle, which Node 20 parses at every start
 * before any JavaScript runs), `node -e ""` and `switchboard stdio` are also measured without it.
 * Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/startup.js [runs=7]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT, fmt, median, spawnRpc } from './support/measure.js';

const runs = Number(process.argv[2] ?? 7);
const home = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-start-'));
const cacheDir = path.join(home, 'compile-cache');
const base = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_COMPILE_CACHE: cacheDir };
const INITIALIZE = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } })}\n`;

/** The bench's environment with `env` over it; a key set to undefined is left out. */
function envOf(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, ...base, ...env };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Spawn → exit (`node -e ""`, `--version`, `--help`). */
function untilExit(args: string[], env: Record<string, string> = {}): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], env: envOf(env) });
    child.stdout.resume();
    child.once('exit', (code) => (code === 0 ? resolve(since(started)) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

/** Spawn → the NDJSON answer to `initialize` (then stdin closes and the process stops). */
function untilInitialized(env: Record<string, string> = {}): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env: envOf(env) });
    let out = '';
    let took: number | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const line = took === undefined && out.split('\n').find((l) => l.includes('"id":1'));
      if (!line) return;
      took = since(started);
      child.stdin.end();
      if (!JSON.parse(line).result) reject(new Error(`initialize failed: ${line}`));
    });
    // Measured to the answer; the next start waits for this one to be gone (and its cache written).
    child.once('exit', (code) => (took === undefined ? reject(new Error(`switchboard stdio exited (${code}) before answering`)) : resolve(took)));
    child.stdin.write(INITIALIZE);
  });
}

const bareServer = path.join(ROOT, 'dist', 'bench', 'support', 'bare-jsonrpc-server.js');
async function bareInitialized(): Promise<number> {
  const started = process.hrtime.bigint();
  const { client, stop } = spawnRpc([bareServer]);
  await client.sendRequest('initialize', { protocolVersion: 1 });
  const took = since(started);
  stop();
  return took;
}

interface Row {
  label: string;
  run: () => Promise<number>;
  xs: number[];
  /** The `node -e ""` row this one is shown beside (default: the first). */
  vs?: Row;
}
const rows: Row[] = [
  { label: 'node -e ""', run: () => untilExit(['-e', '']), xs: [] },
  { label: 'bare vscode-jsonrpc child → initialize', run: bareInitialized, xs: [] },
  { label: 'switchboard stdio → initialize', run: () => untilInitialized(), xs: [] },
  { label: '  same, code cache cold', run: () => untilInitialized({ SWITCHBOARD_COMPILE_CACHE: 'off' }), xs: [] },
  { label: '  same, tsc output (no bundle)', run: () => untilInitialized({ SWITCHBOARD_BUNDLE: '0' }), xs: [] },
  { label: 'switchboard --version', run: () => untilExit([BIN, '--version']), xs: [] },
  { label: 'switchboard --help', run: () => untilExit([BIN, '--help']), xs: [] },
  { label: '  --version, tsc output (no bundle)', run: () => untilExit([BIN, '--version'], { SWITCHBOARD_BUNDLE: '0' }), xs: [] },
];
// Node 20 reads and parses the NODE_EXTRA_CA_CERTS bundle at every start, before any JavaScript
// (here a sandbox sets it: ~50 ms of each start). The same two starts without it, for scale.
const extraCa = process.env.NODE_EXTRA_CA_CERTS;
if (extraCa) {
  const without = { NODE_EXTRA_CA_CERTS: undefined as unknown as string };
  const bare: Row = { label: 'NODE_EXTRA_CA_CERTS unset: node -e ""', run: () => untilExit(['-e', ''], without), xs: [] };
  bare.vs = bare;
  rows.push(bare, { label: '  switchboard stdio → initialize', run: () => untilInitialized(without), xs: [], vs: bare });
}

// The first start of each command writes its code cache; a warm-up start of each reads it.
await untilInitialized();
await untilExit([BIN, '--version']);
await untilExit([BIN, '--help']);
for (let i = 0; i < runs; i++) for (const row of rows) row.xs.push(await row.run());
rmSync(home, { recursive: true, force: true });

const bundle = path.join(ROOT, 'dist', 'bundle', 'switchboard.cjs');
const built = statSync(path.join(ROOT, 'dist', '.tsbuildinfo'), { throwIfNoEntry: false });
const fresh = statSync(bundle, { throwIfNoEntry: false });
const note = !fresh ? ' (NO BUNDLE: run npm run build)' : built && built.mtimeMs > fresh.mtimeMs ? ' (BUNDLE OLDER THAN tsc OUTPUT: run npm run build)' : '';
console.log(`start-up, spawn → answer or exit (median of ${runs}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})${note}`);
const node = median(rows[0].xs);
for (const row of rows) {
  const m = median(row.xs);
  const goal = row.label.startsWith('switchboard stdio') ? '   goal < 150 ms' : /^switchboard --/.test(row.label) ? '   goal < 100 ms' : '';
  const ref = row.vs ? median(row.vs.xs) : node;
  const over = row === rows[0] || row.vs === row ? '' : `   (node + ${fmt(m - ref, 0)} ms)`;
  console.log(`  ${row.label.padEnd(40)} ${fmt(m, 0).padStart(5)} ms${over}${goal}`);
}
