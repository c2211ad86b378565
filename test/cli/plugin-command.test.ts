import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BIN, ROOT } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

const run = promisify(execFile);

/**
 * `switchboard plugin new` in each language: the scaffold's own test passes (it drives the real
 * daemon, or the plugin's stdio for Python); `switchboard plugin list` shows source and state.
 */
describe('switchboard plugin new / list', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof tempHome>;
  const env = () => ({ ...process.env, SWITCHBOARD_HOME: path.join(tmp.dir, 'home'), SWITCHBOARD_LOG_LEVEL: 'silent' });
  const sb = (args: string[], cwd = tmp.dir) => run(process.execPath, [BIN, ...args], { cwd, env: env() });

  before(() => (tmp = tempHome('sb-scaffold-')));
  after(() => tmp.remove());

  it('js: scaffolds a plugin whose test passes against the real daemon', async () => {
    const out = await sb(['plugin', 'new', 'notes']);
    expect(out.stdout).to.contain('created').and.to.contain('notes');
    const dir = path.join(tmp.dir, 'notes');
    const test = await run(process.execPath, ['--test'], { cwd: dir, env: env() });
    expect(test.stdout).to.match(/# pass 1/).and.to.match(/# fail 0/);
  });

  it('python: scaffolds a plugin whose unittest passes', async () => {
    await sb(['plugin', 'new', 'py-notes', '--language', 'python']);
    const dir = path.join(tmp.dir, 'py-notes');
    expect(existsSync(path.join(dir, 'plugin.json'))).to.equal(true);
    const test = await run('python3', ['-m', 'unittest', '-v'], { cwd: dir, env: env() });
    expect(test.stderr).to.contain('OK');
  });

  it('ts: scaffolds a plugin that type-checks against switchboard/plugin and passes its test', async () => {
    await sb(['plugin', 'new', 'ts-notes', '--language', 'ts', '--dir', path.join(tmp.dir, 'tsn')]);
    const dir = path.join(tmp.dir, 'tsn');
    await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { env: env() });
    expect(existsSync(path.join(dir, 'dist', 'index.js'))).to.equal(true);
    const test = await run(process.execPath, ['--test'], { cwd: dir, env: env() });
    expect(test.stdout).to.match(/# pass 1/);
  });

  it('refuses a bad name, a bad language and an existing folder (exit 2)', async () => {
    for (const args of [['plugin', 'new', 'Bad_Name'], ['plugin', 'new', 'ok', '--language', 'cobol'], ['plugin', 'new', 'notes'], ['plugin', 'frobnicate']]) {
      const err = await sb(args).then(() => undefined, (e) => e);
      expect(err?.code, args.join(' ')).to.equal(2);
      expect(err.stderr).to.match(/switchboard: /);
    }
  });

  it('list: shows each custom plugin with its version, state, source, methods and tools', async () => {
    const out = await sb(['plugin', 'list', '--plugin-dir', path.join(tmp.dir, 'notes'), '--plugin-dir', path.join(ROOT, 'examples', 'hello-python')]);
    expect(out.stdout).to.contain(`notes 0.1.0  active  ${path.join(tmp.dir, 'notes')}`);
    expect(out.stdout).to.contain('hello-py 1.0.0  active').and.to.contain('tools:   line_count');
    const json = JSON.parse((await sb(['plugin', 'list', '--json', '--plugin-dir', path.join(ROOT, 'examples', 'hello-ts')])).stdout);
    expect(json.plugins).to.have.length(1);
    expect(json.plugins[0]).to.include({ name: 'hello', state: 'active' });
    expect(json.plugins[0].methods).to.deep.equal(['hello/greet']);
  });
});
