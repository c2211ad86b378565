import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { z } from 'zod';
import type { Plugin } from '../../../src/host/plugin.js';
import { SessionServiceToken, type SessionService } from '../../../src/plugins/sessions/contract.js';
import { ToolRegistryToken } from '../../../src/plugins/tools/contract.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

let service: SessionService;
const plugin: Plugin = {
  name: 'svc-user',
  dependsOn: ['sessions', 'tools'],
  activate(ctx) {
    service = ctx.container.resolve(SessionServiceToken);
    return ctx.container.resolve(ToolRegistryToken).register({
      name: 'noop',
      description: 'does nothing',
      kind: 'think',
      parameters: z.object({}),
      execute: async () => ({ content: [{ type: 'content', content: { type: 'text', text: 'nothing' } }] }),
    });
  },
};

describe('sessions: SessionService for other plugins, and the step limit', () => {
  let t: TestHost;
  let fake: FakeProvider;
  let client: MessageConnection;

  before(async () => {
    fake = await startFakeOpenAI();
    t = await createTestHost({ plugins: [plugin], env: { ...process.env, SWITCHBOARD_MAX_TURN_REQUESTS: '2' } });
    client = t.connect().client;
    await client.sendRequest('profiles/create', { name: 'f', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  it('publish gives the next seq, keeps the event for replay and in the log, and sends updates to clients', async () => {
    const updates: any[] = [];
    client.onNotification('session/update', (p: any) => void updates.push(p));
    const s = await client.sendRequest<any>('session/new', {});
    expect(service.get(s.sessionId)).to.deep.include({ sessionId: s.sessionId, workspace: s.workspace, profile: 'f', mode: 'ask', mcpServers: [] });
    expect(service.list().map((i) => i.sessionId)).to.include(s.sessionId);
    const perm = service.publish(s.sessionId, { type: 'permission', requestId: 'r1', toolCallId: 'c1', state: 'pending', options: [{ optionId: 'allow_once', name: 'Allow', kind: 'allow_once' }] });
    expect(perm.seq).to.equal(1);
    const upd = service.publish(s.sessionId, { type: 'update', update: { sessionUpdate: 'plan', entries: [] } });
    expect(upd.seq).to.equal(2);
    const replay = await client.sendRequest<any>('session/events', { sessionId: s.sessionId, after: 0 });
    expect(replay.events.map((e: any) => e.type)).to.deep.equal(['permission', 'update']);
    const log = readFileSync(path.join(t.home, 'sessions', `${s.sessionId}.jsonl`), 'utf8');
    expect(log).to.contain('"requestId":"r1"');
    await client.sendRequest('host/ping', {}); // notifications before this answer have arrived
    // available_commands_update (per client, no seq) follows session/new; the published events carry their seq.
    expect(updates.filter((u) => u._meta?.seq !== undefined).map((u) => [u.update.sessionUpdate, u._meta.seq])).to.deep.equal([['plan', 2]]);
    // Per client, without a seq: the commands, and the provider's model list when it arrives.
    const perClient = updates.filter((u) => u._meta?.seq === undefined).map((u) => u.update.sessionUpdate);
    expect(perClient).to.include('available_commands_update');
    expect(perClient.every((k) => k === 'available_commands_update' || k === 'config_option_update')).to.equal(true);
  });

  it('stops with max_turn_requests when the model keeps calling tools', async () => {
    fake.enqueue(
      { type: 'tools', calls: [{ name: 'noop', args: {} }] },
      { type: 'tools', calls: [{ name: 'noop', args: {} }] },
      { type: 'tools', calls: [{ name: 'noop', args: {} }] },
    );
    const before = fake.requests.length;
    const s = await client.sendRequest<any>('session/new', {});
    expect(await client.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'loop' })).to.deep.equal({ stopReason: 'max_turn_requests' });
    expect(fake.requests.length - before).to.equal(2);
  });

  it('idle sessions hold no file descriptors (the log is opened per write outside turns)', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 30; i++) await client.sendRequest('session/new', { systemPrompt: `s${i}` });
    fake.enqueue({ type: 'text', chunks: ['ok'] });
    const s = await client.sendRequest<any>('session/new', {});
    await client.sendRequest('session/prompt', { sessionId: s.sessionId, message: 'x' });
    expect(fds() - before).to.be.below(5);
  });

  it('adds a sessions section to host/status', async () => {
    const status = await client.sendRequest<any>('host/status');
    expect(status.sessions.count).to.be.at.least(2);
    expect(status.sessions.activeTurns).to.equal(0);
    expect(status.providers.kinds).to.include('anthropic');
  });
});
