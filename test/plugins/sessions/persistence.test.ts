import { expect } from 'chai';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../../src/host/errors.js';
import type { Plugin } from '../../../src/host/plugin.js';
import { SessionEventBus, SessionServiceToken, type SessionEvent } from '../../../src/plugins/sessions/contract.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { tempHome } from '../../support/temp-home.js';

const fail = (p: Promise<unknown>) => p.then(() => null, (e: ResponseError<any>) => e);

const seen = { bus: [] as SessionEvent[], deleted: [] as string[], modes: [] as string[], opened: [] as string[] };
const observer: Plugin = {
  name: 'observer',
  dependsOn: ['sessions'],
  activate(ctx) {
    const sessions = ctx.container.resolve(SessionServiceToken);
    ctx.subscriptions.add(ctx.events.on(SessionEventBus, (e) => void seen.bus.push(e)));
    ctx.subscriptions.add(sessions.onDidDelete((id) => void seen.deleted.push(id)));
    ctx.subscriptions.add(sessions.onDidChangeMode((s) => void seen.modes.push(`${s.sessionId}:${s.mode}`)));
    ctx.subscriptions.add(sessions.onDidOpen((s) => void seen.opened.push(s.sessionId)));
  },
};

describe('sessions: persistence, replay, and the session methods', () => {
  const home = tempHome();
  let fake: FakeProvider;
  let t: TestHost;
  let client: MessageConnection;
  const env = () => ({ ...process.env, SWITCHBOARD_HOME: home.dir, SWITCHBOARD_REPLAY_EVENTS: '8' });
  const boot = async () => {
    t = await createTestHost({ home: home.dir, env: env(), plugins: [observer] });
    ({ client } = t.connect());
  };

  before(async () => {
    fake = await startFakeOpenAI();
    await boot();
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'm', baseUrl: fake.baseUrl });
  });
  after(async () => {
    await t.close();
    await fake.close();
    home.remove();
  });

  let sessionId: string;

  it('creates a session with its own workspace folder when no cwd is given', async () => {
    const s = await client.sendRequest<any>('session/new', { systemPrompt: 'You are terse.', mode: 'accept-edits' });
    sessionId = s.sessionId;
    expect(s.workspace).to.equal(path.join(home.dir, 'workspaces', sessionId));
    expect(statSync(s.workspace).isDirectory()).to.equal(true);
    expect(s.modes.currentModeId).to.equal('accept-edits');
    expect(s.modes.availableModes.map((m: any) => m.id)).to.deep.equal(['ask', 'accept-edits', 'read-only', 'bypass']);
    expect(seen.opened).to.include(sessionId);
  });

  it('refuses a relative or missing cwd, and an unknown profile', async () => {
    expect((await fail(client.sendRequest('session/new', { cwd: 'rel/dir', mcpServers: [] })))?.message).to.match(/absolute/);
    expect((await fail(client.sendRequest('session/new', { cwd: '/no/such/dir/x', mcpServers: [] })))?.message).to.match(/not an existing directory/);
    expect((await fail(client.sendRequest('session/new', { profile: 'nope' })))?.code).to.equal(ErrorCodes.NotFound);
  });

  it('sends the system prompt, and events carry seq on the bus', async () => {
    fake.enqueue({ type: 'text', chunks: ['one', ' two'] });
    await client.sendRequest('session/prompt', { sessionId, message: 'first' });
    expect(fake.requests.at(-1)!.body.messages[0]).to.deep.equal({ role: 'system', content: 'You are terse.' });
    const mine = seen.bus.filter((e) => e.sessionId === sessionId);
    expect(mine.map((e) => e.seq)).to.deep.equal(mine.map((_, i) => i + 1));
    expect(mine[0].type).to.equal('turn_started');
    expect(mine.at(-1)).to.deep.include({ type: 'turn_ended', stopReason: 'end_turn' });
  });

  it('session/events replays after a seq, and says Gone when the buffer no longer has it', async () => {
    // Deltas that arrive in one network read are merged into one chunk: 4 events for the first
    // turn, 5 for this one (a thought too), 9 in all, over the buffer of 8.
    fake.enqueue({ type: 'text', thinking: ['hmm'], chunks: ['a', 'b', 'c'] });
    await client.sendRequest('session/prompt', { sessionId, message: 'second' });
    const all = await client.sendRequest<any>('session/events', { sessionId });
    expect(all.events.length).to.be.at.most(8);
    expect(all.lastSeq).to.equal(all.events.at(-1).seq);
    const tail = await client.sendRequest<any>('session/events', { sessionId, after: all.lastSeq - 2 });
    expect(tail.events.map((e: any) => e.seq)).to.deep.equal([all.lastSeq - 1, all.lastSeq]);
    if (all.oldestSeq > 1) {
      const err = await fail(client.sendRequest('session/events', { sessionId, after: 0 }));
      expect(err?.code).to.equal(ErrorCodes.Gone);
      expect(err?.message).to.match(new RegExp(`too far behind.*oldest kept is seq ${all.oldestSeq}`));
      expect(err?.data.oldestSeq).to.equal(all.oldestSeq);
    } else expect.fail('the replay buffer of 8 should have evicted early events');
  });

  it('set_mode emits current_mode_update and tells onDidChangeMode; a bad mode is invalid params', async () => {
    await client.sendRequest('session/set_mode', { sessionId, modeId: 'read-only' });
    expect(seen.modes).to.include(`${sessionId}:read-only`);
    expect(seen.bus.find((e: any) => e.update?.sessionUpdate === 'current_mode_update')).to.deep.include({ type: 'update', update: { sessionUpdate: 'current_mode_update', currentModeId: 'read-only' } });
    expect((await fail(client.sendRequest('session/set_mode', { sessionId, modeId: 'yolo' })))?.code).to.equal(ErrorCodes.InvalidParams);
  });

  it('reloads sessions after a restart, skipping a torn last line', async () => {
    const before = await client.sendRequest<any>('session/history', { sessionId });
    const info = await client.sendRequest<any>('session/get', { sessionId });
    await t.close();
    appendFileSync(path.join(home.dir, 'sessions', `${sessionId}.jsonl`), '{"k":"msg","m":{"role":"user","cont');
    seen.opened.length = 0;
    await boot();
    // A restored session stays dormant (no MCP servers started for it) until it is used.
    expect(seen.opened, 'a restart alone does not open old sessions').not.to.include(sessionId);
    const after = await client.sendRequest<any>('session/history', { sessionId });
    expect(after).to.deep.equal(before);
    const again = await client.sendRequest<any>('session/get', { sessionId });
    expect(again).to.deep.include({ mode: 'read-only', lastSeq: info.lastSeq, messageCount: 4, systemPrompt: 'You are terse.' });
    // seq keeps counting from where it was
    fake.enqueue({ type: 'text', chunks: ['three'] });
    await client.sendRequest('session/prompt', { sessionId, message: 'third' });
    expect(seen.opened, 'its first prompt opens it, once').to.deep.equal([sessionId]);
    const ev = await client.sendRequest<any>('session/events', { sessionId, after: info.lastSeq });
    expect(ev.events[0].seq).to.equal(info.lastSeq + 1);
    expect(fake.requests.at(-1)!.body.messages.map((m: any) => m.role)).to.deep.equal(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('session/load replays the history as session/update notifications', async () => {
    const replayed: any[] = [];
    client.onNotification('session/update', (p: any) => void replayed.push(p));
    const res = await client.sendRequest<any>('session/load', { sessionId, cwd: home.dir, mcpServers: [] });
    expect(res.modes.currentModeId).to.equal('read-only');
    const kinds = replayed.map((p) => p.update.sessionUpdate);
    expect(kinds).to.deep.equal([
      'user_message_chunk', 'agent_message_chunk',
      'user_message_chunk', 'agent_thought_chunk', 'agent_message_chunk',
      'user_message_chunk', 'agent_message_chunk',
    ]);
    expect(replayed[0].update.content).to.deep.equal({ type: 'text', text: 'first' });
    expect(replayed[1].update.content.text).to.equal('one two');
    // Loading with other MCP servers announces the session again (the MCP plugin reconnects).
    seen.opened.length = 0;
    await client.sendRequest('session/load', { sessionId, cwd: home.dir, mcpServers: [] });
    expect(seen.opened).to.deep.equal([]);
    const servers = [{ name: 'fs', command: 'npx', args: ['x'], env: [] }];
    await client.sendRequest('session/load', { sessionId, cwd: home.dir, mcpServers: servers });
    expect(seen.opened).to.deep.equal([sessionId]);
    expect((await client.sendRequest<any>('session/get', { sessionId })).mcpServers).to.deep.equal(servers);
  });

  it('fork copies the history up to a message; clear keeps the system prompt', async () => {
    const fork = await client.sendRequest<any>('session/fork', { sessionId, upTo: 1 });
    expect(fork.forkedFrom).to.equal(sessionId);
    expect(fork.workspace).to.equal((await client.sendRequest<any>('session/get', { sessionId })).workspace);
    const fh = await client.sendRequest<any>('session/history', { sessionId: fork.sessionId });
    expect(fh.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant']);
    expect(fh.systemPrompt).to.equal('You are terse.');
    const cleared = await client.sendRequest<any>('session/clear', { sessionId: fork.sessionId });
    expect(cleared.cleared).to.equal(2);
    const after = await client.sendRequest<any>('session/history', { sessionId: fork.sessionId });
    expect(after).to.deep.include({ systemPrompt: 'You are terse.', messages: [] });
    await client.sendRequest('session/set_system_prompt', { sessionId: fork.sessionId, systemPrompt: 'Be loud.' });
    expect((await client.sendRequest<any>('session/get', { sessionId: fork.sessionId })).systemPrompt).to.equal('Be loud.');
    // the original is untouched
    expect((await client.sendRequest<any>('session/history', { sessionId })).messages).to.have.length(6);
  });

  it('list shows sessions most recent first and filters by cwd', async () => {
    const list = await client.sendRequest<any>('session/list', {});
    expect(list.sessions.length).to.be.at.least(2);
    const ws = (await client.sendRequest<any>('session/get', { sessionId })).workspace;
    const only = await client.sendRequest<any>('session/list', { cwd: ws });
    expect(only.sessions.every((s: any) => s.cwd === ws)).to.equal(true);
  });

  it('delete removes the session and its log, and tells onDidDelete', async () => {
    const own = await client.sendRequest<any>('session/new', {});
    const forked = await client.sendRequest<any>('session/fork', { sessionId: own.sessionId });
    await client.sendRequest('session/delete', { sessionId: own.sessionId });
    expect(existsSync(own.workspace), 'a fork still works in the folder').to.equal(true);
    await client.sendRequest('session/delete', { sessionId: forked.sessionId });
    expect(existsSync(own.workspace), 'the made folder goes with its last session').to.equal(false);
    const file = path.join(home.dir, 'sessions', `${sessionId}.jsonl`);
    expect(existsSync(file)).to.equal(true);
    expect(readFileSync(file, 'utf8')).to.contain('"k":"meta"');
    await client.sendRequest('session/delete', { sessionId });
    expect(existsSync(file)).to.equal(false);
    expect(seen.deleted).to.include(sessionId);
    expect((await fail(client.sendRequest('session/get', { sessionId })))?.code).to.equal(ErrorCodes.NotFound);
  });
});
