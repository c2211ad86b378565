import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { WebSocket } from 'ws';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { ROOT, spawnCli } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { openSse, type SseEvent } from '../support/sse-client.js';
import { tempHome } from '../support/temp-home.js';

/**
 * The two examples (examples/hello-ts in-process, examples/hello-python out of process) loaded
 * by the real daemon with --plugin-dir, driven over REST, SSE, WebSocket and stdio, listed in
 * OpenAPI and host/methods, and their tools called by a model in a real turn.
 */
const TS = path.join(ROOT, 'examples', 'hello-ts');
const PY = path.join(ROOT, 'examples', 'hello-python');
const STAMP = path.join(ROOT, 'test', 'fixtures', 'plugins', 'stamp');
const pluginArgs = ['--plugin-dir', TS, '--plugin-dir', PY, '--plugin-dir', STAMP];

function rpcOverWs(ws: WebSocket) {
  let id = 0;
  const notes: { method: string; params: any }[] = [];
  const waiting = new Map<number, (f: any) => void>();
  ws.on('message', (data: Buffer) => {
    const f = JSON.parse(data.toString('utf8'));
    if (f.method && f.id === undefined) notes.push(f);
    else waiting.get(f.id)?.(f);
  });
  return {
    notes,
    call: (method: string, params: unknown) =>
      new Promise<any>((resolve) => {
        waiting.set(++id, resolve);
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      }),
  };
}

describe('e2e: the example plugins on every transport and in a real turn', function () {
  this.timeout(60_000);
  let s: Served;
  let fake: FakeProvider;
  let ws: WebSocket;
  let workspace: string;
  let outside: string;
  const dirs: ReturnType<typeof tempHome>[] = [];
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
  const post = (p: string, body?: unknown) => s.fetch(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const turn = (id: string, message: string) =>
    openSse(`${s.url}/sessions/${id}/message`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
  const updates = (events: SseEvent[], kind: string) => events.filter((e) => e.event === kind).map((e) => e.data.update);

  before(async () => {
    fake = await startFakeOpenAI();
    s = await spawnServe(pluginArgs);
    // Outside the daemon's home: the fence keeps every tool out of it, whatever the workspace.
    dirs.push(tempHome('sb-plugin-ws-'), tempHome('sb-stdio-'));
    const root = realpathSync(dirs[0].dir);
    workspace = path.join(root, 'ws');
    outside = path.join(root, 'outside.txt');
    mkdirSync(workspace);
    writeFileSync(path.join(workspace, 'a.txt'), 'one two three\nfour five\n');
    writeFileSync(outside, 'SECRET OUTSIDE\n');
    ws = new WebSocket(`${s.url.replace('http:', 'ws:')}/ws`, { headers: { authorization: `Bearer ${s.token}` } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    await post('/profiles', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true });
  });
  after(async () => {
    ws?.terminate();
    await s?.stop();
    await fake?.close();
    for (const d of dirs) d.remove();
  });

  it('both plugins are active, with their sources, methods and tools', async () => {
    const { body } = await json(await s.fetch('/status'));
    const hello = body.plugins.find((p: any) => p.name === 'hello');
    const py = body.plugins.find((p: any) => p.name === 'hello-py');
    expect(hello).to.include({ state: 'active', source: TS });
    expect(py).to.include({ state: 'active', source: PY });
    expect(py.tools).to.deep.equal(['line_count']);
    expect(body['process:hello-py']).to.include({ state: 'running', restarts: 0 });
  });

  it('REST: POST /plugins/<name>/<method> for both; bad params are a 400 with the zod issue', async () => {
    expect(await json(await post('/plugins/hello/greet', { who: 'Ada' }))).to.deep.equal({ status: 200, body: { text: 'Hello, Ada!' } });
    expect(await json(await post('/plugins/hello-py/greet', { who: 'Ada' }))).to.deep.equal({ status: 200, body: { text: 'Hello, Ada!' } });
    for (const p of ['/plugins/hello/greet', '/plugins/hello-py/greet']) {
      const bad = await json(await post(p, { who: 7 }));
      expect(bad.status).to.equal(400);
      expect(bad.body.error.message).to.contain('who');
    }
  });

  it('OpenAPI and host/methods list the methods, their schemas and the events', async () => {
    const { body: doc } = await json(await s.fetch('/openapi.json'));
    for (const p of ['/plugins/hello/greet', '/plugins/hello-py/greet']) {
      expect(doc.paths[p]?.post, p).to.exist;
      expect(JSON.stringify(doc.paths[p].post)).to.contain('who');
    }
    const ws1 = rpcOverWs(ws);
    const { result } = await ws1.call('host/methods', {});
    const names = result.methods.map((m: any) => m.name);
    expect(names).to.include.members(['hello/greet', 'hello-py/greet', 'hello-py/sessions']);
    expect(result.events.map((e: any) => e.name)).to.include.members(['hello/greeted', 'hello-py/greeted']);
  });

  it('WebSocket: calls both, gets their events after host/subscribe; a plugin calls the host back', async () => {
    const rpc = rpcOverWs(ws);
    expect((await rpc.call('host/subscribe', { events: ['hello/greeted', 'hello-py/greeted'] })).result.events).to.have.length(2);
    expect((await rpc.call('hello/greet', { who: 'Lin' })).result).to.deep.equal({ text: 'Hello, Lin!' });
    expect((await rpc.call('hello-py/greet', { who: 'Kay' })).result).to.deep.equal({ text: 'Hello, Kay!' });
    while (rpc.notes.length < 2) await new Promise((r) => ws.once('message', r));
    expect(rpc.notes).to.deep.include.members([{ jsonrpc: '2.0', method: 'hello/greeted', params: { who: 'Lin' } }, { jsonrpc: '2.0', method: 'hello-py/greeted', params: { who: 'Kay' } }]);
    await post('/sessions', { workspace });
    const count = (await rpc.call('hello-py/sessions', {})).result.count;
    expect(count).to.be.greaterThan(0);
  });

  it('SSE: GET /events streams the events of the plugins', async () => {
    const sse = await openSse(`${s.url}/events?event=hello/greeted&event=hello-py/greeted`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(sse.status).to.equal(200);
    await sse.until(() => sse.comments.length > 0);
    await post('/plugins/hello-py/greet', { who: 'Sse' });
    await post('/plugins/hello/greet', { who: 'Sse2' });
    const events = await sse.until((ev) => ev.length >= 2);
    expect(events.map((e) => [e.event, e.data.who])).to.deep.equal([['hello-py/greeted', 'Sse'], ['hello/greeted', 'Sse2']]);
    sse.close();
    expect((await s.fetch('/events?event=nope/x')).status).to.equal(400);
  });

  it('a real turn: the model calls both plugin tools; a path outside the workspace is refused before the plugin sees it', async () => {
    // bypass: no prompt for the reads outside, so it is the confinement that refuses them.
    const { body: session } = await json(await post('/sessions', { workspace, mode: 'bypass' }));
    fake.enqueue(
      { type: 'tools', calls: [{ name: 'word_count', args: { path: 'a.txt' } }, { name: 'line_count', args: { path: 'a.txt' } }, { name: 'word_count', args: { path: '../outside.txt' } }, { name: 'line_count', args: { path: outside } }] },
      { type: 'text', chunks: ['counted'] },
    );
    const sse = await turn(session.sessionId, 'count');
    await sse.ended;
    expect(sse.events.at(-1)?.data.stopReason).to.equal('end_turn');
    const done = updates(sse.events, 'tool_call_update').filter((u) => u.status === 'completed' || u.status === 'failed');
    expect(done.map((u) => u.status)).to.deep.equal(['completed', 'completed', 'failed', 'failed']);
    const toolResults = fake.requests[1].body.messages.filter((m: any) => m.role === 'tool').map((m: any) => String(m.content));
    expect(JSON.parse(toolResults[0])).to.deep.equal({ path: 'a.txt', words: 5 });
    expect(JSON.parse(toolResults[1])).to.deep.equal({ path: 'a.txt', lines: 2 });
    for (const refused of toolResults.slice(2)) expect(refused).to.contain('outside the workspace').and.not.to.contain('SECRET');
  });

  it('a plugin tool that edits asks in ask mode, runs once allowed, and cannot write outside', async () => {
    const { body: session } = await json(await post('/sessions', { workspace, mode: 'ask' }));
    fake.enqueue({ type: 'tools', calls: [{ name: 'stamp_file', args: { path: 'stamped.txt' } }] }, { type: 'text', chunks: ['ok'] });
    const sse = await turn(session.sessionId, 'stamp');
    const [pending] = (await sse.until((ev) => ev.some((e) => e.event === 'permission'))).filter((e) => e.event === 'permission');
    expect(pending.data.state).to.equal('pending');
    expect(existsSync(path.join(workspace, 'stamped.txt'))).to.equal(false);
    expect((await post(`/sessions/${session.sessionId}/permission`, { requestId: pending.data.requestId, optionId: 'allow_once' })).status).to.equal(200);
    await sse.ended;
    expect(readFileSync(path.join(workspace, 'stamped.txt'), 'utf8')).to.equal('stamped\n');

    await post(`/sessions/${session.sessionId}/permissions/mode`, { mode: 'bypass' });
    fake.enqueue({ type: 'tools', calls: [{ name: 'stamp_file', args: { path: '../outside.txt' } }] }, { type: 'text', chunks: ['ok'] });
    const second = await turn(session.sessionId, 'stamp outside');
    await second.ended;
    const failed = updates(second.events, 'tool_call_update').find((u) => u.status === 'failed');
    expect(JSON.stringify(failed.content)).to.contain('outside the workspace');
    expect(readFileSync(outside, 'utf8')).to.equal('SECRET OUTSIDE\n');
  });

  it('stdio: the same methods over switchboard stdio', async () => {
    const cli = spawnCli(['stdio', ...pluginArgs], { SWITCHBOARD_HOME: dirs[1].dir });
    const client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
    client.listen();
    try {
      expect(await client.sendRequest('hello/greet', { who: 'Io' })).to.deep.equal({ text: 'Hello, Io!' });
      expect(await client.sendRequest('hello-py/greet', { who: 'Io' })).to.deep.equal({ text: 'Hello, Io!' });
      const { methods } = await client.sendRequest<any>('host/methods', {});
      expect(methods.map((m: any) => m.name)).to.include.members(['hello/greet', 'hello-py/greet']);
    } finally {
      client.dispose();
      cli.child.stdin.end();
      expect((await cli.exited).code).to.equal(0);
    }
  });
});
