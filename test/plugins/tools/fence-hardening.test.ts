import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { builtinTools } from '../../../src/plugins/tools/builtin/index.js';
import { READ_MAX_LINE_BYTES } from '../../../src/plugins/tools/builtin/read-file.js';
import { commandTitle, shellEnv } from '../../../src/plugins/tools/builtin/shell.js';
import type { ToolDefinition } from '../../../src/plugins/tools/contract.js';
import { Fence } from '../../../src/plugins/tools/fence.js';
import { matchGlob } from '../../../src/plugins/tools/glob.js';
import { detectSandbox } from '../../../src/plugins/tools/sandbox.js';
import { refusal, run, tempWorkspace, textOf, toolContext } from './tool-harness.js';

/** The tools as the tools plugin builds them, for a daemon whose home is `home`. */
function toolsFor(home: string): Record<string, ToolDefinition> {
  const box = detectSandbox(process.env);
  return Object.fromEntries(builtinTools(() => box, { PATH: process.env.PATH }, Fence.forHome(home)).map((t) => [t.name, t]));
}

describe('tools: the daemon home is outside the fence, even inside the workspace', () => {
  let t: ReturnType<typeof tempWorkspace>;
  let home: string;
  let tools: Record<string, ToolDefinition>;
  beforeEach(() => {
    t = tempWorkspace();
    // A session opened on ~ with the default home ~/.switchboard.
    home = path.join(t.ws, '.switchboard');
    mkdirSync(path.join(home, 'plugins'), { recursive: true });
    mkdirSync(path.join(home, 'workspaces', 's1'), { recursive: true });
    writeFileSync(path.join(home, 'token'), 'TOKEN-VALUE-123\n');
    writeFileSync(path.join(home, 'profiles.json'), '{"apiKey":"sk-KEY-VALUE"}\n');
    writeFileSync(path.join(t.ws, 'notes.txt'), 'ordinary notes\n');
    symlinkSync(path.join(home, 'token'), path.join(t.ws, 'tok'));
    tools = toolsFor(home);
  });
  afterEach(() => t.remove());

  it('refuses reading, writing and editing anything in it, directly or through a symlink', async () => {
    const ctx = toolContext(t.ws);
    for (const p of ['.switchboard/token', '.switchboard/profiles.json', 'tok', path.join(home, 'token')]) {
      expect((await refusal(run(tools.read_file!, { path: p }, ctx))).message).to.contain("daemon's home");
    }
    await refusal(run(tools.write_file!, { path: '.switchboard/plugins/x/index.js', content: 'process.exit(1)' }, ctx));
    await refusal(run(tools.write_file!, { path: '.switchboard/permissions.json', content: '{}' }, ctx));
    await refusal(run(tools.edit_file!, { path: '.switchboard/token', oldText: 'TOKEN', newText: 'X' }, ctx));
    await refusal(run(tools.list_directory!, { path: '.switchboard' }, ctx));
    expect(existsSync(path.join(home, 'plugins', 'x'))).to.equal(false);
    expect(existsSync(path.join(home, 'permissions.json'))).to.equal(false);
  });

  it('leaves it out of listings, finds and searches', async () => {
    const ctx = toolContext(t.ws);
    expect(textOf(await run(tools.list_directory!, {}, ctx))).to.not.contain('.switchboard');
    const found = textOf(await run(tools.find_files!, { pattern: '**' }, ctx));
    expect(found).to.contain('notes.txt');
    expect(found).to.not.contain('token');
    expect(textOf(await run(tools.search_files!, { pattern: 'TOKEN-VALUE|KEY-VALUE' }, ctx))).to.contain('no matches');
    expect(textOf(await run(tools.search_files!, { pattern: 'notes' }, ctx))).to.equal('notes.txt:1: ordinary notes');
  });

  it('keeps the session workspaces below it usable', async () => {
    const ws = path.join(home, 'workspaces', 's1');
    await run(tools.write_file!, { path: 'a.txt', content: 'hi' }, toolContext(ws));
    expect(textOf(await run(tools.read_file!, { path: 'a.txt' }, toolContext(ws)))).to.equal('hi');
  });

  it('is covered by an empty folder in the bwrap sandbox of a shell command', async function () {
    if (detectSandbox(process.env).shell !== 'bwrap') this.skip();
    const out = textOf(await run(tools.shell!, { command: 'cat .switchboard/token; ls -A .switchboard | wc -l; cat notes.txt' }, toolContext(t.ws)));
    expect(out).to.not.contain('TOKEN-VALUE');
    expect(out).to.contain('ordinary notes');
  });
});

describe('tools: files that would block or crash the daemon', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempWorkspace>;
  let tools: Record<string, ToolDefinition>;
  beforeEach(() => {
    t = tempWorkspace();
    tools = toolsFor(path.join(t.root, 'home'));
  });
  afterEach(() => t.remove());

  it('read_file on a 1 GB sparse file answers (binary) instead of crashing', async () => {
    writeFileSync(path.join(t.ws, 'big.log'), '');
    truncateSync(path.join(t.ws, 'big.log'), 1024 ** 3);
    expect((await refusal(run(tools.read_file!, { path: 'big.log' }, toolContext(t.ws)))).message).to.contain('binary');
  });

  it('read_file cuts an over-long line and stays within its cap', async () => {
    writeFileSync(path.join(t.ws, 'one-line.js'), 'x'.repeat(5 * 1024 * 1024) + '\nsecond\n');
    const res = await run(tools.read_file!, { path: 'one-line.js' }, toolContext(t.ws));
    const text = textOf(res);
    expect(text.length).to.be.lessThan(READ_MAX_LINE_BYTES + 200);
    expect(text).to.contain(`[line cut at ${READ_MAX_LINE_BYTES} bytes]`).and.to.contain('\nsecond');
    expect(textOf(await run(tools.read_file!, { path: 'one-line.js', line: 2 }, toolContext(t.ws)))).to.equal('second');
  });

  it('read_file, write_file and edit_file refuse a FIFO without blocking', async () => {
    execFileSync('mkfifo', [path.join(t.ws, 'pipe')]);
    const ctx = toolContext(t.ws);
    // Several at once: a blocking open would park every libuv worker and this would hang.
    const all = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(() => refusal(run(tools.read_file!, { path: 'pipe' }, ctx))),
    );
    for (const err of all) expect(err.message).to.contain('FIFO');
    expect((await refusal(run(tools.write_file!, { path: 'pipe', content: 'x' }, ctx))).message).to.contain('FIFO');
    expect((await refusal(run(tools.edit_file!, { path: 'pipe', oldText: 'a', newText: 'b' }, ctx))).message).to.contain('FIFO');
    expect(textOf(await run(tools.search_files!, { pattern: 'x' }, ctx))).to.contain('no matches');
  });

  it('search_files runs a catastrophic regex in linear time, off the event loop', async () => {
    writeFileSync(path.join(t.ws, 'README.md'), 'This sentence is an ordinary line of a README file, nothing special!\n');
    writeFileSync(path.join(t.ws, 'ok.txt'), 'aaaaaaaaaaaaaaaaaaaaaaaaaa\n');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const text = textOf(await run(tools.search_files!, { pattern: '^(\\w+\\s?)+$' }, toolContext(t.ws)));
      expect(text).to.equal('ok.txt:1: aaaaaaaaaaaaaaaaaaaaaaaaaa');
    } finally {
      clearInterval(timer);
    }
    expect(ticks, 'the event loop kept turning').to.be.greaterThan(0);
  });

  it('search_files says what is wrong with a pattern ripgrep cannot run', async () => {
    writeFileSync(path.join(t.ws, 'a.txt'), 'aa\n');
    expect((await refusal(run(tools.search_files!, { pattern: '(a)\\1' }, toolContext(t.ws)))).message).to.contain('backreferences');
  });

  it('globs match in linear time: stacked ** on a deep path, many * on a long command line', () => {
    const deep = Array.from({ length: 200 }, (_, i) => `d${i}`).join('/') + '/file.ts';
    expect(matchGlob('**/'.repeat(30) + 'x.ts', deep)).to.equal(false);
    expect(matchGlob('**/'.repeat(30) + 'file.ts', deep)).to.equal(true);
    expect(matchGlob('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000), { crossSlash: true })).to.equal(false);
    expect(matchGlob('rm *-rf*', `rm ${'x'.repeat(10_000)} -rf /`, { crossSlash: true })).to.equal(true);
  });
});

describe('tools: what an approval shows of a shell command', () => {
  it('collapses whitespace and escapes control characters in the title, and says when it is shortened', () => {
    const hidden = `npm test${' '.repeat(75)}; echo pwned > pwned.txt`;
    expect(commandTitle(hidden)).to.equal('npm test ; echo pwned > pwned.txt');
    expect(commandTitle('ls\r\x1b[2Kok\u202e')).to.equal('ls \\x1b[2Kok\\u202e');
    const long = commandTitle(`echo ${'a'.repeat(500)}; rm -rf ~`);
    expect(long).to.match(/\+\d+ more characters/);
  });

  it('passes an allow-list of environment variables, plus SWITCHBOARD_SHELL_ENV', () => {
    const env = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      LC_ALL: 'C',
      TERM: 'xterm',
      GITHUB_PAT: 'ghp_x',
      DATABASE_URL: 'postgres://u:pw@h/db',
      DB_PASS: 'pw',
      JWT: 'eyJ',
      SESSION_COOKIE: 'c',
      OPENAI_API_KEY: 'sk-x',
      SWITCHBOARD_HOME: '/x',
      CI: 'true',
    };
    expect(Object.keys(shellEnv(env)).sort()).to.deep.equal(['HOME', 'LANG', 'LC_ALL', 'PATH', 'TERM']);
    expect(Object.keys(shellEnv(env, ['CI', 'SWITCHBOARD_*']))).to.include('CI').and.not.include('SWITCHBOARD_HOME');
  });
});
