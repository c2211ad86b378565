import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { client } from '@agentclientprotocol/sdk';
import { createHttpStream } from '@agentclientprotocol/sdk/experimental/http-client';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import { WebSocket } from 'ws';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 1, clientCapabilities: {} } };

/** /acp against what clients and attackers really send, and cancel seen by two attached clients. */
describe('switchboard serve (e2e): ACP over /acp', function () {
  this.timeout(60_000);
  let s: Served;
  let fake: FakeProvider;
  let workspace: string;
  const auth = () => ({ authorization: `Bearer ${s.token}` });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/acp`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  before(async () => {
    fake = await startFakeOpenAI();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-acp-'));
    s = await spawnServe(['--ws-max-buffered-bytes', '262144'], { SWITCHBOARD_SANDBOX: 'off', SWITCHBOARD_ACP_IDLE_MS: '1500' });
    const res = await s.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
    });
    expect(res.status).to.equal(201);
  });
  after(async () => {
    await s?.stop();
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('answers what is wrong with each request precisely, and goes on serving', async () => {
    // The same token, Host and Origin checks as every route.
    expect((await fetch(`${s.url}/acp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(INIT) })).status).to.equal(401);
    expect((await post(INIT, { authorization: 'Bearer wrong' })).status).to.equal(401);
    expect((await post(INIT, { origin: 'http://evil.example' })).status).to.equal(403);
    // Framing: content type, JSON, batches, the connection header.
    expect((await post(INIT, { 'content-type': 'text/plain' })).status).to.equal(415);
    expect((await post('{not json')).status).to.equal(400);
    expect((await post([INIT])).status).to.equal(400);
    const orphan = await post({ jsonrpc: '2.0', id: 2, method: 'session/list', params: {} });
    expect(orphan.status).to.equal(400);
    expect(((await orphan.json()) as any).error.message).to.match(/missing Acp-Connection-Id/);
    expect((await post({ jsonrpc: '2.0', id: 2, method: 'session/list' }, { 'acp-connection-id': 'no-such' })).status).to.equal(404);

    // A malformed initialize is refused at once and opens no connection.
    const badInit = await post({ id: 1, method: 'initialize', params: {} });
    expect(badInit.status).to.equal(400);
    expect(badInit.headers.get('acp-connection-id')).to.equal(null);
    expect(((await badInit.json()) as any).error.message).to.match(/"jsonrpc" must be "2.0"/);
    const badParams = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 'one' } });
    expect(badParams.status).to.equal(400);
    expect(((await badParams.json()) as any).error.code).to.equal(-32602);
    const init = await post(INIT);
    expect(init.status).to.equal(200);
    const id = init.headers.get('acp-connection-id')!;
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    expect(((await init.json()) as any).result.protocolVersion).to.equal(1);
    expect((await post(INIT, { 'acp-connection-id': id })).status, 'initialize twice').to.equal(400);
    const get = (headers: Record<string, string>) => fetch(`${s.url}/acp`, { headers: { ...auth(), ...headers } });
    expect((await get({ 'acp-connection-id': id })).status, 'no Accept').to.equal(406);
    const stream = await get({ 'acp-connection-id': id, accept: 'text/event-stream' });
    expect(stream.status).to.equal(200);
    expect(stream.headers.get('content-type')).to.match(/text\/event-stream/);
    expect((await get({ 'acp-connection-id': id, accept: 'text/event-stream' })).status, 'a second reader').to.equal(409);
    // A request is accepted (202) and answered on the stream.
    const listed = await post({ jsonrpc: '2.0', id: 7, method: 'session/list', params: {} }, { 'acp-connection-id': id });
    expect(listed.status).to.equal(202);
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('"id":7')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).to.match(/^data: \{"jsonrpc":"2.0","id":7,"result":\{"sessions":/m);
    const mismatch = await post({ jsonrpc: '2.0', id: 8, method: 'session/cancel', params: { sessionId: 'a' } }, { 'acp-connection-id': id, 'acp-session-id': 'b' });
    expect(mismatch.status).to.equal(400);
    // DELETE ends the connection and its streams.
    expect((await fetch(`${s.url}/acp`, { method: 'DELETE', headers: { ...auth(), 'acp-connection-id': id } })).status).to.equal(202);
    while (!(await reader.read()).done) {
      /* drain to the end */
    }
    expect((await post({ jsonrpc: '2.0', id: 9, method: 'session/list' }, { 'acp-connection-id': id })).status).to.equal(404);
    expect((await fetch(`${s.url}/acp`, { method: 'DELETE', headers: { ...auth(), 'acp-connection-id': id } })).status).to.equal(404);

    // The WebSocket upgrade: token checked, the connection named in the 101.
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/acp');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).to.equal(401);
    const named = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(s.url.replace('http:', 'ws:') + '/acp', { headers: auth() });
      ws.on('upgrade', (res) => resolve(res.headers['acp-connection-id'] as string | undefined));
      ws.on('open', () => ws.close());
      ws.on('error', reject);
    });
    expect(named).to.match(/^[0-9a-f-]{36}$/);
    expect((await s.fetch('/health')).status).to.equal(200);
  });

  it('closes a connection whose client never reads its stream once the unread output passes the limit', async () => {
    const init = await post(INIT);
    const id = init.headers.get('acp-connection-id')!;
    let status = 202;
    let sent = 0;
    // host/methods answers tens of KB; with no GET attached they queue until the 256 KiB limit.
    while (status === 202 && sent < 500) status = (await post({ jsonrpc: '2.0', id: ++sent, method: 'host/methods' }, { 'acp-connection-id': id })).status;
    expect(status, 'the connection is gone').to.equal(404);
    expect(sent).to.be.greaterThan(1);
    // The log line is written asynchronously: wait for it.
    await until(() => s.cli.stderr().includes('ACP HTTP client not reading its streams: connection closed'), 'the slow-client log line');
    expect((await post(INIT)).status, 'others still connect').to.equal(200);
  });

  it('reaps a connection left with no reader and no request; one with its stream open stays', async () => {
    const left = (await post(INIT)).headers.get('acp-connection-id')!;
    const kept = (await post(INIT)).headers.get('acp-connection-id')!;
    const stream = await fetch(`${s.url}/acp`, { headers: { ...auth(), 'acp-connection-id': kept, accept: 'text/event-stream' } });
    expect(stream.status).to.equal(200);
    let status = 202;
    for (let i = 0; i < 400 && status === 202; i++) {
      await new Promise((r) => setTimeout(r, 25));
      // A GET without Accept names the connection without touching it: 406 while it lives, 404 once reaped.
      status = (await fetch(`${s.url}/acp`, { headers: { ...auth(), 'acp-connection-id': left, accept: 'application/json' } })).status === 404 ? 404 : 202;
    }
    expect(status, 'the abandoned connection was reaped').to.equal(404);
    expect((await post({ jsonrpc: '2.0', method: 'session/cancel', params: { sessionId: 'x' } }, { 'acp-connection-id': kept, 'acp-session-id': 'x' })).status).to.equal(202);
    await stream.body!.cancel();
  });

  it('reconnects as the RFD says: a new connection, initialize, then session/load replays the session', async () => {
    const first = await client({ name: 'before' }).connectWith(createHttpStream(`${s.url}/acp`, { headers: auth() }), async (agent) => {
      await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      const { sessionId } = await agent.request('session/new', { cwd: workspace, mcpServers: [] });
      fake.enqueue({ type: 'text', chunks: ['remembered'] });
      await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'remember this' }] });
      return sessionId;
    }); // leaving connectWith closes the stream: DELETE /acp
    const replayed: any[] = [];
    const app = client({ name: 'after' }).onNotification('session/update', (ctx) => void replayed.push(ctx.params));
    await app.connectWith(createHttpStream(`${s.url}/acp`, { headers: auth() }), async (agent) => {
      const init = await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      expect(init.agentCapabilities?.loadSession).to.equal(true);
      await agent.request('session/load', { sessionId: first, cwd: workspace, mcpServers: [] });
    });
    const texts = replayed.filter((u) => u.sessionId === first && u._meta?.replay).map((u) => u.update.content?.text);
    expect(texts).to.deep.equal(['remember this', 'remembered']);
  });

  it('cancel withdraws a pending client fs/read_text_file with $/cancel_request over /acp HTTP', async () => {
    const reads: AbortSignal[] = [];
    const app = client({ name: 'fs-client' }).onRequest('fs/read_text_file', (ctx) => {
      reads.push(ctx.signal);
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ content: '' }), { once: true }));
    });
    await app.connectWith(createHttpStream(`${s.url}/acp`, { headers: auth() }), async (agent) => {
      await agent.request('initialize', { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } } });
      const { sessionId } = await agent.request('session/new', { cwd: workspace, mcpServers: [] });
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_fs', name: 'read_file', args: { path: 'a.txt' } }] });
      const prompt = agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'read a.txt' }] });
      await until(() => reads.length === 1, 'the fs/read_text_file request');
      await agent.notify('session/cancel', { sessionId });
      expect((await prompt).stopReason).to.equal('cancelled');
      await until(() => reads[0].aborted, 'the fs request withdrawn');
    });
  });

  it('cancel during a pending permission withdraws it from every attached client (HTTP and WebSocket); the next prompt runs', async () => {
    const asked: { who: string; signal: AbortSignal }[] = [];
    const app = (who: string) =>
      client({ name: who }).onRequest('session/request_permission', (ctx) => {
        asked.push({ who, signal: ctx.signal });
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ outcome: { outcome: 'cancelled' } }), { once: true }));
      });
    const http = createHttpStream(`${s.url}/acp`, { headers: auth() });
    const ws = createWebSocketStream(s.url.replace('http:', 'ws:') + '/acp', { WebSocket: WebSocket as never, headers: auth() });
    let loaded!: () => void;
    const watcherReady = new Promise<void>((r) => (loaded = r));
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    let sessionId = '';
    let httpRun!: Promise<void>;
    const sessionMade = new Promise<void>((resolve, reject) => {
      httpRun = app('http').connectWith(http, async (agent) => {
        await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
        sessionId = (await agent.request('session/new', { cwd: workspace, mcpServers: [] })).sessionId;
        resolve();
        await watcherReady;
        fake.enqueue({ type: 'tools', calls: [{ id: 'call_w', name: 'shell', args: { command: 'echo no' } }] });
        const prompt = agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'run' }] });
        await until(() => asked.length === 2, 'both clients asked');
        await agent.notify('session/cancel', { sessionId });
        expect((await prompt).stopReason).to.equal('cancelled');
        await until(() => asked.every((a) => a.signal.aborted), 'the request withdrawn from both');
        fake.enqueue({ type: 'text', chunks: ['next'] });
        expect((await agent.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'next' }] })).stopReason).to.equal('end_turn');
        release();
      });
      httpRun.catch(reject);
    });
    await sessionMade;
    await app('ws').connectWith(ws, async (agent) => {
      await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      await agent.request('session/load', { sessionId, cwd: workspace, mcpServers: [] });
      loaded();
      await Promise.race([done, httpRun]);
    });
    await httpRun;
    expect(asked.map((a) => a.who).sort()).to.deep.equal(['http', 'ws']);
  });
});
