/**
 * Issue 10 benchmark: the workspace fence under a symlink race, at full size. A separate process
 * (test/support/symlink-swapper) swaps `f` and `d` between real entries and symlinks leading
 * outside while each file tool runs N times against them. Printed per tool: attempts, how many
 * succeeded, how many were refused, and escapes (outside content returned or changed; goal 0),
 * beside the baseline of the same run: check-then-use (confine() the name, then read or write the
 * name again), which is what the tools did before.
 *
 *   npm run build && node dist/bench/fence-race.js [attempts=10000] [searchAttempts=attempts/10]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { editFileTool } from '../src/plugins/tools/builtin/edit-file.js';
import { findFilesTool } from '../src/plugins/tools/builtin/find-files.js';
import { listDirectoryTool } from '../src/plugins/tools/builtin/list-directory.js';
import { readFileTool } from '../src/plugins/tools/builtin/read-file.js';
import { searchFilesTool } from '../src/plugins/tools/builtin/search-files.js';
import { writeFileTool } from '../src/plugins/tools/builtin/write-file.js';
import { confine } from '../src/plugins/tools/confine.js';
import type { ToolContext, ToolDefinition, ToolResult } from '../src/plugins/tools/contract.js';

const attempts = Number(process.argv[2] ?? 10_000);
// Each search spawns ripgrep (~20-60 ms): a tenth of the attempts by default keeps the run in minutes.
const searchAttempts = Number(process.argv[3] ?? Math.round(attempts / 10));
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-bench-race-')));
const ws = path.join(root, 'ws');
const outsideDir = path.join(root, 'outside', 'dir');
const outsideFile = path.join(root, 'outside', 'secret.txt');
const SECRET = 'INSIDE OUTSIDE-SECRET\n';
mkdirSync(ws, { recursive: true });
mkdirSync(outsideDir, { recursive: true });
const ctx: ToolContext = { sessionId: 's', workspace: ws, toolCallId: 'c', signal: new AbortController().signal, progress() {} };

const text = (r: ToolResult) => r.modelText ?? '';
type Op = () => Promise<string>;
const tool = (t: ToolDefinition, args: unknown): Op => async () => text(await t.execute(t.parameters.parse(args), ctx));
const cases: [string, Op, number][] = [
  ['baseline: confine, then readFile(name)', async () => fs.readFile((await confine(ws, 'f')).abs, 'utf8'), 1],
  ['baseline: confine, then writeFile(name)', async () => (await fs.writeFile((await confine(ws, 'f')).abs, 'WRITTEN\n'), ''), 1],
  ['read_file f', tool(readFileTool, { path: 'f' }), 1],
  ['read_file d/inner.txt', tool(readFileTool, { path: 'd/inner.txt' }), 1],
  ['write_file f', tool(writeFileTool, { path: 'f', content: 'WRITTEN\n' }), 1],
  ['write_file d/new.txt', tool(writeFileTool, { path: 'd/new.txt', content: 'WRITTEN\n' }), 1],
  ['edit_file f', tool(editFileTool, { path: 'f', oldText: 'INSIDE', newText: 'EDITED' }), 1],
  ['list_directory d', tool(listDirectoryTool, { path: 'd' }), 1],
  ['find_files **', tool(findFilesTool, { pattern: '**' }), 1],
  ['search_files SECRET', tool(searchFilesTool, { pattern: 'SECRET' }), searchAttempts / attempts],
];

function resetOutside(): void {
  writeFileSync(outsideFile, SECRET);
  writeFileSync(path.join(outsideDir, 'inner.txt'), SECRET);
  writeFileSync(path.join(outsideDir, 'OUTSIDE-ONLY.txt'), SECRET);
  for (const name of readdirSync(outsideDir)) if (name !== 'inner.txt' && name !== 'OUTSIDE-ONLY.txt') rmSync(path.join(outsideDir, name));
}
function outsideChanged(): boolean {
  return readFileSync(outsideFile, 'utf8') !== SECRET || readFileSync(path.join(outsideDir, 'inner.txt'), 'utf8') !== SECRET || readdirSync(outsideDir).length !== 2;
}

resetOutside();
const swapper = spawn(process.execPath, [fileURLToPath(new URL('../test/support/symlink-swapper.js', import.meta.url)), ws, outsideFile, outsideDir], { stdio: ['ignore', 'pipe', 'inherit'] });
await once(swapper.stdout!, 'data');
try {
  console.log(`fence under a symlink race (${attempts} attempts per tool; ${os.cpus().length} cores)`);
  for (const [label, op, share] of cases) {
    const n = Math.max(1, Math.round(attempts * share));
    let ok = 0;
    let refused = 0;
    let escapes = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      try {
        const out = await op();
        ok++;
        if (/OUTSIDE-/.test(out)) escapes++;
      } catch {
        refused++;
      }
      if (outsideChanged()) {
        escapes++;
        resetOutside();
      }
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`  ${label.padEnd(42)} ${String(n).padStart(6)} attempts  ${String(ok).padStart(6)} ok  ${String(refused).padStart(6)} refused  ${String(escapes).padStart(5)} escapes  (${(ms / n).toFixed(2)} ms each)`);
  }
} finally {
  swapper.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
