import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, type MessageConnection } from 'vscode-jsonrpc/node';
import { ROOT } from '../support/spawn-cli.js';
import { createTestHost, type TestHost } from '../support/in-memory.js';
import { tempHome } from '../support/temp-home.js';

/**
 * Custom plugins loaded from real folders by the real loader, written as an author would (they
 * import `switchboard/plugin`, which the daemon resolves to its own kit): the example, and
 * plugins that throw, hang, clash, or ask for another version. Each one fails alone.
 */

const EXAMPLE = path.join(ROOT, 'examples', 'hello-ts');

function writePlugin(dir: string, name: string, source: string, pkg?: unknown): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, 'index.js'), source);
  if (pkg !== undefined) writeFileSync(path.join(dir, name, 'package.json'), typeof pkg === 'string' ? pkg : JSON.stringify(pkg));
}

const kit = `import { definePlugin, defineMethod, defineTool, z } from 'switchboard/plugin';\n`;

describe('custom plugins: loading, isolation, duplicates, versions', function () {
  this.timeout(30_000);
  let t: TestHost;
  let client: MessageConnection;
  let dev: ReturnType<typeof tempHome>;

  before(async () => {
    dev = tempHome('sb-plugins-');
    const d = dev.dir;
    writePlugin(d, 'throws', `${kit}export default definePlugin({ name: 'throws', activate() { throw new Error('no database at db://nowhere'); } });\n`);
    writePlugin(d, 'hangs', `${kit}
const M = defineMethod({ name: 'hangs/x', description: 'x', params: z.object({}), result: z.object({}) });
export default definePlugin({ name: 'hangs', methods: [M], async activate(ctx) {
  await new Promise((r) => ctx.signal.addEventListener('abort', r));
  // Stopped on time-out: binding a handler now must not bring the method back.
  try { ctx.handle(M, () => ({})); } catch (e) { globalThis.__hangsLate = e.message; }
} });\n`);
    writePlugin(d, 'twin-a', `${kit}export default definePlugin({ name: 'twin', activate() {} });\n`);
    writePlugin(d, 'twin-b', `${kit}export default definePlugin({ name: 'twin', activate() {} });\n`);
    writePlugin(d, 'rogue', `import { z } from 'switchboard/plugin';
export default { name: 'rogue', methods: [{ name: 'host/ping', description: 'mine', params: z.object({}), result: z.object({}) }], activate() {} };\n`);
    writePlugin(d, 'route-clash', `${kit}export default definePlugin({ name: 'route-clash', methods: [defineMethod({ name: 'route-clash/list', description: 'x', params: z.object({}), result: z.object({}), rest: { verb: 'GET', path: '/sessions/{id}' } })] });\n`);
    writePlugin(d, 'tool-clash', `${kit}export default definePlugin({ name: 'tool-clash', tools: [defineTool({ name: 'read_file', description: 'x', kind: 'read', params: z.object({}), run: () => 'x' })] });\n`);
    writePlugin(d, 'future', `${kit}export default definePlugin({ name: 'future', activate() {} });\n`, { name: 'future', type: 'module', engines: { switchboard: '>=99' } });
    writePlugin(d, 'api-two', `${kit}export default definePlugin({ name: 'api-two', apiVersion: 2, activate() {} });\n`);
    writePlugin(d, 'own-zod', `import { z } from 'zod-not-installed-here';\nexport default { name: 'own-zod', activate() {} };\n`);
    writePlugin(d, 'bad-pkg', `export default {};\n`, '{ "main": ');
    writePlugin(d, 'boom', `${kit}
const Fail = defineMethod({ name: 'boom/fail', description: 'throws', params: z.object({}), result: z.object({}) });
const Stuck = defineMethod({ name: 'boom/stuck', description: 'never answers, ignores its signal', params: z.object({}), result: z.object({}) });
const Ok = defineMethod({ name: 'boom/ok', description: 'works', params: z.object({}), result: z.object({ ok: z.boolean() }), rest: { verb: 'GET', path: '/boom-ok' } });
export default definePlugin({ name: 'boom', methods: [Fail, Stuck, Ok], activate(ctx) {
  ctx.handle(Stuck, () => new Promise(() => {}));
  ctx.handle(Fail, () => { throw new Error('secret-ish internal detail'); });
  ctx.handle(Ok, () => ({ ok: true }));
} });\n`);
    t = await createTestHost({
      pluginDirs: [EXAMPLE, d],
      env: { ...process.env, SWITCHBOARD_PLUGIN_TIMEOUT_MS: '1500' },
    });
    client = t.connect().client;
  });
  after(async () => {
    await t?.close();
    dev?.remove();
  });

  const plugin = (name: string) => t.app.host.plugins().find((p) => p.name === name);

  it('lists the example in host/methods with its schemas and its default REST route', async () => {
    const { methods, events } = await client.sendRequest<any>('host/methods', {});
    const greet = methods.find((m: any) => m.name === 'hello/greet');
    expect(greet).to.include({ plugin: 'hello', direction: 'client→host' });
    expect(greet.rest).to.deep.equal([{ verb: 'POST', path: '/plugins/hello/greet' }]);
    expect(greet.params.properties.who).to.include({ type: 'string' });
    expect(events.map((e: any) => e.name)).to.include('hello/greeted');
    // A method with its own route keeps it.
    expect(methods.find((m: any) => m.name === 'boom/ok').rest).to.deep.equal([{ verb: 'GET', path: '/boom-ok' }]);
    expect(plugin('hello')).to.include({ state: 'active', source: EXAMPLE, version: '1.0.0' });
    expect(plugin('hello')!.tools).to.deep.equal(['word_count']);
    expect(await client.sendRequest('hello/greet', { who: 'Ada' })).to.deep.equal({ text: 'Hello, Ada!' });
  });

  it('a plugin that throws on activate is failed with its reason; its neighbours run', async () => {
    expect(plugin('throws')).to.include({ state: 'failed', code: 'SB_ERR_ACTIVATION_FAILED' });
    expect(plugin('throws')!.error).to.contain('no database at db://nowhere');
    expect(await client.sendRequest('boom/ok', {})).to.deep.equal({ ok: true });
  });

  it('a plugin that hangs in activate is stopped after the time limit and stays down', async () => {
    expect(plugin('hangs')).to.include({ state: 'failed', code: 'SB_ERR_ACTIVATION_TIMEOUT' });
    expect(plugin('hangs')!.error).to.contain('within 1500 ms');
    const err = await client.sendRequest('hangs/x', {}).then(() => undefined, (e) => e);
    expect(err.code).to.equal(-32005);
    expect((globalThis as any).__hangsLate).to.contain('is stopped');
  });

  it('duplicate plugin, method and tool names are refused naming both sources', () => {
    const twin = t.app.host.plugins().filter((p) => p.name === 'twin' || p.name === 'custom:twin#2');
    expect(twin.map((p) => p.state).sort()).to.deep.equal(['active', 'failed']);
    const refused = twin.find((p) => p.state === 'failed')!;
    expect(refused.code).to.equal('SB_ERR_DUPLICATE');
    expect(refused.error).to.contain(path.join(dev.dir, 'twin-a')).and.to.contain(path.join(dev.dir, 'twin-b'));
    expect(plugin('rogue')).to.include({ state: 'failed', code: 'SB_ERR_DUPLICATE' });
    expect(plugin('rogue')!.error).to.match(/duplicate method "host\/ping": declared by plugin "host" \(built-in\) and by "rogue" \(.*rogue\)/);
    expect(plugin('route-clash')).to.include({ state: 'failed', code: 'SB_ERR_DUPLICATE' });
    expect(plugin('route-clash')!.error).to.contain('REST route GET /sessions/{id} of "route-clash/list"').and.to.contain('is already the route of "session/get" (plugin "sessions" (built-in))');
    expect(plugin('tool-clash')).to.include({ state: 'failed' });
    expect(plugin('tool-clash')!.error).to.contain('"read_file" is already registered').and.to.contain('the built-in tools').and.to.contain('plugin "tool-clash"');
  });

  it('a plugin asking for another Switchboard or plugin API is refused with a clear message', () => {
    expect(plugin('future')).to.include({ state: 'failed', code: 'SB_ERR_INCOMPATIBLE' });
    expect(plugin('future')!.error).to.match(/needs switchboard >=99 \(engines.switchboard in .*future.package\.json\), and this is switchboard \d/);
    expect(plugin('api-two')!.error).to.contain('written for plugin API 2').and.to.contain('provides plugin API 1');
    expect(plugin('custom:own-zod')!.error).to.contain('zod-not-installed-here').and.to.contain('from "switchboard/plugin"');
    const bad = plugin('custom:bad-pkg')!;
    expect(bad).to.include({ state: 'failed', code: 'SB_ERR_LOAD_FAILED' });
    expect(bad.error).to.contain(path.join(dev.dir, 'bad-pkg', 'package.json')).and.to.contain('not valid JSON');
  });

  it('a handler that throws answers an error naming the plugin, not its internals; the next call works', async () => {
    const err = await client.sendRequest('boom/fail', {}).then(() => undefined, (e) => e);
    expect(err.code).to.equal(-32603);
    expect(err.message).to.contain('plugin "boom" failed in boom/fail').and.not.to.contain('secret-ish');
    expect(await client.sendRequest('boom/ok', {})).to.deep.equal({ ok: true });
    expect(plugin('boom')!.state).to.equal('active');
  });

  it('a handler that hangs and ignores its signal still answers a cancelled caller; the plugin serves on', async () => {
    const cts = new CancellationTokenSource();
    const stuck = client.sendRequest('boom/stuck', {}, cts.token).then(() => undefined, (e) => e);
    await client.sendRequest('boom/ok', {}); // the stuck call is in the handler by now
    cts.cancel();
    expect((await stuck).code).to.equal(-32800);
    expect(await client.sendRequest('boom/ok', {})).to.deep.equal({ ok: true });
  });

  it('delivers a plugin event to a subscribed connection as a notification', async () => {
    const got = new Promise((resolve) => client.onNotification('hello/greeted', resolve));
    expect(await client.sendRequest('host/subscribe', { events: ['hello/greeted'] })).to.deep.equal({ events: ['hello/greeted'] });
    await client.sendRequest('hello/greet', { who: 'Grace' });
    expect(await got).to.deep.equal({ who: 'Grace' });
    const err = await client.sendRequest('host/subscribe', { events: ['nope/none'] }).then(() => undefined, (e) => e);
    expect(err.code).to.equal(-32602);
    expect(err.message).to.contain('unknown event "nope/none"');
  });
});

describe('custom plugins: an npm package named in config.json', function () {
  this.timeout(30_000);
  let t: TestHost | undefined;
  let home: ReturnType<typeof tempHome>;
  before(() => (home = tempHome('sb-npm-')));
  after(async () => {
    await t?.close();
    home.remove();
  });

  it('loads it from the node_modules beside config.json, checks its engines, and names a missing one', async () => {
    const pkg = path.join(home.dir, 'node_modules', 'switchboard-plugin-notes');
    mkdirSync(path.join(pkg, 'lib'), { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'switchboard-plugin-notes', version: '2.1.0', type: 'module', main: 'lib/main.js', engines: { switchboard: '>=0.1.0' } }));
    writeFileSync(path.join(pkg, 'lib', 'main.js'), `${kit}
const Count = defineMethod({ name: 'notes/count', description: 'How many notes', params: z.object({}), result: z.object({ count: z.number() }) });
export default definePlugin({ name: 'notes', version: '2.1.0', methods: [Count], activate(ctx) { ctx.handle(Count, () => ({ count: 3 })); } });\n`);
    writeFileSync(path.join(home.dir, 'config.json'), JSON.stringify({ plugins: ['switchboard-plugin-notes', 'switchboard-plugin-absent'] }));
    t = await createTestHost({ home: home.dir });
    const plugins = t.app.host.plugins();
    expect(plugins.find((p) => p.name === 'notes')).to.include({ state: 'active', source: 'npm package "switchboard-plugin-notes"', version: '2.1.0' });
    expect(await t.connect().client.sendRequest('notes/count', {})).to.deep.equal({ count: 3 });
    const absent = plugins.find((p) => p.name === 'custom:switchboard-plugin-absent')!;
    expect(absent).to.include({ state: 'failed', code: 'SB_ERR_LOAD_FAILED' });
    expect(absent.error).to.contain('npm package "switchboard-plugin-absent" is not installed');
  });
});
