import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { openSse, type SseEvent } from '../../support/sse-client.js';

const seqs = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => Number(e.id));
const text = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'agent_message_chunk').map((e) => e.data.update.content.text).join('');

/** Every route of the engine table that the sessions and profiles plugins declare, through the real daemon. */
describe('switchboard serve (e2e): the engine routes with real sessions and a fake provider', function () {
  let s: Served;
  let fake: FakeProvider;
  let workspace: string;
  let sessionId: string;
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
  const post = (p: string, body?: unknown) => s.fetch(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const message = (id: string, body: object) =>
    openSse(`${s.url}/sessions/${id}/message`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test-secret' });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-ws-'));
    s = await spawnServe();
  });
  after(async () => {
    if (s) await s.stop();
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('profiles: create (201), list and get redacted, update, test, ready; 400 and 404 paths', async () => {
    const created = await json(await post('/profiles', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-test-secret', makeDefault: true }));
    expect(created.status).to.equal(201);
    expect(JSON.stringify(created.body)).not.to.contain('sk-test-secret');
    const bad = await json(await post('/profiles', { name: 'bad name!', provider: 'openai-compatible', model: 'm' }));
    expect(bad.status).to.equal(400);
    const list = await json(await s.fetch('/profiles'));
    expect(list.status).to.equal(200);
    expect(list.body.profiles.map((p: { name: string }) => p.name)).to.include('fake');
    expect(JSON.stringify(list.body)).not.to.contain('sk-test-secret');
    expect((await s.fetch('/profiles/fake')).status).to.equal(200);
    const missing = await json(await s.fetch('/profiles/nope'));
    expect(missing.status).to.equal(404);
    expect(missing.body.error.code).to.equal(-32002);
    const updated = await json(await s.fetch('/profiles/fake', { method: 'PUT', body: JSON.stringify({ temperature: 0.5, apiKey: '[redacted]' }) }));
    expect(updated.status).to.equal(200);
    expect(updated.body.temperature).to.equal(0.5);
    const tested = await json(await post('/profiles/fake/test'));
    expect(tested.status).to.equal(200);
    expect(tested.body.ok).to.equal(true);
    const ready = await json(await s.fetch('/ready'));
    expect(ready.status).to.equal(200);
    expect(ready.body.ready).to.equal(true);
    await post('/profiles', { name: 'doomed', provider: 'openai-compatible', model: 'm' });
    expect((await s.fetch('/profiles/doomed', { method: 'DELETE' })).status).to.equal(200);
    expect((await s.fetch('/profiles/doomed', { method: 'DELETE' })).status).to.equal(404);
  });

  it('sessions: create (201), list, get; 404 for an unknown one', async () => {
    const created = await json(await post('/sessions', { workspace, systemPrompt: 'be brief' }));
    expect(created.status).to.equal(201);
    sessionId = created.body.sessionId;
    expect(created.body.profile).to.equal('fake');
    const list = await json(await s.fetch('/sessions'));
    expect(list.body.sessions.map((x: { sessionId: string }) => x.sessionId)).to.include(sessionId);
    const got = await json(await s.fetch(`/sessions/${sessionId}`));
    expect(got.status).to.equal(200);
    expect(got.body.turnActive).to.equal(false);
    const missing = await json(await s.fetch('/sessions/nope'));
    expect(missing.status).to.equal(404);
    const badProfile = await post('/sessions', { workspace, profile: 'nope' });
    expect(badProfile.status).to.equal(404);
  });

  it('POST /sessions/{id}/message streams the turn (parsed with eventsource-parser) and ends with done', async () => {
    fake.enqueue({ type: 'text', chunks: ['Hel', 'lo', '!'] });
    const sse = await message(sessionId, { message: 'hi' });
    expect(sse.status).to.equal(200);
    await sse.ended;
    const names = sse.events.map((e) => e.event);
    expect(names[0]).to.equal('turn_started');
    expect(names.at(-2)).to.equal('turn_ended');
    expect(names.at(-1)).to.equal('done');
    expect(sse.events.at(-1)?.data.stopReason).to.equal('end_turn');
    expect(text(sse.events)).to.equal('Hello!');
    const ids = seqs(sse.events);
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).to.equal(ids.length);
    // What the provider was sent: the system prompt and the user's message.
    const sent = fake.requests.at(-1)!.body.messages;
    expect(sent[0]).to.deep.include({ role: 'system', content: 'be brief' });
  });

  it('message: 404 unknown session, 400 without a message, 409 while a turn runs; cancel ends it', async () => {
    expect((await post('/sessions/nope/message', { message: 'x' })).status).to.equal(404);
    const empty = await json(await post(`/sessions/${sessionId}/message`, {}));
    expect(empty.status).to.equal(400);
    fake.enqueue({ type: 'hang', chunks: ['wait'] });
    const running = await message(sessionId, { message: 'long one' });
    await running.until((ev) => ev.some((e) => e.event === 'agent_message_chunk'));
    const conflict = await json(await post(`/sessions/${sessionId}/message`, { message: 'again' }));
    expect(conflict.status).to.equal(409);
    expect(conflict.body.error.code).to.equal(-32003);
    const cancelled = await json(await post(`/sessions/${sessionId}/cancel`));
    expect(cancelled.status).to.equal(200);
    await running.ended;
    expect(running.events.at(-1)).to.deep.include({ event: 'done' });
    expect(running.events.at(-1)?.data.stopReason).to.equal('cancelled');
    expect((await post('/sessions/nope/cancel')).status).to.equal(404);
  });

  it('a client that disconnects does not cancel the turn (POST …/cancel does)', async () => {
    const abortsBefore = fake.aborts;
    fake.enqueue({ type: 'hang', chunks: ['still ', 'here'] });
    const sse = await message(sessionId, { message: 'hang on' });
    await sse.until((ev) => text(ev) === 'still here');
    sse.close();
    await sse.ended;
    // Wait until the daemon has seen the stream go, then check the turn is alive.
    let st: any;
    do st = (await json(await s.fetch('/status'))).body;
    while (st.http.sseStreams !== 0);
    expect((await json(await s.fetch(`/sessions/${sessionId}`))).body.turnActive).to.equal(true);
    expect(fake.aborts).to.equal(abortsBefore);
    await post(`/sessions/${sessionId}/cancel`);
    await fake.waitForAbort(abortsBefore + 1);
    let info: any;
    do info = (await json(await s.fetch(`/sessions/${sessionId}`))).body;
    while (info.turnActive);
  });

  it('a client that disconnects mid-stream resumes with Last-Event-ID losing and duplicating nothing', async () => {
    const count = 3000;
    // Paced (one write per token), so the turn is still streaming when the first client leaves;
    // sent whole, a busy machine could finish the turn before the disconnect.
    fake.enqueue({ type: 'tokens', count, token: 'x', paced: true });
    const first = await message(sessionId, { message: 'many tokens' });
    await first.until((ev) => ev.filter((e) => e.event === 'agent_message_chunk').length >= 5);
    first.close();
    await first.ended;
    expect(first.events.some((e) => e.event === 'turn_ended'), 'the turn was still running at the disconnect').to.equal(false);
    const seen = seqs(first.events);
    const resumed = await openSse(`${s.url}/sessions/${sessionId}/events`, {
      headers: { authorization: `Bearer ${s.token}`, 'last-event-id': String(seen.at(-1)) },
    });
    const ended = await resumed.until((ev) => ev.some((e) => e.event === 'turn_ended'));
    resumed.close();
    const all = [...seen, ...seqs(ended)];
    const start = all[0];
    expect(all).to.deep.equal(Array.from({ length: all.length }, (_, i) => start + i));
    expect(text([...first.events, ...ended])).to.equal('x'.repeat(count));
    expect(ended.find((e) => e.event === 'turn_ended')?.data.stopReason).to.equal('end_turn');
  });

  it('GET /sessions/{id}/events?after=N replays then stays live', async () => {
    const info = (await json(await s.fetch(`/sessions/${sessionId}`))).body;
    const tail = await openSse(`${s.url}/sessions/${sessionId}/events?after=${info.lastSeq - 2}`, { headers: { authorization: `Bearer ${s.token}` } });
    await tail.until((ev) => seqs(ev).includes(info.lastSeq));
    fake.enqueue({ type: 'text', chunks: ['live'] });
    const turn = await message(sessionId, { message: 'again' });
    await turn.ended;
    await tail.until((ev) => ev.some((e) => e.event === 'turn_ended' && Number(e.id) > info.lastSeq));
    tail.close();
    const ids = seqs(tail.events);
    expect(ids[0]).to.equal(info.lastSeq - 1);
    expect(ids).to.deep.equal(Array.from({ length: ids.length }, (_, i) => ids[0] + i));
    expect(text(tail.events)).to.contain('live');
    const missing = await s.fetch('/sessions/nope/events');
    expect(missing.status).to.equal(404);
  });

  it('permissions over REST: a pending tool approval streams as a permission event; POST …/permission answers it', async () => {
    const mode = await json(await post(`/sessions/${sessionId}/permissions/mode`, { mode: 'ask' }));
    expect(mode.status).to.equal(200);
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'rest.txt', content: 'via rest' } }] }, { type: 'text', chunks: ['ok'] });
    const sse = await message(sessionId, { message: 'write rest.txt' });
    const [pending] = (await sse.until((ev) => ev.some((e) => e.event === 'permission'))).filter((e) => e.event === 'permission');
    expect(pending.data.state).to.equal('pending');
    const listed = await json(await s.fetch(`/sessions/${sessionId}/permissions`));
    expect(listed.status).to.equal(200);
    expect(listed.body.pending).to.have.length(1);
    const answered = await json(await post(`/sessions/${sessionId}/permission`, { requestId: pending.data.requestId, optionId: 'allow_once' }));
    expect(answered.status).to.equal(200);
    await sse.ended;
    expect(sse.events.at(-1)?.data.stopReason).to.equal('end_turn');
    expect(readFileSync(path.join(workspace, 'rest.txt'), 'utf8')).to.equal('via rest');
    const again = await json(await post(`/sessions/${sessionId}/permission`, { requestId: pending.data.requestId, optionId: 'allow_once' }));
    expect(again.status).to.be.oneOf([404, 409]);
    expect((await s.fetch('/sessions/nope/permissions')).status).to.equal(404);
  });

  it('history: GET shows the conversation, DELETE clears it keeping the system prompt', async () => {
    const history = await json(await s.fetch(`/sessions/${sessionId}/history`));
    expect(history.status).to.equal(200);
    expect(history.body.messages.some((m: { role: string }) => m.role === 'user')).to.equal(true);
    const cleared = await json(await s.fetch(`/sessions/${sessionId}/history`, { method: 'DELETE' }));
    expect(cleared.status).to.equal(200);
    const after = await json(await s.fetch(`/sessions/${sessionId}/history`));
    expect(after.body.messages).to.deep.equal([]);
    expect(after.body.systemPrompt).to.equal('be brief');
    expect((await s.fetch('/sessions/nope/history')).status).to.equal(404);
  });

  it('DELETE /sessions/{id} removes it; a second time is 404', async () => {
    expect((await s.fetch(`/sessions/${sessionId}`, { method: 'DELETE' })).status).to.equal(200);
    expect((await s.fetch(`/sessions/${sessionId}`)).status).to.equal(404);
    expect((await s.fetch(`/sessions/${sessionId}`, { method: 'DELETE' })).status).to.equal(404);
  });

  it('GET /status has the sessions and providers sections and GET /openapi.json every engine route', async () => {
    const st = (await json(await s.fetch('/status'))).body;
    expect(st).to.have.property('sessions');
    expect(st).to.have.property('providers');
    expect(st.plugins.filter((p: { state: string }) => p.state !== 'active')).to.deep.equal([]);
    const doc = (await json(await s.fetch('/openapi.json'))).body;
    for (const p of ['/sessions', '/sessions/{session_id}', '/sessions/{session_id}/message', '/sessions/{session_id}/events', '/profiles/{name}', '/ready']) {
      expect(doc.paths, p).to.have.property(p);
    }
    expect(doc.paths['/sessions'].post.responses).to.have.property('201');
  });
});
