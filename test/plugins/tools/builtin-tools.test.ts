import { expect } from 'chai';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../../src/host/errors.js';
import type { ClientPeer } from '../../../src/host/client.js';
import { editFileTool } from '../../../src/plugins/tools/builtin/edit-file.js';
import { findFilesTool } from '../../../src/plugins/tools/builtin/find-files.js';
import { listDirectoryTool } from '../../../src/plugins/tools/builtin/list-directory.js';
import { readFileTool } from '../../../src/plugins/tools/builtin/read-file.js';
import { searchFilesTool } from '../../../src/plugins/tools/builtin/search-files.js';
import { writeFileTool } from '../../../src/plugins/tools/builtin/write-file.js';
import { run, tempWorkspace, textOf, toolContext } from './tool-harness.js';

async function failure(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the tool to fail').to.be.instanceOf(RpcError);
  return err as RpcError;
}

describe('tools: built-in file tools', () => {
  let t: ReturnType<typeof tempWorkspace>;
  beforeEach(() => {
    t = tempWorkspace();
    mkdirSync(path.join(t.ws, 'src', 'deep'), { recursive: true });
    mkdirSync(path.join(t.ws, 'node_modules', 'x'), { recursive: true });
    writeFileSync(path.join(t.ws, 'src', 'a.ts'), 'one\ntwo\nthree\nfour\n');
    writeFileSync(path.join(t.ws, 'src', 'deep', 'b.ts'), 'export const two = 2;\n');
    writeFileSync(path.join(t.ws, 'node_modules', 'x', 'c.ts'), 'two\n');
    writeFileSync(path.join(t.ws, 'README.md'), '# two\n');
    writeFileSync(path.join(t.outside, 'secret.txt'), 'two secret\n');
    symlinkSync(t.outside, path.join(t.ws, 'out-link'));
  });
  afterEach(() => t.remove());

  it('read_file reads a file and a line range', async () => {
    const ctx = toolContext(t.ws);
    expect(textOf(await run(readFileTool, { path: 'src/a.ts' }, ctx))).to.equal('one\ntwo\nthree\nfour');
    expect(textOf(await run(readFileTool, { path: 'src/a.ts', line: 2, limit: 2 }, ctx))).to.match(/^two\nthree\n… \[output capped; read on with line=4\]$/);
  });

  it('read_file caps a huge file', async () => {
    writeFileSync(path.join(t.ws, 'big.txt'), 'x'.repeat(1000).concat('\n').repeat(1000));
    const text = textOf(await run(readFileTool, { path: 'big.txt' }, toolContext(t.ws)));
    expect(text.length).to.be.lessThan(300 * 1024);
    expect(text).to.contain('output capped');
  });

  it('read_file refuses ../, absolute paths and symlinks out', async () => {
    for (const p of ['../outside/secret.txt', path.join(t.outside, 'secret.txt'), 'out-link/secret.txt']) {
      const err = await failure(run(readFileTool, { path: p }, toolContext(t.ws)));
      expect(err.code, p).to.equal(ErrorCodes.Forbidden);
      expect(err.message).to.contain(t.ws);
    }
  });

  it('write_file creates parents and answers a diff; refuses to write through a symlink out', async () => {
    const res = await run(writeFileTool, { path: 'new/dir/f.txt', content: 'hello' }, toolContext(t.ws));
    expect(readFileSync(path.join(t.ws, 'new/dir/f.txt'), 'utf8')).to.equal('hello');
    expect(res.content[0]).to.deep.equal({ type: 'diff', path: path.join(t.ws, 'new/dir/f.txt'), oldText: null, newText: 'hello' });
    const err = await failure(run(writeFileTool, { path: 'out-link/planted.txt', content: 'x' }, toolContext(t.ws)));
    expect(err.code).to.equal(ErrorCodes.Forbidden);
    expect(existsSync(path.join(t.outside, 'planted.txt'))).to.equal(false);
  });

  it('edit_file replaces exactly once, with a diff; errors clearly when missing or not unique', async () => {
    const res = await run(editFileTool, { path: 'src/a.ts', oldText: 'three', newText: 'THREE $&' }, toolContext(t.ws));
    expect(readFileSync(path.join(t.ws, 'src/a.ts'), 'utf8')).to.equal('one\ntwo\nTHREE $&\nfour\n');
    expect(res.content[0]).to.include({ type: 'diff', oldText: 'one\ntwo\nthree\nfour\n', newText: 'one\ntwo\nTHREE $&\nfour\n' });
    expect(res.locations?.[0]?.line).to.equal(3);

    const missing = await failure(run(editFileTool, { path: 'src/a.ts', oldText: 'nope', newText: 'x' }, toolContext(t.ws)));
    expect(missing.code).to.equal(ErrorCodes.InvalidParams);
    expect(missing.message).to.contain('not found in src/a.ts');

    writeFileSync(path.join(t.ws, 'dup.txt'), 'x x x');
    const dup = await failure(run(editFileTool, { path: 'dup.txt', oldText: 'x', newText: 'y' }, toolContext(t.ws)));
    expect(dup.message).to.contain('occurs 3 times');
    await run(editFileTool, { path: 'dup.txt', oldText: 'x', newText: 'y', replaceAll: true }, toolContext(t.ws));
    expect(readFileSync(path.join(t.ws, 'dup.txt'), 'utf8')).to.equal('y y y');
  });

  it('list_directory lists entries and marks folders and links', async () => {
    const text = textOf(await run(listDirectoryTool, {}, toolContext(t.ws)));
    expect(text.split('\n')).to.deep.equal(['node_modules/', 'out-link@', 'README.md', 'src/']);
    const err = await failure(run(listDirectoryTool, { path: 'out-link' }, toolContext(t.ws)));
    expect(err.code).to.equal(ErrorCodes.Forbidden);
  });

  it('find_files matches globs, skips node_modules and does not follow links out', async () => {
    expect(textOf(await run(findFilesTool, { pattern: '**/*.ts' }, toolContext(t.ws))).split('\n')).to.deep.equal(['src/a.ts', 'src/deep/b.ts']);
    expect(textOf(await run(findFilesTool, { pattern: 'src/*.ts' }, toolContext(t.ws)))).to.equal('src/a.ts');
    expect(textOf(await run(findFilesTool, { pattern: '*.txt' }, toolContext(t.ws)))).to.contain('no files match');
  });

  it('search_files finds regex matches with a cap, and rejects a bad regex', async () => {
    const text = textOf(await run(searchFilesTool, { pattern: 't[wW]o' }, toolContext(t.ws)));
    expect(text.split('\n')).to.deep.equal(['README.md:1: # two', 'src/a.ts:2: two', 'src/deep/b.ts:1: export const two = 2;']);
    const capped = textOf(await run(searchFilesTool, { pattern: 'two', maxResults: 1 }, toolContext(t.ws)));
    expect(capped).to.contain('capped at 1');
    expect(textOf(await run(searchFilesTool, { pattern: 'two', glob: '*.md' }, toolContext(t.ws)))).to.equal('README.md:1: # two');
    const bad = await failure(run(searchFilesTool, { pattern: '(' }, toolContext(t.ws)));
    expect(bad.code).to.equal(ErrorCodes.InvalidParams);
  });

  it('routes reads and writes to an ACP client that declared fs, after the confinement check', async () => {
    const calls: { method: string; params: any }[] = [];
    const files = new Map<string, string>([[path.join(t.ws, 'src/a.ts'), 'from the editor buffer\n']]);
    const client = {
      id: 'c1',
      transport: 'internal',
      canRequest: true,
      info: { capabilities: { fs: { readTextFile: true, writeTextFile: true } } },
      closed: new AbortController().signal,
      notify() {},
      async request(method: string, params: any) {
        calls.push({ method, params });
        if (method === 'fs/read_text_file') {
          if (!files.has(params.path)) throw new Error('not found');
          return { content: files.get(params.path) };
        }
        files.set(params.path, params.content);
        return {};
      },
    } as unknown as ClientPeer;
    const ctx = toolContext(t.ws, { client });
    expect(textOf(await run(readFileTool, { path: 'src/a.ts', line: 1, limit: 5 }, ctx))).to.equal('from the editor buffer\n');
    expect(calls[0]).to.deep.equal({ method: 'fs/read_text_file', params: { sessionId: 'sess-1', path: path.join(t.ws, 'src/a.ts'), line: 1, limit: 5 } });
    await run(editFileTool, { path: 'src/a.ts', oldText: 'editor', newText: 'agent' }, ctx);
    expect(files.get(path.join(t.ws, 'src/a.ts'))).to.equal('from the agent buffer\n');
    expect(readFileSync(path.join(t.ws, 'src/a.ts'), 'utf8')).to.equal('one\ntwo\nthree\nfour\n');
    const before = calls.length;
    const err = await failure(run(writeFileTool, { path: '../outside/x', content: 'x' }, ctx));
    expect(err.code).to.equal(ErrorCodes.Forbidden);
    expect(calls.length, 'the client is never asked about a path outside').to.equal(before);
  });
});
