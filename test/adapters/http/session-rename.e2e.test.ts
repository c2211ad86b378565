import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

type Frame = { id?: number; method?: string; params?: any; result?: any; error?: { code: number; message: string; data?: any } };

/**
 * session/rename through the real daemon: PATCH /sessions/{id} and the same method over /ws,
 * the title persisted in the session's log, attached clients told (session_info_update), and
 * precise errors for a blank, too long or unknown one.
 */
describe('switchboard serve (e2e): renaming a session', function () {
  this.timeout(30000);
  let s: Served;
  let fake: FakeProvider;
  let ws: WebSocket;
  const frames: Frame[] = [];
  let nextId = 1;
  const rpc = (method: string, params: unknown) =>
    new Promise<Frame>((resolve) => {
      const id = nextId++;
      const onMessage = (data: Buffer) => {
        const f = JSON.parse(data.toString('utf8')) as Frame;
        if (f.id === id && !f.method) {
          ws.off('message', onMessage);
          resolve(f);
        }
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  const patch = (id: string, body: unknown) => s.fetch(`/sessions/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    fake = await startFakeOpenAI();
    s = await spawnServe();
    await s.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
    });
    ws = new WebSocket(s.url.replace('http:', 'ws:') + '/ws', { headers: { authorization: `Bearer ${s.token}` } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString('utf8'))));
  });
  after(async () => {
    ws?.terminate();
    if (s) await s.stop();
    await fake?.close();
  });

  it('renames over REST (PATCH), persists the title, and tells attached clients', async () => {
    const created = await rpc('session/new', { title: 'before', mcpServers: [] });
    const id = created.result.sessionId as string;
    const res = await patch(id, { title: '  after the rename  ' });
    expect(res.status).to.equal(200);
    const view = (await res.json()) as { title: string; sessionId: string };
    expect(view.title, 'trimmed').to.equal('after the rename');
    expect(view.sessionId).to.equal(id);
    expect(((await (await s.fetch(`/sessions/${id}`)).json()) as { title: string }).title).to.equal('after the rename');
    // The WebSocket client that created it is attached: it hears the new name with a seq.
    const deadline = Date.now() + 10000;
    let info: Frame | undefined;
    while (!info && Date.now() < deadline) {
      info = frames.find((f) => f.method === 'session/update' && f.params.sessionId === id && f.params.update.sessionUpdate === 'session_info_update');
      if (!info) await new Promise((r) => ws.once('message', r));
    }
    expect(info?.params.update.title).to.equal('after the rename');
    expect(info?.params._meta.seq).to.be.a('number');
    // On disk: the session's log holds the title, so a restart keeps it.
    const dir = path.join(s.home, 'sessions');
    const log = readdirSync(dir).find((f) => f.startsWith(id));
    expect(log, `no log for ${id} in ${readdirSync(dir).join(', ')}`).to.not.equal(undefined);
    expect(readFileSync(path.join(dir, log!), 'utf8')).to.contain('"title":"after the rename"');
    // A first turn no longer names a session that was named by hand.
    fake.enqueue({ type: 'text', chunks: ['ok'] });
    expect((await rpc('session/prompt', { sessionId: id, prompt: [{ type: 'text', text: 'a prompt that would become a title' }] })).result.stopReason).to.equal('end_turn');
    expect(((await (await s.fetch(`/sessions/${id}`)).json()) as { title: string }).title).to.equal('after the rename');
  });

  it('renames over the WebSocket too, and is listed with its new title', async () => {
    const id = (await rpc('session/new', { mcpServers: [] })).result.sessionId as string;
    const renamed = await rpc('session/rename', { sessionId: id, title: 'über 名前 ✓' });
    expect(renamed.result.title).to.equal('über 名前 ✓');
    const list = (await rpc('session/list', {})).result.sessions as { sessionId: string; title: string }[];
    expect(list.find((x) => x.sessionId === id)?.title).to.equal('über 名前 ✓');
  });

  it('refuses a blank or too long title (400, naming the field) and an unknown session (404)', async () => {
    const id = (await rpc('session/new', { title: 'kept', mcpServers: [] })).result.sessionId as string;
    for (const title of ['', '   ', 'x'.repeat(201)]) {
      const res = await patch(id, { title });
      expect(res.status, JSON.stringify(title)).to.equal(400);
      const body = (await res.json()) as { error: { code: number; data: { issues: { path: string[] }[] } } };
      expect(body.error.code).to.equal(-32602);
      expect(body.error.data.issues[0]!.path).to.deep.equal(['title']);
    }
    const missing = await patch(id, {});
    expect(missing.status).to.equal(400);
    const unknown = await patch('no-such-session', { title: 'x' });
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).to.equal(-32002);
    expect(((await (await s.fetch(`/sessions/${id}`)).json()) as { title: string }).title).to.equal('kept');
    // Still serving after the bad input.
    expect((await s.fetch('/health')).status).to.equal(200);
  });

  it('is in the OpenAPI document as PATCH /sessions/{session_id}', async () => {
    const doc = (await (await s.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/sessions/{session_id}']?.patch?.operationId).to.match(/session_rename/);
  });
});
