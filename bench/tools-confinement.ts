/**
 * Issue 4 benchmark: what confinement and sandboxing cost. Each figure is printed beside a
 * baseline measured in the same run:
 *   - confine() (realpath + checks) vs a bare fs.promises.realpath, per path;
 *   - the read_file tool vs a bare fs.promises.readFile of the same small file;
 *   - the shell tool running `true` under bwrap vs unsandboxed, vs a bare spawn of /bin/sh;
 *   - the permission policy decide() per call (pure; no baseline needed beyond a no-op loop).
 *
 *   npm run build && node dist/bench/tools-confinement.js [iterations=20000] [spawns=30]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decide } from '../src/plugins/permissions/policy.js';
import { readFileTool } from '../src/plugins/tools/builtin/read-file.js';
import { createShellTool } from '../src/plugins/tools/builtin/shell.js';
import { confine } from '../src/plugins/tools/confine.js';
import type { ToolContext } from '../src/plugins/tools/contract.js';
import { detectSandbox } from '../src/plugins/tools/sandbox.js';
import { fmt, median } from './support/measure.js';

const iterations = Number(process.argv[2] ?? 20_000);
const spawns = Number(process.argv[3] ?? 30);
const ws = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-bench-tools-')));
mkdirSync(path.join(ws, 'src', 'deep'), { recursive: true });
writeFileSync(path.join(ws, 'src', 'deep', 'a.ts'), 'export const a = 1;\n'.repeat(50));
const ctx: ToolContext = { sessionId: 's', workspace: ws, toolCallId: 'c', signal: new AbortController().signal, progress() {} };

async function perOpMicros(n: number, op: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(1000, n); i++) await op();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

async function spawnMs(run: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  await run();
  for (let i = 0; i < spawns; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(xs);
}

try {
  const file = path.join(ws, 'src/deep/a.ts');
  const realpath = await perOpMicros(iterations, () => fs.realpath(file));
  const confined = await perOpMicros(iterations, () => confine(ws, 'src/deep/a.ts'));
  const readBare = await perOpMicros(iterations / 4, () => fs.readFile(file, 'utf8'));
  const readTool = await perOpMicros(iterations / 4, () => readFileTool.execute({ path: 'src/deep/a.ts' }, ctx));
  const facts = { tool: 'write_file', kind: 'edit' as const, subject: 'src/a.ts', inside: true, workspace: ws, sessionId: 's' };
  const rules = [{ pattern: 'shell:rm *', action: 'deny' as const }, { pattern: 'read_file:src/**', action: 'allow' as const }];
  const decideUs = await perOpMicros(iterations * 10, () => decide(facts, 'ask', rules, []));

  const box = detectSandbox(process.env);
  const env = { PATH: process.env.PATH };
  const bareSh = await spawnMs(() => new Promise((r) => spawn('/bin/sh', ['-c', 'true']).once('close', r)));
  const plain = await spawnMs(() => createShellTool(() => ({ shell: 'none', bwrap: null, detail: '' }), env).execute({ command: 'true' }, ctx));
  const boxed = box.shell === 'bwrap' ? await spawnMs(() => createShellTool(() => box, env).execute({ command: 'true' }, ctx)) : NaN;

  console.log(`confine() per path          ${fmt(confined, 1)} µs   (baseline fs.realpath: ${fmt(realpath, 1)} µs)`);
  console.log(`read_file tool, 1 KB file   ${fmt(readTool, 1)} µs   (baseline fs.readFile: ${fmt(readBare, 1)} µs)`);
  console.log(`permission decide()         ${fmt(decideUs, 2)} µs per call`);
  console.log(`shell \`true\`, unsandboxed   ${fmt(plain, 2)} ms   (baseline bare spawn /bin/sh: ${fmt(bareSh, 2)} ms; median of ${spawns})`);
  console.log(
    box.shell === 'bwrap'
      ? `shell \`true\`, under bwrap   ${fmt(boxed, 2)} ms   (same baseline)`
      : `shell under bwrap: not measured (${box.detail})`,
  );
} finally {
  rmSync(ws, { recursive: true, force: true });
}
