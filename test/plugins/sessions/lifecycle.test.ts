import { expect } from 'chai';
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes, RpcError } from '../../../src/host/errors.js';
import { capUpdateContent } from '../../../src/plugins/sessions/tool-call.js';
import { slashCommandOf, titleOf } from '../../../src/plugins/sessions/commands.js';
import { partitionAcpServers } from '../../../src/plugins/mcp/acp-servers.js';
import { confine } from '../../../src/plugins/tools/confine.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

const fail = (p: Promise<unknown>) => p.then(() => undefined, (e: ResponseError<any>) => e);

describe('sessions: the ACP lifecycle pieces', () => {
  let fake: FakeProvider;
  let t: TestHost;
  let client: MessageConnection;
  let dir: string;
  let extra: string;

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-unit' });
    t = await createTestHost({ env: { ...process.env, SWITCHBOARD_SESSION_PAGE_SIZE: '2' } });
    ({ client } = t.connect());
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-unit' });
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-lc-')));
    extra = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-lc-extra-')));
  });
  after(async () => {
    await t.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(extra, { recursive: true, force: true });
  });

  it('caps tool output in updates with an explicit note, leaving short output and other content alone', () => {
    const long = 'x'.repeat(40_000);
    const [capped, diff] = capUpdateContent([{ type: 'content', content: { type: 'text', text: long } }, { type: 'diff', path: '/a', newText: long }], 32 * 1024);
    const text = (capped as any).content.text as string;
    expect(text.startsWith('x'.repeat(32 * 1024))).to.equal(true);
    expect(text).to.match(/output truncated in this update: 7232 of 40000 characters not shown; the full output is in the session history/);
    expect(diff).to.deep.equal({ type: 'diff', path: '/a', newText: long });
    expect(capUpdateContent([{ type: 'content', content: { type: 'text', text: 'short' } }])).to.deep.equal([{ type: 'content', content: { type: 'text', text: 'short' } }]);
  });

  it('fences file tools to [cwd, ...additionalDirectories], symlinks included', async () => {
    writeFileSync(path.join(extra, 'notes.md'), 'n');
    const outside = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-lc-out-')));
    try {
      symlinkSync(outside, path.join(extra, 'escape'));
      expect((await confine(dir, path.join(extra, 'notes.md'), [extra])).abs).to.equal(path.join(extra, 'notes.md'));
      const refused = await confine(dir, path.join(extra, 'notes.md')).catch((e) => e);
      expect(refused).to.be.instanceOf(RpcError);
      expect(refused.code).to.equal(ErrorCodes.Forbidden);
      const viaLink = await confine(dir, path.join(extra, 'escape', 'x'), [extra]).catch((e) => e);
      expect(viaLink).to.be.instanceOf(RpcError);
      expect(viaLink.message).to.match(/symlink/);
      expect((await confine(dir, path.join(outside, 'x'), [extra]).catch((e) => e)).code).to.equal(ErrorCodes.Forbidden);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('keeps additionalDirectories as real paths, refuses relative or missing ones, and reports them in list', async () => {
    const s = await client.sendRequest<any>('session/new', { cwd: dir, additionalDirectories: [extra, extra, dir], mcpServers: [] });
    expect(s.additionalDirectories).to.deep.equal([extra]);
    expect((await fail(client.sendRequest('session/new', { cwd: dir, additionalDirectories: ['rel'] })))?.message).to.match(/additionalDirectories entry must be an absolute path/);
    expect((await fail(client.sendRequest('session/new', { cwd: dir, additionalDirectories: ['/no/such/dir'] })))?.code).to.equal(ErrorCodes.InvalidParams);
    // resume: a different cwd is refused; given roots replace the old ones (none given: none).
    expect((await fail(client.sendRequest('session/resume', { sessionId: s.sessionId, cwd: extra })))?.code).to.equal(ErrorCodes.InvalidParams);
    await client.sendRequest('session/resume', { sessionId: s.sessionId, cwd: dir });
    expect((await client.sendRequest<any>('session/get', { sessionId: s.sessionId })).additionalDirectories).to.deep.equal([]);
  });

  it('pages session/list with a cursor; a forged cursor is invalid params', async () => {
    for (let i = 0; i < 3; i++) await client.sendRequest('session/new', { cwd: dir, mcpServers: [] });
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.sendRequest<any>('session/list', cursor ? { cursor } : {});
      expect(page.sessions.length).to.be.at.most(2);
      ids.push(...page.sessions.map((s: any) => s.sessionId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).to.be.greaterThan(1);
    expect(new Set(ids).size).to.equal(ids.length);
    const total = (await client.sendRequest<any>('session/list', {})).sessions.length;
    expect(total).to.equal(2);
    expect((await fail(client.sendRequest('session/list', { cursor: 'bm90LWEtY3Vyc29y' })))?.code).to.equal(ErrorCodes.InvalidParams);
  });

  it('close frees the history, which comes back from the log on the next use', async () => {
    const s = await client.sendRequest<any>('session/new', { cwd: dir, mcpServers: [] });
    fake.enqueue({ type: 'text', chunks: ['one'] });
    await client.sendRequest('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'first' }] });
    await client.sendRequest('session/close', { sessionId: s.sessionId });
    expect((await client.sendRequest<any>('session/list', { cwd: dir })).sessions.length).to.be.greaterThan(0);
    const history = await client.sendRequest<any>('session/history', { sessionId: s.sessionId });
    expect(history.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant']);
    expect((await fail(client.sendRequest('session/close', { sessionId: 'sess_nope' })))?.code).to.equal(ErrorCodes.NotFound);
  });

  it('thought_level reaches the provider as reasoning_effort; model switches the profile', async () => {
    await client.sendRequest('profiles/create', { name: 'other', provider: 'openai-compatible', model: 'other-model', baseUrl: fake.baseUrl, apiKey: 'sk-unit' });
    const s = await client.sendRequest<any>('session/new', { cwd: dir, profile: 'fake', mcpServers: [] });
    const level = s.configOptions.find((o: any) => o.id === 'thought_level');
    expect(level.currentValue).to.equal('default');
    expect(level.options.map((o: any) => o.value)).to.deep.equal(['default', 'low', 'medium', 'high']);
    const res = await client.sendRequest<any>('session/set_config_option', { sessionId: s.sessionId, configId: 'thought_level', value: 'high' });
    expect(res.configOptions.find((o: any) => o.id === 'thought_level').currentValue).to.equal('high');
    fake.enqueue({ type: 'text', chunks: ['ok'] });
    await client.sendRequest('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'think hard' }] });
    expect(fake.requests.at(-1)!.body.reasoning_effort).to.equal('high');
    await client.sendRequest('session/set_config_option', { sessionId: s.sessionId, configId: 'model', value: 'other' });
    fake.enqueue({ type: 'text', chunks: ['ok'] });
    await client.sendRequest('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'again' }] });
    expect(fake.requests.at(-1)!.body.model).to.equal('other-model');
    expect((await fail(client.sendRequest('session/set_config_option', { sessionId: s.sessionId, configId: 'model', value: 'ghost' })))?.message).to.match(/not a value of model/);
    expect((await fail(client.sendRequest('session/set_config_option', { sessionId: s.sessionId, configId: 'colour', value: 'red' })))?.message).to.match(/unknown config option/);
  });

  it("model also offers the models the profile's provider lists, and a chosen one reaches the provider", async () => {
    const lister = await startFakeOpenAI({ apiKey: 'sk-unit', models: ['fake-model', 'big-model', 'org/tiny:latest'] });
    try {
      await client.sendRequest('profiles/create', { name: 'lists', provider: 'openai-compatible', model: 'fake-model', baseUrl: lister.baseUrl, apiKey: 'sk-unit' });
      const updates: any[] = [];
      client.onNotification('session/update', (p: any) => void updates.push(p));
      const s = await client.sendRequest<any>('session/new', { cwd: dir, profile: 'lists', mcpServers: [] });
      // The list arrives in the background, then the session's clients hear of it.
      for (let i = 0; i < 2000 && !updates.some((u) => u.sessionId === s.sessionId && u.update.sessionUpdate === 'config_option_update'); i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const update = updates.find((u) => u.sessionId === s.sessionId && u.update.sessionUpdate === 'config_option_update');
      const model = update.update.configOptions.find((o: any) => o.id === 'model');
      expect(model.currentValue).to.equal('lists');
      expect(model.options.map((o: any) => o.value)).to.include.members(['lists', 'lists/big-model', 'lists/org/tiny:latest']);
      expect(model.options.map((o: any) => o.value)).not.to.include('lists/fake-model');
      await client.sendRequest('session/set_config_option', { sessionId: s.sessionId, configId: 'model', value: 'lists/org/tiny:latest' });
      lister.enqueue({ type: 'text', chunks: ['ok'] });
      await client.sendRequest('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'hi' }] });
      expect(lister.requests.at(-1)!.body.model).to.equal('org/tiny:latest');
      const view = await client.sendRequest<any>('session/set_config_option', { sessionId: s.sessionId, configId: 'model', value: 'lists' });
      expect(view.configOptions.find((o: any) => o.id === 'model').currentValue).to.equal('lists');
      lister.enqueue({ type: 'text', chunks: ['ok'] });
      await client.sendRequest('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text: 'hi' }] });
      expect(lister.requests.at(-1)!.body.model).to.equal('fake-model');
    } finally {
      await lister.close();
    }
  });

  it('slash commands, titles and unsupported MCP server types', () => {
    expect(slashCommandOf([{ type: 'text', text: '/mode read-only' }])).to.deep.equal({ name: 'mode', input: 'read-only' });
    expect(slashCommandOf([{ type: 'text', text: '/unknown' }])).to.equal(undefined);
    expect(slashCommandOf([{ type: 'text', text: 'please /clear' }])).to.equal(undefined);
    expect(titleOf([{ type: 'text', text: '  Fix   the\tbuild\nthen test' }])).to.equal('Fix the build');
    expect(titleOf([{ type: 'text', text: 'y'.repeat(200) }])!.endsWith('…')).to.equal(true);
    const { kept, skipped } = partitionAcpServers([{ name: 'a', command: 'x' }, { type: 'http', name: 'b', url: 'u' }, { type: 'carrier-pigeon', name: 'c' }]);
    expect(kept).to.have.length(2);
    expect(skipped).to.deep.equal([{ name: 'c', type: 'carrier-pigeon', reason: 'MCP server type "carrier-pigeon" is not supported (supported: stdio, http, sse); the server was skipped' }]);
  });
});


