import { expect } from 'chai';
import { CancellationTokenSource, type MessageConnection } from 'vscode-jsonrpc/node';
import { z } from 'zod';
import type { Plugin } from '../../../src/host/plugin.js';
import { SessionServiceToken, type SessionService } from '../../../src/plugins/sessions/contract.js';
import {
  PermissionGateToken,
  ToolRegistryToken,
  type GateDecision,
  type ToolCallRequest,
  type ToolDefinition,
} from '../../../src/plugins/tools/contract.js';
import { startFakeAnthropic, type FakeProvider } from '../../support/fake-anthropic-server.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

const asked: ToolCallRequest[] = [];
let decide: (call: ToolCallRequest) => GateDecision = () => ({ outcome: 'allow' });
const ran: string[] = [];
let service: SessionService;

const tool: ToolDefinition<{ path: string }> = {
  name: 'write_note',
  description: 'writes a note',
  kind: 'edit',
  parameters: z.object({ path: z.string() }),
  subject: (a) => a.path,
  async execute(args, ctx) {
    ran.push(`${args.path}@${ctx.workspace}`);
    return { content: [{ type: 'content', content: { type: 'text', text: `wrote ${args.path}` } }], locations: [{ path: args.path }] };
  },
};

const gatePlugin: Plugin = {
  name: 'test-gate',
  dependsOn: ['tools', 'sessions'],
  activate(ctx) {
    service = ctx.container.resolve(SessionServiceToken);
    ctx.container.registerInstance(PermissionGateToken, {
      async check(call) {
        asked.push(call);
        return decide(call);
      },
    });
    return ctx.container.resolve(ToolRegistryToken).register(tool);
  },
};

describe('sessions: permission gate, Anthropic tool loop, attached clients', () => {
  let t: TestHost;
  let fake: FakeProvider;
  let a: MessageConnection;
  let b: MessageConnection;
  const seenA: any[] = [];
  const seenB: any[] = [];

  before(async () => {
    fake = await startFakeAnthropic({ apiKey: 'ant-key-SECRET-xyz987' });
    t = await createTestHost({ plugins: [gatePlugin] });
    a = t.connect().client;
    b = t.connect().client;
    a.onNotification('session/update', (p: any) => void seenA.push(p));
    b.onNotification('session/update', (p: any) => void seenB.push(p));
    await a.sendRequest('profiles/create', { name: 'claude', provider: 'anthropic', model: 'claude-x', baseUrl: fake.baseUrl, apiKey: 'ant-key-SECRET-xyz987' });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  it('asks the gate before running a tool, with the workspace and parsed args; allow runs it', async () => {
    fake.enqueue({ type: 'tools', thinking: ['plan'], text: ['Writing.'], calls: [{ id: 'toolu_1', name: 'write_note', args: { path: 'n.txt' } }] }, { type: 'text', chunks: ['Done.'] });
    const s = await a.sendRequest<any>('session/new', {});
    expect(await a.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'note it' })).to.deep.equal({ stopReason: 'end_turn' });
    expect(asked).to.have.length(1);
    expect(asked[0]).to.deep.include({ sessionId: s.sessionId, workspace: s.workspace, toolCallId: 'toolu_1', args: { path: 'n.txt' } });
    expect(asked[0].tool.name).to.equal('write_note');
    expect(asked[0].client).to.not.equal(undefined);
    expect(ran).to.deep.equal([`n.txt@${s.workspace}`]);
    const second = fake.requests.at(-1)!.body;
    expect(second.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(second.messages[1].content.map((c: any) => c.type)).to.deep.equal(['thinking', 'text', 'tool_use']);
    expect(second.messages[1].content[0].signature).to.equal('sig_fake');
    expect(second.messages[2].content[0]).to.deep.equal({ type: 'tool_result', tool_use_id: 'toolu_1', content: 'wrote n.txt' });
    const done = seenA.find((u) => u.update.toolCallId === 'toolu_1' && u.update.status === 'completed');
    expect(done.update.locations).to.deep.equal([{ path: 'n.txt' }]);
  });

  it('deny: the tool does not run and the reason goes back to the model', async () => {
    ran.length = 0;
    decide = () => ({ outcome: 'deny', reason: 'read-only mode' });
    fake.enqueue({ type: 'tools', calls: [{ id: 'toolu_2', name: 'write_note', args: { path: 'x' } }] }, { type: 'text', chunks: ['OK, I will not.'] });
    const s = await a.sendRequest<any>('session/new', {});
    await a.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'write' });
    expect(ran).to.deep.equal([]);
    const failed = seenA.find((u) => u.update.toolCallId === 'toolu_2' && u.update.status === 'failed');
    expect(failed.update.content[0].content.text).to.match(/denied.*read-only mode/);
    const result = fake.requests.at(-1)!.body.messages.at(-1).content[0];
    expect(result).to.deep.include({ type: 'tool_result', tool_use_id: 'toolu_2', is_error: true });
    decide = () => ({ outcome: 'allow' });
  });

  it('sends updates to every attached client, most recent first in clients(), and detaches closed ones', async () => {
    const s = await a.sendRequest<any>('session/new', {});
    await b.sendRequest('session/load', { sessionId: s.sessionId, cwd: s.workspace, mcpServers: [] });
    expect(service.clients(s.sessionId)).to.have.length(2);
    const before = seenB.length;
    fake.enqueue({ type: 'text', chunks: ['to both'] });
    await a.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'hi' });
    const got = (seen: any[]) => seen.filter((u) => u.sessionId === s.sessionId && u.update.sessionUpdate === 'agent_message_chunk').map((u) => u.update.content.text);
    expect(got(seenA)).to.deep.equal(['to both']);
    expect(got(seenB.slice(before))).to.deep.equal(['to both']);
    const [first] = service.clients(s.sessionId);
    const third = t.connect();
    await third.client.sendRequest('session/load', { sessionId: s.sessionId, cwd: s.workspace, mcpServers: [] });
    expect(service.clients(s.sessionId)[0]).to.equal(third.served.peer);
    expect(service.clients(s.sessionId)[1]).to.equal(first);
    await third.served.dispose();
    expect(service.clients(s.sessionId)).to.not.include(third.served.peer);
    expect(service.clients(s.sessionId)).to.have.length(2);
  });

  it('session/cancel works as a request, and $/cancelRequest of the prompt cancels the turn', async () => {
    const s = await a.sendRequest<any>('session/new', {});
    expect(await a.sendRequest('session/cancel', { sessionId: s.sessionId })).to.deep.equal({ cancelled: false });
    fake.enqueue({ type: 'hang', chunks: ['wait'] }, { type: 'hang', chunks: ['wait'] });
    const aborts = fake.aborts;
    const p1 = a.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'x' });
    await fake.waitForRequest(fake.requests.length + 1);
    expect(await a.sendRequest('session/cancel', { sessionId: s.sessionId })).to.deep.equal({ cancelled: true });
    expect(await p1).to.deep.equal({ stopReason: 'cancelled' });
    await fake.waitForAbort(aborts + 1);
    const source = new CancellationTokenSource();
    const p2 = a.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'y' }, source.token).then(
      (r) => r,
      (e) => e,
    );
    await fake.waitForRequest(fake.requests.length + 1);
    source.cancel();
    await fake.waitForAbort(aborts + 2);
    await p2;
    const get = await a.sendRequest<any>('session/get', { sessionId: s.sessionId });
    expect(get.turnActive).to.equal(false);
  });
});
