import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../../src/host/errors.js';
import { confine } from '../../../src/plugins/tools/confine.js';
import { matchGlob } from '../../../src/plugins/tools/glob.js';
import { tempWorkspace } from './tool-harness.js';

async function refused(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').to.be.instanceOf(RpcError);
  return err as RpcError;
}

describe('tools: workspace confinement', () => {
  let t: ReturnType<typeof tempWorkspace>;
  before(() => {
    t = tempWorkspace();
    mkdirSync(path.join(t.ws, 'src'));
    writeFileSync(path.join(t.ws, 'src', 'a.ts'), 'a');
    writeFileSync(path.join(t.outside, 'secret.txt'), 'secret');
    symlinkSync(t.outside, path.join(t.ws, 'out-link'));
    symlinkSync(path.join(t.outside, 'secret.txt'), path.join(t.ws, 'secret-link'));
    symlinkSync(path.join(t.outside, 'not-yet'), path.join(t.ws, 'dangling-out'));
    symlinkSync(path.join(t.ws, 'src', 'a.ts'), path.join(t.ws, 'inner-link'));
  });
  after(() => t.remove());

  it('resolves relative, ./ and absolute paths inside the workspace', async () => {
    expect(await confine(t.ws, 'src/a.ts')).to.deep.equal({ abs: path.join(t.ws, 'src/a.ts'), rel: 'src/a.ts' });
    expect((await confine(t.ws, './src/../src/a.ts')).rel).to.equal('src/a.ts');
    expect((await confine(t.ws, path.join(t.ws, 'src/a.ts'))).rel).to.equal('src/a.ts');
    expect((await confine(t.ws, '.')).rel).to.equal('.');
  });

  it('resolves files that do not exist yet through their nearest existing parent', async () => {
    expect((await confine(t.ws, 'src/new/deeper/file.txt')).abs).to.equal(path.join(t.ws, 'src/new/deeper/file.txt'));
  });

  it('follows symlinks that stay inside', async () => {
    expect((await confine(t.ws, 'inner-link')).rel).to.equal('src/a.ts');
  });

  it('refuses .. that climbs out, naming the path and the workspace', async () => {
    const err = await refused(confine(t.ws, '../outside/secret.txt'));
    expect(err.code).to.equal(ErrorCodes.Forbidden);
    expect(err.message).to.contain('../outside/secret.txt').and.to.contain(t.ws);
    expect(err.data).to.deep.equal({ path: '../outside/secret.txt', workspace: t.ws });
  });

  it('refuses absolute paths outside', async () => {
    const err = await refused(confine(t.ws, '/etc/passwd'));
    expect(err.code).to.equal(ErrorCodes.Forbidden);
    expect(err.message).to.contain('/etc/passwd');
  });

  it('refuses symlinks pointing out: to a file, through a folder, and dangling (a write would create outside)', async () => {
    for (const p of ['secret-link', 'out-link/secret.txt', 'out-link/new-file', 'dangling-out']) {
      const err = await refused(confine(t.ws, p));
      expect(err.code, p).to.equal(ErrorCodes.Forbidden);
      expect(err.message, p).to.contain('symlink');
    }
  });
});

describe('tools: glob', () => {
  it('matches * within a folder and ** across folders', () => {
    expect(matchGlob('src/*.ts', 'src/a.ts')).to.equal(true);
    expect(matchGlob('src/*.ts', 'src/x/a.ts')).to.equal(false);
    expect(matchGlob('src/**', 'src/x/a.ts')).to.equal(true);
    expect(matchGlob('**/*.{ts,js}', 'a/b/c.js')).to.equal(true);
    expect(matchGlob('**/*.ts', 'c.ts')).to.equal(true);
    expect(matchGlob('rm *', 'rm -rf /tmp/x', { crossSlash: true })).to.equal(true);
    expect(matchGlob('rm *', 'rmdir x', { crossSlash: true })).to.equal(false);
    expect(matchGlob('file.[ch]', 'file.c')).to.equal(true);
  });
});
