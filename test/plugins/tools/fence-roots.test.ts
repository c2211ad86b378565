import { expect } from 'chai';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { builtinTools } from '../../../src/plugins/tools/builtin/index.js';
import type { ToolDefinition } from '../../../src/plugins/tools/contract.js';
import { Fence } from '../../../src/plugins/tools/fence.js';
import { bwrapArgs, detectSandbox } from '../../../src/plugins/tools/sandbox.js';
import { refusal, run, tempWorkspace, textOf, toolContext } from './tool-harness.js';

/**
 * ACP additionalDirectories under the descriptor-checking fence: a root beside the workspace is
 * fenced exactly as the workspace is (symlinks out refused, writes through a checked folder), and
 * the daemon's home stays out of reach inside it too.
 */
describe('tools: additionalDirectories are fenced like the workspace', () => {
  let t: ReturnType<typeof tempWorkspace>;
  let extra: string;
  let home: string;
  let tools: Record<string, ToolDefinition>;
  const ctx = () => ({ ...toolContext(t.ws), additionalDirectories: [extra] });

  beforeEach(() => {
    t = tempWorkspace();
    extra = path.join(t.root, 'extra');
    home = path.join(extra, '.switchboard');
    mkdirSync(path.join(extra, 'docs'), { recursive: true });
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(extra, 'docs', 'notes.md'), 'extra notes\n');
    writeFileSync(path.join(home, 'token'), 'TOKEN-VALUE-123\n');
    writeFileSync(path.join(t.outside, 'secret.txt'), 'outside secret\n');
    symlinkSync(path.join(t.outside, 'secret.txt'), path.join(extra, 'link.txt'));
    symlinkSync(t.outside, path.join(extra, 'out'));
    const box = detectSandbox(process.env);
    tools = Object.fromEntries(builtinTools(() => box, { PATH: process.env.PATH }, Fence.forHome(home)).map((x) => [x.name, x]));
  });
  afterEach(() => t.remove());

  it('reads, lists, finds and searches there by absolute path; results are named absolutely', async () => {
    const notes = path.join(extra, 'docs', 'notes.md');
    expect(textOf(await run(tools.read_file!, { path: notes }, ctx()))).to.equal('extra notes');
    expect(textOf(await run(tools.list_directory!, { path: extra }, ctx()))).to.contain('docs/').and.not.contain('.switchboard');
    expect(textOf(await run(tools.find_files!, { pattern: '*.md', path: extra }, ctx()))).to.equal(notes);
    expect(textOf(await run(tools.search_files!, { pattern: 'notes|TOKEN', path: extra }, ctx()))).to.equal(`${notes}:1: extra notes`);
    // Without the root the same path is outside.
    await refusal(run(tools.read_file!, { path: notes }, toolContext(t.ws)));
  });

  it('writes and edits there through a checked folder, and refuses symlinks out of it', async () => {
    const file = path.join(extra, 'new', 'deep', 'a.txt');
    await run(tools.write_file!, { path: file, content: 'one' }, ctx());
    await run(tools.edit_file!, { path: file, oldText: 'one', newText: 'two' }, ctx());
    expect(readFileSync(file, 'utf8')).to.equal('two');
    await refusal(run(tools.read_file!, { path: path.join(extra, 'link.txt') }, ctx()));
    await refusal(run(tools.write_file!, { path: path.join(extra, 'out', 'x.txt'), content: 'x' }, ctx()));
    await refusal(run(tools.edit_file!, { path: path.join(extra, 'link.txt'), oldText: 'outside', newText: 'x' }, ctx()));
    expect(readFileSync(path.join(t.outside, 'secret.txt'), 'utf8')).to.equal('outside secret\n');
    expect(existsSync(path.join(t.outside, 'x.txt'))).to.equal(false);
    expect(lstatSync(path.join(extra, 'link.txt')).isSymbolicLink()).to.equal(true);
  });

  it("keeps the daemon's home inside an additional root out of reach", async () => {
    expect((await refusal(run(tools.read_file!, { path: path.join(home, 'token') }, ctx()))).message).to.contain("daemon's home");
    await refusal(run(tools.write_file!, { path: path.join(home, 'plugins', 'x', 'index.js'), content: 'x' }, ctx()));
    expect(textOf(await run(tools.find_files!, { pattern: '**', path: extra }, ctx()))).to.not.contain('token');
    expect(existsSync(path.join(home, 'plugins'))).to.equal(false);
  });

  it('binds the roots writable in the bwrap sandbox, with the home covered and never bound', async function () {
    const args = bwrapArgs(t.ws, 'true', { writable: [extra], hidden: [home] });
    expect(args.join(' ')).to.contain(`--bind ${extra} ${extra}`);
    const covered = args.lastIndexOf('--tmpfs');
    expect(args[covered + 1]).to.equal(home);
    expect(covered, 'the home is covered after every bind').to.be.greaterThan(args.lastIndexOf('--bind'));
    if (detectSandbox(process.env).shell !== 'bwrap') this.skip();
    const c = { ...ctx(), additionalDirectories: [extra, home] };
    const out = textOf(await run(tools.shell!, { command: `cat ${home}/token; echo made > ${extra}/from-shell.txt; cat ${extra}/docs/notes.md` }, c));
    expect(out).to.not.contain('TOKEN-VALUE');
    expect(out).to.contain('extra notes');
    expect(readFileSync(path.join(extra, 'from-shell.txt'), 'utf8')).to.equal('made\n');
  });
});
