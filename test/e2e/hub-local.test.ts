import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { SocketMessageReader, SocketMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { WebSocket } from 'ws';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { connectWsRpc, startStdioAgent, writeFakeProfile, type StdioAgent } from '../support/hub-clients.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { openSse } from '../support/sse-client.js';

/**
 * The local hub with real processes sharing one home: a `serve` daemon and `stdio` agents (as
 * editors run them), a scripted fake provider. The daemon's clients see, follow and steer the
 * stdio agent's turns; crashes and clean exits are reported and leave no files behind.
 */
describe('e2e: the local hub (serve + stdio agents sharing a home)', function () {
  this.timeout(60_000);
  let fake: FakeProvider;
  let served: Served;
  let ws: Awaited<ReturnType<typeof connectWsRpc>>;
  let agents: StdioAgent[] = [];
  let workspace: string;

  before(async () => {
    fake = await startFakeOpenAI();
    // A small hub replay buffer, so that a stale resume point is really evicted.
    served = await spawnServe([], { SWITCHBOARD_HUB_REPLAY_EVENTS: '5' }, (home) => writeFakeProfile(home, fake.baseUrl));
    // Outside the daemon home, which no tool may reach.
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-hub-ws-')));
    ws = await connectWsRpc(served.url, served.token);
    const sub: any = await ws.rpc.sendRequest('hub/subscribe', {});
    expect(sub.subscriptionId).to.be.a('string');
  });
  after(async () => {
    ws?.close();
    for (const a of agents) await a.cli.kill('SIGKILL');
    await served?.stop();
    await fake?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  const hubDir = () => path.join(served.home, 'hub');
  const files = (sub: string) => readdirSync(path.join(hubDir(), sub)).filter((f) => !f.endsWith('.tmp'));

  async function joinStdio(env: Record<string, string> = {}): Promise<{ agent: StdioAgent; agentId: string }> {
    const agent = await startStdioAgent(served.home, env);
    agents.push(agent);
    const pid = agent.cli.child.pid;
    const joined = await ws.events.until((e) => e.type === 'agent_joined' && e.agent.pid === pid, `agent_joined of pid ${pid}`);
    return { agent, agentId: joined.agentId };
  }

  it('lists a stdio agent, follows its turn, approves its tool call through the hub, cancels another turn', async () => {
    const { agent, agentId } = await joinStdio();
    expect(agentId).to.match(/^stdio-/);
    const { sessionId } = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
    await ws.events.until((e) => e.type === 'session_created' && e.sessionId === sessionId, 'session_created');

    const listed: any = await (await served.fetch('/hub/agents')).json();
    const me = listed.agents.find((a: any) => a.agentId === agentId);
    expect(me).to.deep.include({ kind: 'stdio', pid: agent.cli.child.pid, self: false });
    expect(me.sessions.map((s: any) => [s.sessionId, s.state])).to.deep.equal([[sessionId, 'idle']]);
    expect(listed.agents.find((a: any) => a.self).kind).to.equal('serve');

    // Follow over the daemon's /ws (JSON-RPC), over SSE, and watch the feed on /ws/hub/feed;
    // then run a turn that asks before running a shell command.
    const followed: any = await ws.rpc.sendRequest('hub/follow', { agentId, sessionId });
    expect(followed.events).to.deep.equal([]);
    const auth = { authorization: `Bearer ${served.token}` };
    const sse = await openSse(`${served.url}/hub/agents/${agentId}/sessions/${sessionId}/events`, { headers: auth });
    expect(sse.status).to.equal(200);
    const feedFrames: any[] = [];
    const feedWs = new WebSocket(served.url.replace('http', 'ws') + '/ws/hub/feed', { headers: auth });
    feedWs.on('message', (d) => feedFrames.push(JSON.parse(d.toString())));
    await new Promise((r) => feedWs.once('open', r));
    fake.enqueue({ type: 'tools', calls: [{ id: 'sh1', name: 'shell', args: { command: 'echo approved > out.txt' } }] }, { type: 'text', chunks: ['all ', 'done'] });
    const turn = agent.rpc.sendRequest<{ stopReason: string }>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'go' }] });
    const asked = await ws.events.until((e) => e.type === 'permission_asked' && e.sessionId === sessionId, 'permission_asked');
    expect(asked.agentId).to.equal(agentId);
    expect(asked.title).to.contain('echo approved');
    const waiting: any = await (await served.fetch('/hub/agents')).json();
    expect(waiting.agents.find((a: any) => a.agentId === agentId).sessions[0]).to.deep.include({ state: 'waiting' });
    await agent.asked.until(() => true, 'the editor was asked too');

    // Approve through the hub; the editor's own prompt is withdrawn (first answer wins).
    const pending: any = await ws.rpc.sendRequest('hub/call', { agentId, method: 'permissions/get', params: { sessionId } });
    expect(pending.pending).to.have.length(1);
    const answer: any = await ws.rpc.sendRequest('hub/call', {
      agentId,
      method: 'permissions/respond',
      params: { sessionId, requestId: pending.pending[0].requestId, optionId: 'allow_once' },
    });
    expect(answer.optionId).to.equal('allow_once');
    expect(await turn).to.deep.equal({ stopReason: 'end_turn' });
    expect(readFileSync(path.join(workspace, 'out.txt'), 'utf8')).to.equal('approved\n');
    await agent.cancelled.until(() => true, 'the editor prompt withdrawn');
    const answered = await ws.events.until((e) => e.type === 'permission_answered' && e.sessionId === sessionId, 'permission_answered');
    expect(answered).to.deep.include({ outcome: 'selected', optionId: 'allow_once' });
    const ended = await ws.events.until((e) => e.type === 'turn_ended' && e.sessionId === sessionId, 'turn_ended');
    expect(ended.stopReason).to.equal('end_turn');

    // The follower saw the whole turn, in seq order, text chunks included.
    const ups = await ws.updates.until((u) => u.event.type === 'turn_ended', 'followed turn_ended');
    expect(ups.agentId).to.equal(agentId);
    const seqs = ws.updates.items.map((u) => u.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
    const text = ws.updates.items.filter((u) => u.event.update?.sessionUpdate === 'agent_message_chunk').map((u) => u.event.update.content.text).join('');
    expect(text).to.equal('all done');
    expect(ws.updates.items.map((u) => u.event.type)).to.include.members(['turn_started', 'permission', 'turn_ended']);

    // The same turn over SSE: every event, `id:` the session's seq, `event:` as on /sessions/{id}/events.
    const sseEvents = await sse.until((evs) => evs.some((e) => e.event === 'turn_ended'));
    sse.close();
    expect(sseEvents.map((e) => Number(e.id))).to.deep.equal(seqs);
    expect(sseEvents.map((e) => e.event)).to.include.members(['turn_started', 'permission', 'agent_message_chunk', 'turn_ended']);
    expect(sseEvents[0].data).to.deep.include({ agentId, sessionId });
    // The feed over WebSocket: one hub event per text frame, in hub seq order.
    await ws.events.until(() => feedFrames.some((f) => f.type === 'turn_ended' && f.sessionId === sessionId), 'turn_ended on /ws/hub/feed');
    expect(feedFrames.map((f) => f.type)).to.include.members(['turn_started', 'permission_asked', 'permission_answered', 'turn_ended']);
    const feedSeqs = feedFrames.map((f) => f.seq);
    expect(feedSeqs).to.deep.equal([...feedSeqs].sort((a, b) => a - b));
    feedWs.close();
    // The feed over SSE resumes from Last-Event-ID with exactly what came after it.
    const resumeFrom = feedSeqs[0];
    const feedSse = await openSse(`${served.url}/hub/feed`, { headers: { ...auth, 'last-event-id': String(resumeFrom) } });
    const replayed = await feedSse.until((evs) => evs.some((e) => e.event === 'turn_ended'));
    feedSse.close();
    expect(replayed[0].id).to.equal(String(resumeFrom + 1));
    expect(replayed.map((e) => e.event)).to.include('permission_answered');

    // Resuming by the session's own seq replays exactly what came after it.
    const mid = seqs[2];
    const resumed: any = await ws.rpc.sendRequest('hub/follow', { agentId, sessionId, after: mid });
    expect(resumed.events.map((e: any) => e.seq)).to.deep.equal(seqs.filter((s) => s > mid));
    expect(resumed.events[0]).to.deep.include({ agentId, sessionId });

    // Another turn that runs away: cancelled from the daemon through the hub.
    fake.enqueue({ type: 'hang', chunks: ['working…'] });
    const runaway = agent.rpc.sendRequest<{ stopReason: string }>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'loop' }] });
    await fake.waitForRequest(3);
    const cancel: any = await ws.rpc.sendRequest('hub/call', { agentId, method: 'session/cancel', params: { sessionId } });
    expect(cancel).to.deep.equal({ cancelled: true });
    expect(await runaway).to.deep.equal({ stopReason: 'cancelled' });
    const ended2 = await ws.events.until((e) => e.type === 'turn_ended' && e.stopReason === 'cancelled', 'cancelled turn_ended');
    expect(ended2.agentId).to.equal(agentId);
  });

  it('serves the same methods over stdio: one editor\'s agent follows another\'s turn', async () => {
    const a = await joinStdio();
    const b = await joinStdio();
    const seen: any = await b.agent.rpc.sendRequest('hub/agents', {});
    expect(seen.agents.map((x: any) => x.agentId)).to.include.members([a.agentId, b.agentId]);
    expect(seen.agents.find((x: any) => x.self).agentId).to.equal(b.agentId);
    const { sessionId } = await a.agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
    await ws.events.until((e) => e.type === 'session_created' && e.sessionId === sessionId, 'session_created');
    const updates: any[] = [];
    const ended = new Promise<void>((resolve) =>
      b.agent.rpc.onNotification('hub/update', (u: any) => {
        updates.push(u);
        if (u.event.type === 'turn_ended') resolve();
      }),
    );
    await b.agent.rpc.sendRequest('hub/follow', { agentId: a.agentId, sessionId });
    fake.enqueue({ type: 'text', chunks: ['from ', 'an editor'] });
    expect(await a.agent.rpc.sendRequest('session/prompt', { sessionId, message: 'hi' })).to.deep.equal({ stopReason: 'end_turn' });
    await ended;
    expect(updates.filter((u) => u.event.update?.sessionUpdate === 'agent_message_chunk').map((u) => u.event.update.content.text).join('')).to.equal('from an editor');
    for (const x of [a, b]) {
      x.agent.cli.child.stdin.end();
      await x.agent.cli.exited;
    }
  });

  it('refuses calls outside the allowlist, unknown agents and sessions, with precise codes', async () => {
    const listed: any = await (await served.fetch('/hub/agents')).json();
    const other = listed.agents.find((a: any) => !a.self);
    const err = (p: Promise<unknown>) => p.then(() => expect.fail('should have failed'), (e: any) => e);
    const forbidden = await err(ws.rpc.sendRequest('hub/call', { agentId: other.agentId, method: 'session/delete', params: { sessionId: 'x' } }));
    expect(forbidden.code).to.equal(-32001);
    expect(forbidden.message).to.contain('session/delete').and.contain('session/prompt');
    expect((await err(ws.rpc.sendRequest('hub/call', { agentId: 'nobody-00', method: 'session/list', params: {} }))).code).to.equal(-32002);
    expect((await err(ws.rpc.sendRequest('hub/follow', { agentId: other.agentId, sessionId: 'sess_missing' }))).code).to.equal(-32002);
    expect((await err(ws.rpc.sendRequest('hub/follow', { agentId: 'nobody', sessionId: 's' }))).code).to.equal(-32002);
    // Over REST too, with the HTTP status mapped once.
    const res = await served.fetch(`/hub/agents/${other.agentId}/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'host/status' }) });
    expect(res.status).to.equal(403);
  });

  it('answers a resume point the feed no longer holds with Gone, never a silent gap', async () => {
    const err: any = await ws.rpc.sendRequest('hub/subscribe', { after: 0 }).then(() => undefined, (e: any) => e);
    expect(err.code).to.equal(-32009);
    expect(err.data.oldestSeq).to.be.above(1);
    const fresh: any = await ws.rpc.sendRequest('hub/subscribe', { after: err.data.lastSeq - 1 });
    expect(fresh.events.map((e: any) => e.seq)).to.deep.equal([err.data.lastSeq]);
  });

  it('cuts off a hub peer that stops reading instead of queueing without bound', async () => {
    const { agent, agentId } = await joinStdio({ SWITCHBOARD_HUB_MAX_QUEUE: '20' });
    const socketPath = JSON.parse(readFileSync(path.join(hubDir(), 'agents', `${agentId}.json`), 'utf8')).socket;
    const socket = net.createConnection(socketPath);
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    conn.onError(() => undefined);
    conn.listen();
    // It asks for session events (as a daemon whose clients follow does), then reads nothing.
    await conn.sendRequest('hub.hello', { token: served.token, agentId: 'sluggish', sessions: true });
    socket.pause();

    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const { sessionId } = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: workspace, mcpServers: [] });
    fake.enqueue({ type: 'tokens', count: 3000, token: 'x'.repeat(2000), paced: true });
    expect(await agent.rpc.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'flood' }] })).to.deep.equal({ stopReason: 'end_turn' });
    socket.resume();
    await closed;

    const status: any = await agent.rpc.sendRequest('host/status', {});
    expect(status.hub.observersDropped).to.equal(1);
    expect(agent.cli.stderr()).to.contain('too far behind');
    // The daemon, which reads, is still connected and saw the whole turn end.
    await ws.events.until((e) => e.type === 'turn_ended' && e.sessionId === sessionId, 'turn_ended seen by the daemon');
  });

  it('lets in only peers that present the owner token', async () => {
    const rec = readdirSync(path.join(hubDir(), 'agents')).find((f) => f.startsWith('serve-'))!;
    const socketPath = JSON.parse(readFileSync(path.join(hubDir(), 'agents', rec), 'utf8')).socket;
    const connect = () => {
      const socket = net.createConnection(socketPath);
      const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      conn.onError(() => undefined);
      conn.listen();
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      return { conn, closed };
    };
    const a = connect();
    const early = await a.conn.sendRequest('hub.call', { method: 'session/list', params: {} }).then(() => undefined, (e: any) => e);
    expect(early.code).to.equal(-32000);
    await a.closed;
    const b = connect();
    const wrong = await b.conn.sendRequest('hub.hello', { token: 'not-the-token', agentId: 'intruder' }).then(() => undefined, (e: any) => e);
    expect(wrong.code).to.equal(-32000);
    await b.closed;
    const c = connect();
    const ok: any = await c.conn.sendRequest('hub.hello', { token: served.token, agentId: 'friend' });
    expect(ok.record.kind).to.equal('serve');
    c.conn.dispose();
  });

  it('reports a kill -9 as left within 2 s and cleans its files; a clean exit leaves none', async () => {
    const { agent, agentId } = await joinStdio();
    expect(files('agents')).to.include(`${agentId}.json`);
    expect(files('sockets')).to.include(`${agentId}.sock`);
    const killedAt = Date.now();
    agent.cli.child.kill('SIGKILL');
    const left = await ws.events.until((e) => e.type === 'agent_left' && e.agentId === agentId, 'agent_left after kill -9');
    expect(Date.now() - killedAt, 'reported within 2 s').to.be.below(2000);
    expect(left.reason).to.equal('crashed');
    await ws.events.until(() => !files('agents').includes(`${agentId}.json`) && !files('sockets').includes(`${agentId}.sock`), 'stale files removed', 5000).catch(() => undefined);
    expect(files('agents')).not.to.include(`${agentId}.json`);
    expect(files('sockets')).not.to.include(`${agentId}.sock`);

    const clean = await joinStdio();
    clean.agent.cli.child.stdin.end();
    expect((await clean.agent.cli.exited).code).to.equal(0);
    const bye = await ws.events.until((e) => e.type === 'agent_left' && e.agentId === clean.agentId, 'agent_left after a clean exit');
    expect(bye.reason).to.equal('exit');
    expect(files('agents')).not.to.include(`${clean.agentId}.json`);
    expect(files('sockets')).not.to.include(`${clean.agentId}.sock`);
    expect(existsSync(path.join(hubDir(), 'sockets'))).to.equal(true);
  });

  it('leaves no record or socket of the daemon behind when it exits cleanly', async () => {
    expect(files('agents').some((f) => f.startsWith('serve-'))).to.equal(true);
    const exit = await served.cli.kill('SIGTERM');
    expect(exit.code).to.equal(0);
    expect(files('agents').filter((f) => f.startsWith('serve-'))).to.deep.equal([]);
    expect(files('sockets').filter((f) => f.startsWith('serve-'))).to.deep.equal([]);
  });
});
