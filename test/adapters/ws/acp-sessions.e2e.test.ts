import { expect } from 'chai';
import { client } from '@agentclientprotocol/sdk';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { acpErrors } from '../../support/acp-schema.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { openSse } from '../../support/sse-client.js';

/** ACP over /ws with real sessions: the official SDK client runs a prompt that asks for a permission. */
describe('switchboard serve (e2e): ACP over WebSocket with real sessions', function () {
  let s: Served;
  let fake: FakeProvider;
  let workspace: string;
  const wsUrl = () => s.url.replace('http:', 'ws:') + '/ws';

  before(async () => {
    fake = await startFakeOpenAI();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-ws-acp-'));
    s = await spawnServe(['--ws-max-buffered-bytes', '262144']);
    const res = await s.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
    });
    expect(res.status).to.equal(201);
  });
  after(async () => {
    if (s) await s.stop();
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('runs a prompt whose tool call asks session/request_permission; the answer lets the tool run', async () => {
    const updates: { sessionUpdate: string; [k: string]: unknown }[] = [];
    const asked: any[] = [];
    const app = client({ name: 'ws-acp-test' })
      .onNotification('session/update', (ctx) => void updates.push(ctx.params.update as never))
      .onRequest('session/request_permission', (ctx) => {
        asked.push(ctx.params);
        const allow = ctx.params.options.find((o) => o.kind === 'allow_once')!;
        return { outcome: { outcome: 'selected', optionId: allow.optionId } };
      });
    const stream = createWebSocketStream(wsUrl(), { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${s.token}` } });
    const { stopReason, sessionId } = await app.connectWith(stream, async (agent) => {
      await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      const session = await agent.request('session/new', { cwd: workspace, mcpServers: [] });
      fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'hello.txt', content: 'hi from ws' } }] }, { type: 'text', chunks: ['Wrote ', 'it.'] });
      const r = await agent.request('session/prompt', { sessionId: session.sessionId, prompt: [{ type: 'text', text: 'write hello.txt' }] });
      return { stopReason: r.stopReason, sessionId: session.sessionId };
    });
    expect(stopReason).to.equal('end_turn');
    expect(asked).to.have.length(1);
    expect(asked[0].sessionId).to.equal(sessionId);
    expect(acpErrors('RequestPermissionRequest', asked[0])).to.deep.equal([]);
    expect(readFileSync(path.join(workspace, 'hello.txt'), 'utf8')).to.equal('hi from ws');
    const kinds = updates.map((u) => u.sessionUpdate);
    expect(kinds).to.include.members(['tool_call', 'tool_call_update', 'agent_message_chunk']);
    expect(updates.filter((u) => u.sessionUpdate === 'agent_message_chunk').map((u: any) => u.content.text).join('')).to.equal('Wrote it.');
  });

  it('several clients on one session each see its events (a WebSocket client and an SSE tail)', async () => {
    const created = await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace }) });
    const { sessionId } = (await created.json()) as { sessionId: string };
    const tail = await openSse(`${s.url}/sessions/${sessionId}/events`, { headers: { authorization: `Bearer ${s.token}` } });
    await tail.until(() => tail.comments.includes('live'));
    const updates: string[] = [];
    const app = client().onNotification('session/update', (ctx) => {
      const u = ctx.params.update as { sessionUpdate: string; content?: { text?: string } };
      if (u.sessionUpdate === 'agent_message_chunk') updates.push(u.content?.text ?? '');
    });
    const stream = createWebSocketStream(wsUrl(), { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${s.token}` } });
    fake.enqueue({ type: 'text', chunks: ['one ', 'two'] });
    await app.connectWith(stream, async (agent) => {
      await agent.request('initialize', { protocolVersion: 1 });
      await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'count' }] });
    });
    await tail.until((ev) => ev.some((e) => e.event === 'turn_ended'));
    tail.close();
    expect(updates.join('')).to.equal('one two');
    expect(tail.events.filter((e) => e.event === 'agent_message_chunk').map((e) => e.data.update.content.text).join('')).to.equal('one two');
  });

  it('a WebSocket client dropped for not reading (4008) resumes by seq with session/events, losing nothing', async () => {
    const ws = new WebSocket(wsUrl(), { headers: { authorization: `Bearer ${s.token}` } });
    await new Promise((r) => ws.once('open', r));
    let nextId = 1;
    const pending = new Map<number, (m: any) => void>();
    let lastSeq = 0;
    let received = '';
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8'));
      if (m.id !== undefined && pending.has(m.id)) pending.get(m.id)!(m);
      if (m.method === 'session/update') {
        lastSeq = m.params._meta?.seq ?? lastSeq; // available_commands_update is per client, without a seq
        if (m.params.update.sessionUpdate === 'agent_message_chunk') received += m.params.update.content.text;
      }
    });
    const rpc = (method: string, params: object) =>
      new Promise<any>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    await rpc('initialize', { protocolVersion: 1 });
    const { result } = await rpc('session/new', { cwd: workspace, mcpServers: [] });
    const sessionId = result.sessionId as string;
    // A turn starts; this client sees its first chunks.
    fake.enqueue({ type: 'hang', chunks: ['first ', 'chunks'] });
    const turn = await openSse(`${s.url}/sessions/${sessionId}/message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ message: 'go' }),
    });
    while (received !== 'first chunks') await new Promise((r) => ws.once('message', r));
    const seenSeq = lastSeq;
    // Then it stops reading while asking for a lot: its queue overflows and it is dropped.
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.pause();
    const payload = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 1500; i++) ws.send(`{"jsonrpc":"2.0","id":"p${i}","method":"host/ping","params":{"data":"${payload}"}}`);
    let wsStats = { droppedSlow: 0, peakQueuedBytes: 0 };
    while (wsStats.droppedSlow === 0) {
      wsStats = ((await (await s.fetch('/status')).json()) as { http: { ws: typeof wsStats } }).http.ws;
    }
    // Bounded by the limit plus the one message that found the backlog over it.
    expect(wsStats.peakQueuedBytes).to.be.at.most(262144 + 33 * 1024);
    // The turn goes on without it and ends.
    await s.fetch(`/sessions/${sessionId}/cancel`, { method: 'POST' });
    await turn.ended;
    ws.resume();
    expect(await closed).to.equal(4008);
    // A new connection resumes from the last seq it saw: the rest, no gap, no repeat.
    const again = createWebSocketStream(wsUrl(), { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${s.token}` } });
    const rest = await client().connectWith(again, (agent) => agent.request<{ events: any[] }>('session/events', { sessionId, after: seenSeq }));
    expect(rest.events.length).to.be.greaterThan(0);
    rest.events.forEach((e, i) => expect(e.seq).to.equal(seenSeq + 1 + i));
    expect(rest.events.at(-1)).to.deep.include({ type: 'turn_ended', stopReason: 'cancelled' });
    const sseSeqs = turn.events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
    expect(rest.events.at(-1).seq).to.equal(sseSeqs.at(-1));
  });
});
