import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { openSse, type SseClient, type SseEvent } from '../../support/sse-client.js';

const offsets = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
const contiguous = (ids: number[], from: number) => expect(ids).to.deep.equal(Array.from({ length: ids.length }, (_, i) => from + i));
const replyOf = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'agent_message_chunk').map((e) => e.data.update.content.text).join('');

async function createProfile(s: Served, fake: FakeProvider): Promise<void> {
  const res = await s.fetch('/profiles', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
  });
  expect(res.status).to.equal(201);
}

/** The legacy `/api/chat` surface against the real `switchboard serve` and a scripted provider. */
describe('api-proxy (e2e): /api/chat tasks', function () {
  this.timeout(60_000);
  let s: Served;
  let fake: FakeProvider;
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    s.fetch(p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const chatStream = (body: object) =>
    openSse(`${s.url}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  const resume = (taskId: string, query = '', headers: Record<string, string> = {}) =>
    openSse(`${s.url}/api/chat/resume/${taskId}${query}`, { headers: { authorization: `Bearer ${s.token}`, ...headers } });
  const ended = (c: SseClient) => c.until((ev) => ev.some((e) => e.event === 'done' || e.event === 'error'));

  before(async () => {
    fake = await startFakeOpenAI();
    s = await spawnServe();
    await createProfile(s, fake);
  });
  after(async () => {
    await s?.stop();
    await fake?.close();
  });

  it('non-streaming: a new session from the messages (system prompt, history), JSON with reply, session_id and usage', async () => {
    fake.enqueue({ type: 'text', chunks: ['Bon', 'jour'], usage: { input: 12, output: 2 } });
    const res = await post('/api/chat', {
      messages: [
        { role: 'system', content: 'answer in French' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: [{ type: 'text', text: 'again' }] },
      ],
    });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as any;
    expect(body.reply).to.equal('Bonjour');
    expect(body.session_id).to.match(/^sess_/);
    expect(body.usage).to.deep.equal({ prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 });
    expect(body.stop_reason).to.equal('end_turn');
    const sent = fake.requests.at(-1)!.body;
    expect(sent.messages[0]).to.deep.include({ role: 'system', content: 'answer in French' });
    expect(sent.messages.slice(1).map((m: any) => [m.role, typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text).join('')])).to.deep.equal([
      ['user', 'hi'],
      ['assistant', 'hello'],
      ['user', 'again'],
    ]);

    // With session_id: the last user message is prompted in that session, its history kept.
    fake.enqueue({ type: 'text', chunks: ['encore'] });
    const again = await post('/api/chat', { session_id: body.session_id, messages: [{ role: 'user', content: 'one more' }] });
    expect(again.status).to.equal(200);
    expect(((await again.json()) as any).reply).to.equal('encore');
    expect(fake.requests.at(-1)!.body.messages).to.have.length(6);
  });

  it('501 messages → 413 with the limit; 500 are accepted', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
    const res = await post('/api/chat', { messages: many(501) });
    expect(res.status).to.equal(413);
    const err = ((await res.json()) as any).error;
    expect(err.data.limit).to.equal(500);
    expect(err.message).to.contain('500');
    fake.enqueue({ type: 'text', chunks: ['ok'] });
    const fine = await post('/api/chat', { messages: [...many(499), { role: 'user', content: 'last' }] });
    expect(fine.status).to.equal(200);
  });

  it('error paths: malformed JSON 400, bad shape 400, last message not the user\'s 400, unknown session and profile 404, GET 404 with allow', async () => {
    expect((await post('/api/chat', '{nope')).status).to.equal(400);
    expect((await post('/api/chat', { messages: 'hi' })).status).to.equal(400);
    const notUser = await post('/api/chat', { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    expect(notUser.status).to.equal(400);
    expect(((await notUser.json()) as any).error.message).to.contain('last message');
    expect((await post('/api/chat', { session_id: 'sess_nope', messages: [{ role: 'user', content: 'a' }] })).status).to.equal(404);
    expect((await post('/api/chat', { profile: 'nope', messages: [{ role: 'user', content: 'a' }] })).status).to.equal(404);
    const get = await s.fetch('/api/chat');
    expect(get.status).to.equal(404);
    expect(((await get.json()) as any).error.data.allow).to.deep.equal(['POST']);
    expect((await fetch(`${s.url}/api/chat`, { method: 'POST', body: '{}' })).status).to.equal(401);
    // The legacy header works here too.
    fake.enqueue({ type: 'text', chunks: ['ghost'] });
    const ghost = await fetch(`${s.url}/api/chat`, { method: 'POST', headers: { 'x-ghost-key': s.token }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
    expect(ghost.status).to.equal(200);
  });

  it('streaming: X-Task-Id, the task event first, offsets as ids, done with the reply', async () => {
    fake.enqueue({ type: 'text', chunks: ['a', 'b', 'c'] });
    const res = await fetch(`${s.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'stream' }] }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/event-stream');
    const taskId = res.headers.get('x-task-id');
    expect(taskId).to.match(/^task_/);
    await res.body?.cancel();
    // The disconnect above did not cancel the task: resuming from 0 gives the whole stream.
    const all = await resume(taskId!, '?offset=0');
    await all.ended;
    expect(all.events[0]).to.deep.include({ event: 'task', id: '0' });
    expect(all.events[0].data.task_id).to.equal(taskId);
    contiguous(offsets(all.events), 0);
    const done = all.events.at(-1)!;
    expect(done.event).to.equal('done');
    expect(done.data.reply).to.equal('abc');
    expect(done.data.stop_reason).to.equal('end_turn');
    expect(replyOf(all.events)).to.equal('abc');
  });

  it('a task resumed after a disconnect at several offsets: replay then live, nothing lost or repeated; the disconnect does not cancel', async () => {
    // The turn pauses on a permission prompt (ask mode: write_file asks), so part of it is live.
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'resumed.txt', content: 'still here' } }] }, { type: 'text', chunks: ['wr', 'ote', ' it'] });
    const first = await chatStream({ messages: [{ role: 'user', content: 'write it' }] });
    const seen = await first.until((ev) => ev.some((e) => e.event === 'permission'));
    const taskId = seen[0].data.task_id as string;
    const sessionId = seen[0].data.session_id as string;
    const pending = seen.find((e) => e.event === 'permission')!;
    const cut = Number(pending.id);
    first.close();
    expect(offsets(first.events)).to.deep.equal(Array.from({ length: cut + 1 }, (_, i) => i));

    // Three resumers: from offset 2, after the permission event (Last-Event-ID), and from 0.
    const fromTwo = await resume(taskId, '?offset=2');
    const afterCut = await resume(taskId, '', { 'last-event-id': String(cut) });
    const fromZero = await resume(taskId);
    await fromTwo.until((ev) => ev.some((e) => e.event === 'permission'));
    await fromZero.until((ev) => ev.some((e) => e.event === 'permission'));
    expect(afterCut.events).to.deep.equal([]);

    const answered = await post(`/sessions/${sessionId}/permission`, { requestId: pending.data.requestId, optionId: 'allow_once' });
    expect(answered.status).to.equal(200);
    for (const c of [fromTwo, afterCut, fromZero]) await c.ended;
    contiguous(offsets(fromTwo.events), 2);
    contiguous(offsets(afterCut.events), cut + 1);
    contiguous(offsets(fromZero.events), 0);
    expect(fromTwo.events.at(-1)!.event).to.equal('done');
    // What the first client saw plus the Last-Event-ID resume is exactly the whole stream.
    expect([...first.events, ...afterCut.events].map((e) => e.id)).to.deep.equal(fromZero.events.map((e) => e.id));
    expect(fromZero.events.at(-1)!.data.reply).to.equal('wrote it');
    const history = (await (await s.fetch(`/sessions/${sessionId}/history`)).json()) as any;
    expect(path.basename(history.sessionId)).to.equal(sessionId);
    const ws = ((await (await s.fetch(`/sessions/${sessionId}`)).json()) as any).workspace;
    expect(readFileSync(path.join(ws, 'resumed.txt'), 'utf8')).to.equal('still here');

    // A finished task replays from any offset and ends; past its end is 400.
    const tail = await resume(taskId, `?offset=${fromZero.events.length - 1}`);
    await tail.ended;
    expect(tail.events.map((e) => e.event)).to.deep.equal(['done']);
    expect((await s.fetch(`/api/chat/resume/${taskId}?offset=${fromZero.events.length + 5}`)).status).to.equal(400);
    expect((await s.fetch(`/api/chat/resume/${taskId}?offset=-1`)).status).to.equal(400);
  });

  it('a non-streaming client that goes away does not cancel its turn', async () => {
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'kept.txt', content: 'kept' } }] }, { type: 'text', chunks: ['kept it'] });
    const known = new Set((((await (await s.fetch('/sessions')).json()) as any).sessions as any[]).map((x) => x.sessionId));
    const n = fake.requests.length;
    const gone = new AbortController();
    const request = s.fetch('/api/chat', { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'keep it' }] }), signal: gone.signal }).catch((e) => e);
    await fake.waitForRequest(n + 1);
    const sessions = ((await (await s.fetch('/sessions')).json()) as any).sessions as any[];
    const session = sessions.find((x) => !known.has(x.sessionId));
    const events = await openSse(`${s.url}/sessions/${session.sessionId}/events?after=0`, { headers: { authorization: `Bearer ${s.token}` } });
    const pending = (await events.until((ev) => ev.some((e) => e.event === 'permission'))).find((e) => e.event === 'permission')!;
    gone.abort();
    expect(await request).to.be.instanceOf(Error);
    // A round trip after the disconnect: the daemon has seen the connection close by now.
    expect((await s.fetch('/health')).status).to.equal(200);
    expect((await post(`/sessions/${session.sessionId}/permission`, { requestId: pending.data.requestId, optionId: 'allow_once' })).status).to.equal(200);
    const ended = (await events.until((ev) => ev.some((e) => e.event === 'turn_ended'))).find((e) => e.event === 'turn_ended')!;
    events.close();
    expect(ended.data.stopReason).to.equal('end_turn');
    expect(readFileSync(path.join(session.workspace, 'kept.txt'), 'utf8')).to.equal('kept');
  });

  it('a provider that fails: the stream ends with an error event, the JSON call with the mapped status', async () => {
    fake.enqueue({ type: 'error', status: 500, message: 'upstream exploded' });
    const c = await chatStream({ messages: [{ role: 'user', content: 'fail' }] });
    await c.ended;
    const last = c.events.at(-1)!;
    expect(last.event).to.equal('error');
    expect(last.data.code).to.equal(-32006);
    expect(c.events.map((e) => e.event)).to.include('turn_ended');
    contiguous(offsets(c.events), 0);
    fake.enqueue({ type: 'error', status: 500, message: 'upstream exploded' });
    const res = await post('/api/chat', { messages: [{ role: 'user', content: 'fail' }] });
    expect(res.status).to.equal(502);
    expect(((await res.json()) as any).error.code).to.equal(-32006);
  });

  it('cancel: POST /api/chat/cancel/{task_id} ends the turn (done, cancelled); unknown tasks are 404 that say so', async () => {
    fake.enqueue({ type: 'hang', chunks: ['thinking…'] });
    const c = await chatStream({ messages: [{ role: 'user', content: 'hang' }] });
    const evs = await c.until((ev) => ev.some((e) => e.event === 'agent_message_chunk'));
    const taskId = evs[0].data.task_id;
    const res = await post(`/api/chat/cancel/${taskId}`, {});
    expect(res.status).to.equal(200);
    expect(((await res.json()) as any).cancelled).to.equal(true);
    await c.ended;
    expect(c.events.at(-1)!.event).to.equal('done');
    expect(c.events.at(-1)!.data.stop_reason).to.equal('cancelled');
    await fake.waitForAbort();
    const again = (await (await post(`/api/chat/cancel/${taskId}`, {})).json()) as any;
    expect(again).to.deep.include({ cancelled: false, finished: true });

    for (const p of ['/api/chat/cancel/task_nope', '/api/chat/resume/task_nope']) {
      const r = await s.fetch(p, { method: p.includes('cancel') ? 'POST' : 'GET' });
      expect(r.status).to.equal(404);
      const err = ((await r.json()) as any).error;
      expect(err.data).to.deep.equal({ taskId: 'task_nope', reason: 'unknown' });
      expect(err.message).to.contain('unknown');
    }
  });

  it('GET /openapi.json covers every /api/* and /v1/* route, with path templates, parameters and JSON schemas', async () => {
    const doc = (await (await s.fetch('/openapi.json')).json()) as any;
    const verbs = (p: string) => Object.keys(doc.paths[p] ?? {});
    expect(verbs('/api/chat')).to.deep.equal(['post']);
    expect(verbs('/api/chat/resume/{task_id}')).to.deep.equal(['get']);
    expect(verbs('/api/chat/cancel/{task_id}')).to.deep.equal(['post']);
    expect(verbs('/api/upload')).to.deep.equal(['post']);
    expect(verbs('/api/download/{path}')).to.deep.equal(['get']);
    expect(verbs('/api/workspace/save')).to.deep.equal(['post']);
    expect(verbs('/api/workspace/load')).to.deep.equal(['post']);
    expect(verbs('/v1/chat/completions')).to.deep.equal(['post']);
    expect(verbs('/v1/models')).to.deep.equal(['get']);
    const chat = doc.paths['/api/chat'].post;
    expect(chat.requestBody.content['application/json'].schema.properties).to.have.keys(['messages', 'stream', 'session_id', 'profile']);
    expect(chat.responses['200'].content['application/json'].schema.required).to.include.members(['reply', 'session_id', 'usage']);
    const resumeOp = doc.paths['/api/chat/resume/{task_id}'].get;
    expect(resumeOp.parameters.map((p: any) => `${p.in}:${p.name}`)).to.deep.equal(['path:task_id', 'query:offset', 'header:Last-Event-ID']);
    expect(resumeOp.responses['200'].content).to.have.property('text/event-stream');
    expect(doc.paths['/api/download/{path}'].get.responses).to.include.keys(['200', '206', '403', '416']);
    expect(doc.paths['/v1/chat/completions'].post.responses['200'].content['application/json'].schema.properties.object.const).to.equal('chat.completion');
    // The prefix forms are not listed beside the templates.
    expect(doc.paths).not.to.have.property('/api/chat/resume/');
  });

  it('a second turn in a busy session is 409 before any stream starts', async () => {
    fake.enqueue({ type: 'hang' });
    const c = await chatStream({ messages: [{ role: 'user', content: 'busy' }] });
    const [task] = await c.until((ev) => ev.some((e) => e.event === 'turn_started'));
    const busy = await post('/api/chat', { stream: true, session_id: task.data.session_id, messages: [{ role: 'user', content: 'me too' }] });
    expect(busy.status).to.equal(409);
    await post(`/api/chat/cancel/${task.data.task_id}`, {});
    await ended(c);
  });
});

/** A daemon with a low stream cap and few tasks kept. */
describe('api-proxy (e2e): the task buffer cap and eviction', function () {
  this.timeout(60_000);
  let s: Served;
  let fake: FakeProvider;
  const stream = (content: string) =>
    openSse(`${s.url}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${s.token}` }, body: JSON.stringify({ stream: true, messages: [{ role: 'user', content }] }) });

  before(async () => {
    fake = await startFakeOpenAI();
    s = await spawnServe([], { SWITCHBOARD_STREAM_CAP: '4000', SWITCHBOARD_TASKS_MAX: '2' });
    await createProfile(s, fake);
  });
  after(async () => {
    await s?.stop();
    await fake?.close();
  });

  it('past the cap the stream ends with an explicit truncation error event (live and on resume)', async () => {
    fake.enqueue({ type: 'tokens', count: 400, paced: true });
    const c = await stream('long');
    await c.ended;
    const last = c.events.at(-1)!;
    expect(last.event).to.equal('error');
    expect(last.data.code).to.equal(-32004);
    expect(last.data.data).to.deep.include({ cap: 4000, truncated: true });
    expect(last.data.message).to.contain('SWITCHBOARD_STREAM_CAP');
    contiguous(offsets(c.events), 0);
    const again = await openSse(`${s.url}/api/chat/resume/${c.events[0].data.task_id}`, { headers: { authorization: `Bearer ${s.token}` } });
    await again.ended;
    expect(again.events.map((e) => e.id)).to.deep.equal(c.events.map((e) => e.id));
    expect(again.events.at(-1)!.event).to.equal('error');
  });

  it('at most SWITCHBOARD_TASKS_MAX tasks are kept: the oldest finished is evicted, and its 404 says so', async () => {
    const ids: string[] = [];
    for (const word of ['one', 'two', 'three']) {
      fake.enqueue({ type: 'text', chunks: [word] });
      const c = await stream(word);
      await c.ended;
      ids.push(c.events[0].data.task_id);
    }
    const gone = await s.fetch(`/api/chat/resume/${ids[0]}`);
    expect(gone.status).to.equal(404);
    const err = ((await gone.json()) as any).error;
    expect(err.data).to.deep.equal({ taskId: ids[0], reason: 'evicted' });
    expect(err.message).to.contain('evicted');
    expect((await s.fetch(`/api/chat/resume/${ids[2]}`)).status).to.equal(200);
    expect(existsSync(s.home)).to.equal(true);
  });
});
