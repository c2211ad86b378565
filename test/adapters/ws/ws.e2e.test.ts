import { expect } from 'chai';
import { client } from '@agentclientprotocol/sdk';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import { WebSocket } from 'ws';
import { acpErrors } from '../../support/acp-schema.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

type Frame = { id?: number | string | null; result?: any; error?: { code: number; message: string } };

function connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Sends one text frame and resolves with the next frame answering that id (or with id null). */
function call(ws: WebSocket, text: string | Buffer, id: number | string | null, binary = false): Promise<Frame> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      if (frame.id === id) {
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
    ws.send(text, { binary });
  });
}

const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));

describe('switchboard serve (e2e): WebSocket /ws', function () {
  let s: Served;
  let wsUrl: string;
  const open: WebSocket[] = [];
  const auth = () => ({ authorization: `Bearer ${s.token}` });
  before(async () => {
    s = await spawnServe(['--max-message-bytes', '65536', '--ws-max-buffered-bytes', '262144']);
    wsUrl = s.url.replace('http:', 'ws:') + '/ws';
  });
  afterEach(() => {
    for (const ws of open.splice(0)) ws.terminate();
  });
  after(async () => {
    if (s) await s.stop();
  });

  it('serves JSON-RPC, one message per text frame, authenticated by the Authorization header', async () => {
    const ws = await connect(wsUrl, { headers: auth() });
    open.push(ws);
    const res = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host/version' }), 1);
    expect(res.result.name).to.equal('switchboard');
    const ping = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'host/ping', params: { data: [1, 2] } }), 'x');
    expect(ping.result).to.deep.equal({ pong: true, data: [1, 2] });
  });

  it('authenticates a browser by a Sec-WebSocket-Protocol entry and selects switchboard.jsonrpc', async () => {
    const ws = await connect(wsUrl, { protocols: ['switchboard.jsonrpc', `bearer.${s.token}`] });
    open.push(ws);
    expect(ws.protocol).to.equal('switchboard.jsonrpc');
    const res = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host/status' }), 1);
    expect(res.result.http.ws.connected).to.be.greaterThan(0);
  });

  it('refuses the upgrade without a token (401), with a foreign Origin or a rebinding Host (403), and off /ws (404)', async () => {
    const status = (p: Promise<unknown>) => p.then(() => 0, (e: { status?: number }) => e.status);
    expect(await status(connect(wsUrl))).to.equal(401);
    expect(await status(connect(wsUrl, { protocols: ['switchboard.jsonrpc', 'bearer.wrong'] }))).to.equal(401);
    expect(await status(connect(wsUrl, { headers: { ...auth(), origin: 'http://evil.example' } }))).to.equal(403);
    expect(await status(connect(wsUrl, { headers: { ...auth(), host: `rebind.example:${s.port}` } }))).to.equal(403);
    expect(await status(connect(wsUrl.replace('/ws', '/other'), { headers: auth() }))).to.equal(404);
  });

  it('answers bad frames with JSON-RPC errors and keeps the connection', async () => {
    const ws = await connect(wsUrl, { headers: auth() });
    open.push(ws);
    const parse = await call(ws, '{"jsonrpc":', null);
    expect(parse.error?.code).to.equal(-32700);
    const binary = await call(ws, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'host/version' })), null, true);
    expect(binary.error?.code).to.equal(-32600);
    expect(binary.error?.message).to.contain('text frame');
    const unknown = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'nope/nope' }), 2);
    expect(unknown.error?.code).to.equal(-32601);
    const ok = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'host/ping' }), 3);
    expect(ok.result.pong).to.equal(true);
  });

  it('closes with 1009 a frame over the per-connection message size limit', async () => {
    const ws = await connect(wsUrl, { headers: auth() });
    open.push(ws);
    const done = closed(ws);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host/ping', params: { data: 'x'.repeat(70_000) } }));
    expect((await done).code).to.equal(1009);
  });

  it('is driven unchanged by the ACP SDK WebSocket client (createWebSocketStream): initialize', async () => {
    const stream = createWebSocketStream(wsUrl, { WebSocket: WebSocket as never, headers: auth() });
    const result = await client({ name: 'ws-test' }).connectWith(stream, (ctx) =>
      ctx.request('initialize', { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: false, writeTextFile: false } } }),
    );
    expect(result.protocolVersion).to.equal(1);
    expect(result.agentInfo?.name).to.equal('switchboard');
    expect(acpErrors('InitializeResponse', result)).to.deep.equal([]);
  });

  it('drops a client that does not read once its send queue is over the limit (4008), with bounded memory', async () => {
    const ws = await connect(wsUrl, { headers: auth() });
    open.push(ws);
    const done = closed(ws);
    ws.pause(); // never reads: the server's responses pile up
    const payload = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 1500; i++) ws.send(`{"jsonrpc":"2.0","id":${i},"method":"host/ping","params":{"data":"${payload}"}}`);
    let ws0: { droppedSlow: number; peakQueuedBytes: number } = { droppedSlow: 0, peakQueuedBytes: 0 };
    while (ws0.droppedSlow === 0) {
      ws0 = ((await (await s.fetch('/status')).json()) as { http: { ws: typeof ws0 } }).http.ws;
      if (ws0.droppedSlow === 0) await new Promise((r) => setTimeout(r, 20));
    }
    // Bounded by the limit plus the one message that found the backlog over it.
    expect(ws0.peakQueuedBytes).to.be.at.most(262144 + 33 * 1024);
    ws.resume(); // reads what was queued, then the close frame
    const { code, reason } = await done;
    expect(code).to.equal(4008);
    expect(reason).to.contain('resume by seq');
    // Others are still served.
    expect((await s.fetch('/version')).status).to.equal(200);
  });

  it('still delivers one answer larger than the queue limit to a client that keeps up', async () => {
    const t = await spawnServe(['--ws-max-buffered-bytes', '1024']);
    try {
      const ws = await connect(t.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${t.token}` } });
      const big = 'y'.repeat(8 * 1024);
      const res = await call(ws, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host/ping', params: { data: big } }), 1);
      expect(res.result.data).to.equal(big);
      ws.terminate();
    } finally {
      await t.stop();
    }
  });

  it('closes WebSocket clients with 1001 on SIGTERM and exits 0', async () => {
    const t = await spawnServe();
    const ws = await connect(t.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${t.token}` } });
    const done = closed(ws);
    const exit = await t.stop();
    expect((await done).code).to.equal(1001);
    expect(exit.code).to.equal(0);
  });
});
