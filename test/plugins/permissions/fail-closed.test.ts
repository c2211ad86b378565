import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { container as root } from 'tsyringe';
import { runToolCall } from '../../../src/plugins/sessions/tool-call.js';
import { PermissionGateToken, ToolRegistryToken, type PermissionGate, type ToolRegistry } from '../../../src/plugins/tools/contract.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { tempWorkspace, textOf, toolContext } from '../tools/tool-harness.js';
import { FakeSessions } from './fake-sessions.js';

describe('permissions: rules see real paths, and the gate fails closed', () => {
  let t: TestHost;
  let fake: FakeSessions;
  let gate: PermissionGate;
  let tools: ToolRegistry;
  let ws: ReturnType<typeof tempWorkspace>;
  let n = 0;

  beforeEach(async () => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.ws, '.env'), 'API_KEY=hunter2\n');
    writeFileSync(path.join(ws.ws, 'readme.txt'), 'hunter2 is not here\n');
    mkdirSync(path.join(ws.ws, 'secrets'));
    writeFileSync(path.join(ws.ws, 'secrets', 'k.txt'), 'hunter2\n');
    symlinkSync('.env', path.join(ws.ws, 'config.txt'));
    symlinkSync('secrets', path.join(ws.ws, 'docs'));
    fake = new FakeSessions();
    t = await createTestHost({ plugins: [fake.plugin()] });
    gate = fake.container.resolve(PermissionGateToken);
    tools = fake.container.resolve(ToolRegistryToken);
    fake.add('s1', ws.ws, 'bypass');
  });
  afterEach(async () => {
    await t.close();
    ws.remove();
  });

  const request = (tool: string, args: unknown) => ({ sessionId: 's1', workspace: ws.ws, toolCallId: `c${++n}`, tool: tools.get(tool)!, args, signal: new AbortController().signal });
  const check = (tool: string, args: unknown) => gate.check(request(tool, args));
  const rules = (list: { pattern: string; action: string }[]) => t.connect().client.sendRequest('permissions/set_rules', { sessionId: 's1', rules: list });

  it('a deny rule holds through an in-workspace symlink (file and folder)', async () => {
    await rules([
      { pattern: 'read_file:.env', action: 'deny' },
      { pattern: 'write_file:secrets/**', action: 'deny' },
    ]);
    expect((await check('read_file', { path: 'config.txt' })).outcome).to.equal('deny');
    expect((await check('write_file', { path: 'docs/k.txt', content: 'x' })).outcome).to.equal('deny');
    expect((await check('read_file', { path: 'readme.txt' })).outcome).to.equal('allow');
  });

  it('an allow rule is not borrowed through a symlink into a folder it does not cover', async () => {
    fake.add('s1', ws.ws, 'ask');
    await rules([{ pattern: 'write_file:docs/**', action: 'allow' }]);
    // docs → secrets: the lexical path matches, the real one does not, so it asks (nobody answers: cancelled).
    const ac = new AbortController();
    const pending = gate.check({ ...request('write_file', { path: 'docs/k.txt', content: 'x' }), signal: ac.signal });
    await fake.waitFor((e) => e.type === 'permission' && (e as any).state === 'pending');
    ac.abort();
    expect((await pending).outcome).to.equal('cancelled');
  });

  it('a read_file deny rule covers search_files of that file, and its lines in a wider search', async () => {
    await rules([{ pattern: 'read_file:.env', action: 'deny' }, { pattern: 'read_file:secrets/**', action: 'deny' }]);
    expect((await check('search_files', { pattern: 'hunter2', path: '.env' })).outcome).to.equal('deny');
    expect((await check('search_files', { pattern: 'hunter2', path: 'config.txt' })).outcome).to.equal('deny');
    const req = request('search_files', { pattern: 'hunter2' });
    expect((await gate.check(req)).outcome).to.equal('allow');
    const search = tools.get('search_files')!;
    const ctx = { ...toolContext(ws.ws), mayRead: gate.readFilter!(req) };
    expect(textOf(await search.execute(search.parameters.parse({ pattern: 'hunter2' }), ctx))).to.equal('readme.txt:1: hunter2 is not here');
  });

  it('a permissions.json with a syntax error refuses every call, says so in host/status, and is reloaded when fixed', async () => {
    const file = path.join(t.home, 'permissions.json');
    writeFileSync(file, '{"rules": [{"pattern": "shell", "action": "deny"},]}');
    const refused = await check('read_file', { path: 'readme.txt' });
    expect(refused.outcome).to.equal('deny');
    expect((refused as any).reason).to.contain('permissions.json is invalid');
    expect((await check('shell', { command: 'echo hi' })).outcome).to.equal('deny');
    const status: any = await t.connect().client.sendRequest('host/status');
    expect(status.permissions.config).to.include({ state: 'invalid' });
    expect(status.permissions.config.error).to.contain('permissions.json');
    writeFileSync(file, JSON.stringify({ rules: [{ pattern: 'shell', action: 'deny' }] }));
    expect((await check('read_file', { path: 'readme.txt' })).outcome).to.equal('allow');
    const denied = await check('shell', { command: 'echo hi' });
    expect((denied as any).reason).to.contain('deny shell');
    expect(((await t.connect().client.sendRequest('host/status')) as any).permissions.config).to.include({ state: 'ok', rules: 1 });
  });

  it('the tool-call pipeline refuses every call when no permission gate is registered', async () => {
    const published: any[] = [];
    const container = root.createChildContainer();
    const deps = { manager: { publish: (_id: string, e: unknown) => void published.push(e) } as never, tools, container, logger: pino({ level: 'silent' }) };
    const session = { id: 's1', meta: { workspace: ws.ws } } as never;
    const out = await runToolCall(deps, session, { id: 'c1', name: 'read_file', arguments: JSON.stringify({ path: 'readme.txt' }) } as never, new AbortController().signal, undefined);
    expect(out.isError).to.equal(true);
    expect(out.text).to.contain('no permission gate is running');
    expect(published.some((e) => e.update?.status === 'in_progress')).to.equal(false);
  });

  it('a shell approval carries the whole command, control characters escaped (ACP toolCall and permissions/get)', async () => {
    fake.add('s1', ws.ws, 'ask');
    const command = `npm test${' '.repeat(75)}; echo pwned\r> pwned.txt`;
    const ac = new AbortController();
    const pending = gate.check({ ...request('shell', { command }), signal: ac.signal });
    await fake.waitFor((e) => e.type === 'permission' && (e as any).state === 'pending');
    const view: any = await t.connect().client.sendRequest('permissions/get', { sessionId: 's1' });
    const toolCall = view.pending[0].toolCall;
    expect(toolCall.title).to.equal('npm test ; echo pwned > pwned.txt');
    expect(toolCall.content).to.deep.equal([{ type: 'content', content: { type: 'text', text: `npm test${' '.repeat(75)}; echo pwned\\r> pwned.txt` } }]);
    expect(toolCall.rawInput).to.deep.equal({ command, cwd: ws.ws });
    ac.abort();
    expect((await pending).outcome).to.equal('cancelled');
  });
});
