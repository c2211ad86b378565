import { expect } from 'chai';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { connectWsRpc, writeFakeProfile } from '../support/hub-clients.js';
import { natsServerAvailable, startNatsServer, type NatsServer } from '../support/nats-server.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';

const SECRET = 'nats-secret-token-4f1d';

/**
 * The hub across machines: a real nats-server (with token auth), two `serve` daemons with
 * separate homes. The first daemon's clients see, follow and steer the second's turns; a
 * nats-server restart mid-test is survived; the NATS credential never shows.
 */
describe('e2e: the NATS hub (two daemons, separate homes, a real nats-server)', function () {
  this.timeout(90_000);
  let nats: NatsServer;
  let fake: FakeProvider;
  let a: Served;
  let b: Served;
  let ws: Awaited<ReturnType<typeof connectWsRpc>>;
  let bId: string;

  before(async function () {
    if (!natsServerAvailable()) {
      // .ci/run installs it; without it this suite cannot mean anything.
      this.skip();
    }
    nats = await startNatsServer(['--auth', SECRET]);
    fake = await startFakeOpenAI();
    const hubName = `t${process.pid}`;
    const args = ['--hub', `nats://${SECRET}@127.0.0.1:${nats.port}`, '--hub-name', hubName];
    const env = { SWITCHBOARD_HUB_HEARTBEAT_MS: '300' };
    a = await spawnServe(args, env, (home) => writeFakeProfile(home, fake.baseUrl));
    b = await spawnServe(args, env, (home) => writeFakeProfile(home, fake.baseUrl));
    ws = await connectWsRpc(a.url, a.token);
    const sub: any = await ws.rpc.sendRequest('hub/subscribe', { after: 0 });
    for (const e of sub.events) ws.events.push(e);
    const bPid = b.cli.child.pid;
    const joined = await ws.events.until((e) => e.type === 'agent_joined' && e.agent.pid === bPid, 'agent_joined of daemon B');
    bId = joined.agentId;
  });
  after(async () => {
    ws?.close();
    await a?.stop();
    await b?.stop();
    await fake?.close();
    await nats?.stop();
  });

  it('follows, approves and cancels a turn of the other daemon through NATS', async () => {
    // Outside the daemon home, which no tool may reach.
    const workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-hub-ws-')));
    after(() => rmSync(workspace, { recursive: true, force: true }));
    const created: any = await (await b.fetch('/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workspace }) })).json();
    const sessionId = created.sessionId;
    await ws.events.until((e) => e.type === 'session_created' && e.sessionId === sessionId && e.agentId === bId, 'session_created on B');
    const listed: any = await (await a.fetch('/hub/agents')).json();
    expect(listed.mode).to.equal('nats');
    expect(listed.agents.find((x: any) => x.agentId === bId).sessions.map((s: any) => s.sessionId)).to.deep.equal([sessionId]);

    await ws.rpc.sendRequest('hub/follow', { agentId: bId, sessionId });
    fake.enqueue({ type: 'tools', calls: [{ id: 'n1', name: 'shell', args: { command: 'echo over-nats' } }] }, { type: 'text', chunks: ['nats ', 'ok'] });
    // The prompt itself goes through the hub: daemon A steers daemon B.
    const turn = ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'session/prompt', params: { sessionId, prompt: [{ type: 'text', text: 'go' }] } });
    const asked = await ws.events.until((e) => e.type === 'permission_asked' && e.sessionId === sessionId, 'permission_asked from B');
    expect(asked.title).to.contain('echo over-nats');
    await ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'permissions/respond', params: { sessionId, requestId: asked.requestId, optionId: 'allow_once' } });
    expect(await turn).to.deep.include({ stopReason: 'end_turn' });
    await ws.updates.until((u) => u.event.type === 'turn_ended' && u.sessionId === sessionId, 'followed turn_ended');
    const text = ws.updates.items.filter((u) => u.event.update?.sessionUpdate === 'agent_message_chunk').map((u) => u.event.update.content.text).join('');
    expect(text).to.equal('nats ok');
    const seqs = ws.updates.items.map((u) => u.seq);
    expect(seqs).to.deep.equal([...seqs].sort((x, y) => x - y));

    fake.enqueue({ type: 'hang', chunks: ['spinning'] });
    const runaway = ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'session/prompt', params: { sessionId, message: 'loop' } });
    await ws.events.until((e) => e.type === 'turn_started' && e.sessionId === sessionId && ws.events.items.filter((x) => x.type === 'turn_started').length === 2, 'second turn_started');
    expect(await ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'session/cancel', params: { sessionId } })).to.deep.equal({ cancelled: true });
    expect(await runaway).to.deep.include({ stopReason: 'cancelled' });
    const forbidden = await ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'profiles/list', params: {} }).then(() => undefined, (e: any) => e);
    expect(forbidden.code).to.equal(-32001);
  });

  it('survives a nats-server restart: reported, reconnected, calls work again', async () => {
    await nats.stop();
    await ws.events.until((e) => e.type === 'hub_connection' && e.state === 'disconnected', 'hub_connection disconnected');
    const during: any = await (await a.fetch('/status')).json();
    expect(during.hub.connection).to.not.equal('connected');
    // Local work never stops.
    expect((await a.fetch('/sessions')).status).to.equal(200);
    const downAt = ws.events.items.length;
    await nats.restart();
    await ws.events.until((e) => e.type === 'hub_connection' && e.state === 'connected' && ws.events.items.indexOf(e) >= downAt, 'hub_connection connected again');
    // B reconnects on its own backoff: until it has, a call fails fast with -32005 (never hangs).
    let list: any;
    for (let i = 0; i < 40 && !list; i++) {
      list = await ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'session/list', params: {} }).catch((e: any) => {
        expect(e.code).to.equal(-32005);
        return new Promise((r) => setTimeout(r, 250));
      });
    }
    expect(list.sessions).to.have.length(1);
    const status: any = await (await a.fetch('/status')).json();
    expect(status.hub).to.deep.include({ mode: 'nats', connection: 'connected' });
    expect(status.hub.reconnects).to.be.at.least(1);
  });

  it('never shows the NATS credential in a status, a log line or an error', async () => {
    const status = await (await a.fetch('/status')).text();
    expect(status).to.contain('nats://127.0.0.1');
    for (const text of [status, a.cli.stderr(), b.cli.stderr()]) expect(text).not.to.contain(SECRET);
  });

  it('reports a daemon killed with -9 as left after three missed heartbeats', async () => {
    b.cli.child.kill('SIGKILL');
    const left = await ws.events.until((e) => e.type === 'agent_left' && e.agentId === bId, 'agent_left of B');
    expect(left.reason).to.equal('timeout');
    const gone = await ws.rpc.sendRequest('hub/call', { agentId: bId, method: 'session/list', params: {} }).then(() => undefined, (e: any) => e);
    expect(gone.code).to.equal(-32002);
  });
});
