/**
 * Issue 19 benchmark: does a start depend on the stored sessions? `switchboard stdio` from spawn
 * to the answer of an NDJSON `initialize` (and RSS then), with an empty home beside a home of
 * many sessions (default 200, each a clone, under its own id, of one real 20-turn log recorded
 * and compacted by the daemon against a fake provider); and the first `session/list` after it
 * (the list reads on in the logs). Median of 7, interleaved.
 *
 * The figures of another build (main's, say) print beside in the same run when its checkout is
 * given: `--baseline=/path/to/checkout` (built there with `npm run build`; it uses this
 * checkout's node_modules if it has none).
 *
 *   npm run build && node dist/bench/startup-sessions.js [runs=7] [sessions=200] [turns=20] [--baseline=DIR]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../test/support/fake-openai-server.js';
import { BIN, fmt, median } from './support/measure.js';
import { cloneSessions, recordSession } from './support/session-home.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const baselineDir = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const runs = Number(args[0] ?? 7);
const count = Number(args[1] ?? 200);
const turns = Number(args[2] ?? 20);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-start-sessions-'));
const INITIALIZE = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } })}\n`;
const LIST = `${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'session/list', params: {} })}\n`;
const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Resident set size of a process in MB (Linux), NaN elsewhere. */
function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Sample {
  initMs: number;
  initRss: number;
  listMs: number;
  listRss: number;
  listed: number;
}

/** Spawn → initialize answered (RSS then) → session/list answered (RSS then), then stdin closes. */
function start(bin: string, home: string, cache: string): Promise<Sample> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_COMPILE_CACHE: cache };
    const child = spawn(process.execPath, [bin, 'stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env });
    const s: Partial<Sample> = {};
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const msg = JSON.parse(line) as { id?: number; result?: { sessions?: unknown[] }; error?: unknown };
        if (msg.id === 1) {
          s.initMs = since(started);
          s.initRss = rssMb(child.pid!);
          if (!msg.result) reject(new Error(`initialize failed: ${line}`));
          child.stdin.write(LIST);
        } else if (msg.id === 2) {
          s.listMs = since(started);
          s.listRss = rssMb(child.pid!);
          s.listed = msg.result?.sessions?.length ?? NaN;
          child.stdin.end();
        }
      }
    });
    child.once('exit', (code) => (s.listMs === undefined ? reject(new Error(`switchboard stdio exited (${code}) before answering`)) : resolve(s as Sample)));
    child.stdin.write(INITIALIZE);
  });
}

// One real log, cloned: every session as a compacted 20-turn conversation is.
const workspace = path.join(tmp, 'ws');
mkdirSync(workspace);
writeFileSync(path.join(workspace, 'notes.txt'), 'a line of notes for the model to read\n'.repeat(50));
const fake = await startFakeOpenAI();
const log = await recordSession(fake, workspace, turns, 300);
await fake.close();
const empty = path.join(tmp, 'empty');
const full = path.join(tmp, 'full');
mkdirSync(empty);
const bytes = cloneSessions(full, log, count);

const builds = [{ label: 'this build', bin: BIN }];
if (baselineDir) {
  const bin = path.join(path.resolve(baselineDir), 'bin', 'switchboard.js');
  if (!existsSync(bin)) throw new Error(`no ${bin}: --baseline names a checkout built with npm run build`);
  builds.unshift({ label: `baseline (${path.basename(path.resolve(baselineDir))})`, bin });
}
const rows = builds.flatMap((b, i) => [
  { build: b.label, home: 'empty home', run: () => start(b.bin, empty, path.join(tmp, `cache-${i}`)), xs: [] as Sample[] },
  { build: b.label, home: `${count} sessions`, run: () => start(b.bin, full, path.join(tmp, `cache-${i}`)), xs: [] as Sample[] },
]);
// The first start of a build writes its code cache; measured starts read it.
for (const row of rows) await row.run();
for (let i = 0; i < runs; i++) for (const row of rows) row.xs.push(await row.run());
rmSync(tmp, { recursive: true, force: true });

const mb = (n: number) => `${fmt(n, 0)} MB`;
console.log(`start-up with stored sessions: ${count} logs of ${turns} compacted turns, ${fmt(bytes / 1e6, 1)} MB in all (median of ${runs}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  ${''.padEnd(30)}${'→ initialize'.padStart(14)}${'RSS'.padStart(8)}${'→ session/list'.padStart(16)}${'RSS'.padStart(8)}  listed`);
for (const row of rows) {
  const m = (k: keyof Sample) => median(row.xs.map((x) => x[k]));
  const emptyRow = rows.find((r) => r.build === row.build && r !== row && row.home !== 'empty home');
  const d = emptyRow ? m('initMs') - median(emptyRow.xs.map((x) => x.initMs)) : 0;
  const over = emptyRow ? `   (${d < 0 ? '−' : '+'}${fmt(Math.abs(d), 0)} ms beside the empty home)` : '';
  console.log(`  ${`${row.build}, ${row.home}`.padEnd(30)}${`${fmt(m('initMs'), 0)} ms`.padStart(14)}${mb(m('initRss')).padStart(8)}${`${fmt(m('listMs'), 0)} ms`.padStart(16)}${mb(m('listRss')).padStart(8)}  ${fmt(m('listed'))}${over}`);
}
