import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { editFileTool } from '../../../src/plugins/tools/builtin/edit-file.js';
import { findFilesTool } from '../../../src/plugins/tools/builtin/find-files.js';
import { listDirectoryTool } from '../../../src/plugins/tools/builtin/list-directory.js';
import { readFileTool } from '../../../src/plugins/tools/builtin/read-file.js';
import { searchFilesTool } from '../../../src/plugins/tools/builtin/search-files.js';
import { writeFileTool } from '../../../src/plugins/tools/builtin/write-file.js';
import type { ToolDefinition } from '../../../src/plugins/tools/contract.js';
import { run, tempWorkspace, textOf, toolContext } from './tool-harness.js';

const SWAPPER = fileURLToPath(new URL('../../support/symlink-swapper.js', import.meta.url));
const SECRET = 'INSIDE OUTSIDE-SECRET\n';

/** Attempts per tool: a few thousand in all, well inside the timeout on a loaded machine. */
export const RACE_ATTEMPTS: [string, ToolDefinition, () => unknown, number][] = [
  ['read_file f', readFileTool, () => ({ path: 'f' }), 800],
  ['read_file d/inner.txt', readFileTool, () => ({ path: 'd/inner.txt' }), 400],
  ['write_file f', writeFileTool, () => ({ path: 'f', content: 'WRITTEN\n' }), 500],
  ['write_file d/new.txt', writeFileTool, () => ({ path: 'd/new.txt', content: 'WRITTEN\n' }), 300],
  ['edit_file f', editFileTool, () => ({ path: 'f', oldText: 'INSIDE', newText: 'EDITED' }), 500],
  ['list_directory d', listDirectoryTool, () => ({ path: 'd' }), 400],
  ['find_files **', findFilesTool, () => ({ pattern: '**' }), 300],
  ['search_files SECRET', searchFilesTool, () => ({ pattern: 'SECRET' }), 120],
];

/**
 * The fence under a symlink race: a separate process swaps `f` and `d` between real entries and
 * symlinks leading outside while every file tool runs against them. A refusal or "not found" is
 * fine; reading, listing or changing anything outside is an escape. Goal: none.
 */
describe('tools: the fence holds while another process swaps files for symlinks', function () {
  this.timeout(120_000);
  let t: ReturnType<typeof tempWorkspace>;
  let swapper: ChildProcess;
  let outsideFile: string;
  let outsideDir: string;

  before(async () => {
    t = tempWorkspace();
    outsideFile = path.join(t.outside, 'secret.txt');
    outsideDir = path.join(t.outside, 'dir');
    writeFileSync(outsideFile, SECRET);
    mkdirSync(outsideDir);
    writeFileSync(path.join(outsideDir, 'inner.txt'), SECRET);
    writeFileSync(path.join(outsideDir, 'OUTSIDE-ONLY.txt'), SECRET);
    swapper = spawn(process.execPath, [SWAPPER, t.ws, outsideFile, outsideDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(swapper.stdout!, 'data');
  });
  beforeEach(() => {
    // Each tool starts from an intact outside, so one escape is reported where it happened.
    writeFileSync(outsideFile, SECRET);
    writeFileSync(path.join(outsideDir, 'inner.txt'), SECRET);
    for (const name of readdirSync(outsideDir)) if (name !== 'inner.txt' && name !== 'OUTSIDE-ONLY.txt') rmSync(path.join(outsideDir, name));
  });
  after(async () => {
    swapper.kill('SIGKILL');
    if (swapper.exitCode === null) await once(swapper, 'exit');
    t.remove();
  });

  for (const [label, tool, args, n] of RACE_ATTEMPTS) {
    it(`${label}: 0 escapes in ${n} racing attempts`, async () => {
      let ok = 0;
      let refused = 0;
      const escapes: string[] = [];
      for (let i = 0; i < n; i++) {
        try {
          const text = textOf(await run(tool, args(), toolContext(t.ws)));
          ok++;
          if (/OUTSIDE-/.test(text)) escapes.push(text.slice(0, 200));
        } catch {
          // Refused, or not there at that instant: the fence did its job.
          refused++;
        }
      }
      expect(readFileSync(outsideFile, 'utf8'), 'the file outside was changed').to.equal(SECRET);
      expect(readFileSync(path.join(outsideDir, 'inner.txt'), 'utf8'), 'the file in the folder outside was changed').to.equal(SECRET);
      expect(readdirSync(outsideDir).sort(), 'a file was created outside').to.deep.equal(['OUTSIDE-ONLY.txt', 'inner.txt']);
      expect(escapes, `${escapes.length} of ${n} attempts returned something from outside`).to.deep.equal([]);
      // The race must really have been run against a live swapper (successes are rare for some tools: most attempts land mid-swap and are refused).
      expect(swapper.exitCode, 'the swapper died').to.equal(null);
      expect(ok + refused).to.equal(n);
    });
  }
});
