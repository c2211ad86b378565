import { expect } from 'chai';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { LineReader, installTestPlugins } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

/**
 * The binary as clients start it: bin/switchboard.js runs dist/bundle/cli.cjs, and for a command
 * that runs dist/bundle/switchboard.cjs (built by `npm run build`), each with a V8 code cache. A first start writes the cache, later starts read it;
 * a corrupt or truncated cache, or a cache folder that cannot be made, costs nothing but the
 * cache; in-process plugins get the bundle's own kit; stack traces in the log name src/*.ts.
 */
const BUNDLE = path.join(ROOT, 'dist', 'bundle', 'switchboard.cjs');
const TSC_BUILT = path.join(ROOT, 'dist', '.tsbuildinfo');
const INITIALIZE = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } })}\n`;

function bundleState(): string | undefined {
  const bundle = statSync(BUNDLE, { throwIfNoEntry: false });
  if (!bundle) return 'no dist/bundle: run npm run build';
  const built = statSync(TSC_BUILT, { throwIfNoEntry: false });
  return built && built.mtimeMs > bundle.mtimeMs ? 'dist/bundle is older than the tsc output: run npm run build' : undefined;
}

describe('e2e: the bundled binary, as clients start it', function () {
  this.timeout(60_000);
  let home: ReturnType<typeof tempHome>;
  let cacheDir: string;
  const running: SpawnedCli[] = [];

  before(function () {
    const why = bundleState();
    if (why) {
      console.warn(`      skipped: ${why}`);
      this.skip();
    }
  });
  beforeEach(() => {
    home = tempHome();
    cacheDir = path.join(home.dir, 'compile-cache');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.kill('SIGKILL')));
    home.remove();
  });

  /** One editor session: NDJSON initialize, then a call, then stdin closes and the process exits. */
  async function session(env: Record<string, string> = {}, extra?: { method: string; params: unknown }) {
    const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_COMPILE_CACHE: cacheDir, ...env });
    running.push(cli);
    const lines = new LineReader(cli.child.stdout);
    cli.child.stdin.write(INITIALIZE);
    const init = await lines.nextJson();
    let answer: any;
    if (extra) {
      cli.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: extra.method, params: extra.params })}\n`);
      answer = await lines.nextJson();
    }
    cli.child.stdin.end();
    const exit = await cli.exited;
    return { init, answer, exit, stderr: cli.stderr() };
  }
  const cacheFiles = () => readdirSync(cacheDir).filter((f) => f.endsWith('.v8'));

  it('answers initialize on the first start, writes its code cache at exit, and answers again from it', async () => {
    const first = await session();
    expect(first.init.result.protocolVersion).to.equal(1);
    expect(first.exit.code).to.equal(0);
    // One for the command line (cli.cjs), one for the host (switchboard.cjs).
    const files = cacheFiles();
    expect(files).to.have.length(2);
    for (const f of files) {
      expect(f).to.match(/^[0-9a-f]{8}-stdio-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8$/);
      expect(statSync(path.join(cacheDir, f)).mode & 0o777).to.equal(0o600);
    }
    expect(statSync(cacheDir).mode & 0o777).to.equal(0o700);
    const written = files.map((f) => statSync(path.join(cacheDir, f)).mtimeMs);

    const second = await session();
    expect(second.init.result).to.deep.equal(first.init.result);
    // An accepted cache is not rewritten.
    expect(files.map((f) => statSync(path.join(cacheDir, f)).mtimeMs)).to.deep.equal(written);
    expect(cacheFiles()).to.deep.equal(files);
  });

  it('a corrupt or truncated cache is rejected by V8 and replaced; the start is unharmed', async () => {
    await session();
    // The host's cache, the larger one.
    const [name] = cacheFiles().sort((a, b) => statSync(path.join(cacheDir, b)).size - statSync(path.join(cacheDir, a)).size);
    const file = path.join(cacheDir, name);
    const good = readFileSync(file);
    for (const bad of [Buffer.from('not a code cache at all'), good.subarray(0, Math.floor(good.length / 2)), Buffer.alloc(good.length, 0xff)]) {
      writeFileSync(file, bad);
      const s = await session();
      expect(s.init.result.protocolVersion).to.equal(1);
      expect(s.exit.code).to.equal(0);
      expect(readFileSync(file).length, 'rewritten whole at exit').to.be.greaterThan(bad.length === good.length ? 0 : bad.length);
      expect(readFileSync(file).equals(bad)).to.equal(false);
    }
  });

  it('a cache folder that cannot be made, or SWITCHBOARD_COMPILE_CACHE=off, only costs the cache', async () => {
    writeFileSync(path.join(home.dir, 'not-a-folder'), 'x');
    const blocked = await session({ SWITCHBOARD_COMPILE_CACHE: path.join(home.dir, 'not-a-folder', 'cache') });
    expect(blocked.init.result.protocolVersion).to.equal(1);
    expect(blocked.exit.code).to.equal(0);
    expect(blocked.stderr).to.not.match(/ENOTDIR|EEXIST/);
    const off = await session({ SWITCHBOARD_COMPILE_CACHE: 'off' });
    expect(off.init.result.protocolVersion).to.equal(1);
    expect(statSync(cacheDir, { throwIfNoEntry: false })).to.equal(undefined);
  });

  it('--version and --help answer without starting the host', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const [args, expected] of [
      [['--version'], new RegExp(`^switchboard/${pkg.version.replace(/\./g, '\\.')} `)],
      [['--help'], /Usage:[\s\S]*stdio[\s\S]*serve[\s\S]*mcp/],
    ] as const) {
      const cli = spawnCli([...args], { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_COMPILE_CACHE: cacheDir });
      running.push(cli);
      let out = '';
      cli.child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      expect((await cli.exited).code).to.equal(0);
      expect(out).to.match(expected);
      // The host never started: it logs "host started" at debug, which spawnCli turns on.
      expect(cli.stderr()).to.not.include('host started');
    }
    // Only the command line's cache: the host's bundle was never run (it would have cached too).
    expect(cacheFiles()).to.have.length(1);
    expect(cacheFiles()[0]).to.match(/-cli-/);
  });

  it('an in-process plugin importing switchboard/plugin gets the bundle\'s kit: same zod as the host', async () => {
    const dir = path.join(home.dir, 'plugins', 'same-zod');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'index.js'),
      `import { definePlugin, defineMethod, z } from 'switchboard/plugin';
import { createRequire } from 'node:module';
const Which = defineMethod({ name: 'same-zod/which', description: 'Where the kit came from', params: z.object({ n: z.number().int() }), result: z.object({ kit: z.string(), n: z.number() }) });
export default definePlugin({ name: 'same-zod', methods: [Which], activate(ctx) {
  ctx.handle(Which, ({ n }) => ({ kit: import.meta.resolve ? import.meta.resolve('switchboard/plugin') : '?', n }));
} });
`,
    );
    const ok = await session({}, { method: 'same-zod/which', params: { n: 3 } });
    expect(ok.answer.result.n).to.equal(3);
    expect(ok.answer.result.kit).to.match(/\/dist\/bundle\/plugin\.mjs$/);
    // The host validates with the plugin's schema: a wrong type is the usual precise error.
    const bad = await session({}, { method: 'same-zod/which', params: { n: 'three' } });
    expect(bad.answer.error.code).to.equal(-32602);
  });

  it('a plugin can still switch zod to another locale: the bundle carries only English, the rest load on demand', async () => {
    const dir = path.join(home.dir, 'plugins', 'german');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'index.js'),
      `import { definePlugin, defineMethod, z } from 'switchboard/plugin';
const Say = defineMethod({ name: 'german/say', description: 'A zod message in German', params: z.object({}).optional(), result: z.object({ de: z.string(), en: z.string() }) });
export default definePlugin({ name: 'german', methods: [Say], activate(ctx) {
  ctx.handle(Say, () => {
    z.config(z.locales.de());
    const de = z.string().safeParse(1).error.issues[0].message;
    z.config(z.locales.en());
    return { de, en: z.string().safeParse(1).error.issues[0].message };
  });
} });
`,
    );
    const s = await session({}, { method: 'german/say', params: {} });
    expect(s.answer.result, JSON.stringify(s.answer)).to.deep.equal({ de: 'Ungültige Eingabe: erwartet string, erhalten Zahl', en: 'Invalid input: expected string, received number' });
  });

  it('a stack trace in the log names the TypeScript source, not a line of the bundle', async () => {
    installTestPlugins(home.dir, ['broken']);
    const s = await session();
    expect(s.init.result.protocolVersion).to.equal(1);
    const stacks = s.stderr.split('\n').filter((l) => l.includes('this plugin always fails') && l.includes('"stack"'));
    expect(stacks, s.stderr.slice(0, 2000)).to.not.be.empty;
    const stack = JSON.parse(stacks[0]).err?.stack ?? JSON.parse(stacks[0]).stack ?? stacks[0];
    expect(String(stack)).to.match(/src[\\/]host[\\/][\w-]+\.ts:\d+:\d+/);
    expect(String(stack)).to.not.include('switchboard.cjs');
  });
});
