import { expect } from 'chai';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { client as acpClient } from '@agentclientprotocol/sdk';
import { createWebSocketStream } from '@agentclientprotocol/sdk/experimental/ws-client';
import OpenAI from 'openai';
import { WebSocket } from 'ws';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { openSse } from '../../support/sse-client.js';

async function setup(env: Record<string, string> = {}) {
  const fake = await startFakeOpenAI();
  const s = await spawnServe([], env);
  const res = await s.fetch('/profiles', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
  });
  expect(res.status).to.equal(201);
  // The official client, pointed at the daemon; the token is its API key (a Bearer header).
  const client = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: s.token, maxRetries: 0, timeout: 30_000 });
  return { fake, s, client };
}

/** `/v1/chat/completions` and `/v1/models` driven by the official `openai` npm client. */
describe('openai-compat (e2e): the official openai client against switchboard serve', function () {
  this.timeout(60_000);
  let s: Served;
  let fake: FakeProvider;
  let client: OpenAI;
  let workspace: string;

  before(async () => {
    ({ s, fake, client } = await setup());
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-oai-')));
    writeFileSync(path.join(workspace, 'notes.txt'), 'the answer is 42\n');
  });
  after(async () => {
    await s?.stop();
    await fake?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('models.list(): one model per profile', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    // The built-in `local` profile (Ollama) and the one created here.
    expect(models.map((m) => m.id)).to.have.members(['local', 'fake']);
    expect(models[0].object).to.equal('model');
    // The legacy header works here as on every route.
    expect((await fetch(`${s.url}/v1/models`, { headers: { 'x-ghost-key': s.token } })).status).to.equal(200);
  });

  it('non-stream, with a tool call run inside the turn (read_file in the reused session\'s workspace)', async () => {
    const created = (await (await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ workspace }) })).json()) as any;
    fake.enqueue({ type: 'tools', calls: [{ name: 'read_file', args: { path: 'notes.txt' } }] }, { type: 'text', chunks: ['It is ', '42.'], usage: { input: 30, output: 4 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'fake', messages: [{ role: 'user', content: 'what is the answer?' }] }, { headers: { 'X-Switchboard-Session': created.sessionId } })
      .withResponse();
    expect(response.headers.get('x-switchboard-session')).to.equal(created.sessionId);
    expect(data.object).to.equal('chat.completion');
    expect(data.choices[0].message.role).to.equal('assistant');
    expect(data.choices[0].message.content).to.equal('It is 42.');
    expect(data.choices[0].finish_reason).to.equal('stop');
    // The usage of both model requests of the turn (the fake's tool round counts 20 + 10).
    expect(data.usage).to.deep.equal({ prompt_tokens: 50, completion_tokens: 14, total_tokens: 64 });
    const toolResult = fake.requests.at(-1)!.body.messages.find((m: any) => m.role === 'tool');
    expect(toolResult.content).to.contain('the answer is 42');
    // The turn is in the session's history like any other.
    const history = (await (await s.fetch(`/sessions/${created.sessionId}/history`)).json()) as any;
    expect(history.messages.map((m: any) => m.role)).to.deep.equal(['user', 'assistant', 'tool', 'assistant']);
  });

  it('stream with include_usage: chunks, finish_reason, a usage chunk and [DONE]; a tool that must ask waits for an attached client\'s answer', async () => {
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'out.txt', content: 'streamed' } }] }, { type: 'text', chunks: ['Saved', ' it', '.'] });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'fake',
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'developer', content: 'be terse' },
          { role: 'user', content: 'save it' },
        ],
      })
      .withResponse();
    const sessionId = response.headers.get('x-switchboard-session')!;
    // Ask mode: write_file waits. Answer as another client would (REST), from the session's event stream.
    const events = await openSse(`${s.url}/sessions/${sessionId}/events?after=0`, { headers: { authorization: `Bearer ${s.token}` } });
    const pending = (await events.until((ev) => ev.some((e) => e.event === 'permission'))).find((e) => e.event === 'permission')!;
    events.close();
    const answered = await s.fetch(`/sessions/${sessionId}/permission`, { method: 'POST', body: JSON.stringify({ requestId: pending.data.requestId, optionId: 'allow_once' }) });
    expect(answered.status).to.equal(200);
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).to.equal('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).to.equal(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).to.equal('Saved it.');
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish!.choices[0].finish_reason).to.equal('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).to.deep.equal([]);
    expect(last.usage!.total_tokens).to.be.greaterThan(0);
    const ws = ((await (await s.fetch(`/sessions/${sessionId}`)).json()) as any).workspace;
    expect(readFileSync(path.join(ws, 'out.txt'), 'utf8')).to.equal('streamed');
    expect(fake.requests.at(-2)!.body.messages[0]).to.deep.include({ role: 'system', content: 'be terse' });
  });

  it('a tool that must ask is answered by an ACP client attached over /ws (session/request_permission)', async () => {
    const asked: any[] = [];
    const app = acpClient({ name: 'oai-ws-attached' }).onRequest('session/request_permission', (ctx) => {
      asked.push(ctx.params);
      return { outcome: { outcome: 'selected', optionId: ctx.params.options.find((o) => o.kind === 'allow_once')!.optionId } };
    });
    const stream = createWebSocketStream(s.url.replace('http:', 'ws:') + '/ws', { WebSocket: WebSocket as never, headers: { authorization: `Bearer ${s.token}` } });
    const { content, sessionId } = await app.connectWith(stream, async (agent) => {
      await agent.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      const session = await agent.request('session/new', { cwd: workspace, mcpServers: [] });
      fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'from-acp.txt', content: 'approved over ws' } }] }, { type: 'text', chunks: ['Approved.'] });
      const r = await client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'write it' }] }, { headers: { 'X-Switchboard-Session': session.sessionId } });
      return { content: r.choices[0].message.content, sessionId: session.sessionId };
    });
    expect(content).to.equal('Approved.');
    expect(asked).to.have.length(1);
    expect(asked[0].sessionId).to.equal(sessionId);
    expect(readFileSync(path.join(workspace, 'from-acp.txt'), 'utf8')).to.equal('approved over ws');
  });

  it('the raw stream ends with data: [DONE]; without include_usage no usage chunk', async () => {
    fake.enqueue({ type: 'text', chunks: ['x'] });
    const res = await s.fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'fake', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const body = await res.text();
    expect(res.headers.get('content-type')).to.contain('text/event-stream');
    const frames = body.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).to.equal('data: [DONE]');
    expect(body).not.to.contain('"usage"');
  });

  it('a provider failing mid-turn: the stream carries the error and the client throws', async () => {
    fake.enqueue({ type: 'cut', chunks: ['partial'] });
    const stream = await client.chat.completions.create({ model: 'fake', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const got: string[] = [];
    let failure: unknown;
    try {
      for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
    } catch (err) {
      failure = err;
    }
    expect(failure).to.be.instanceOf(OpenAI.APIError);
    expect(got.join('')).to.equal('partial');
  });

  it('errors the client understands: unknown model 404, client-side tools 400, 501 messages 413, no token 401, unknown session 404', async () => {
    const fails = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return err as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error('expected a failure');
    };
    const unknown = await fails(client.chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(unknown).to.be.instanceOf(OpenAI.NotFoundError);
    expect(unknown.message).to.contain('/v1/models');
    const tools = await fails(
      client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }),
    );
    expect(tools).to.be.instanceOf(OpenAI.BadRequestError);
    const many = Array.from({ length: 501 }, () => ({ role: 'user' as const, content: 'x' }));
    const big = await fails(client.chat.completions.create({ model: 'fake', messages: many }));
    expect(big.status).to.equal(413);
    const anon = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    expect(await fails(anon.models.list())).to.be.instanceOf(OpenAI.AuthenticationError);
    const noSession = await fails(client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-Switchboard-Session': 'sess_nope' } }));
    expect(noSession.status).to.equal(404);
  });
});

describe('openai-compat (e2e): a permission prompt nobody answers', function () {
  this.timeout(60_000);
  it('is rejected when it times out; the client gets the assistant\'s text about it', async () => {
    const { s, fake, client } = await setup({ SWITCHBOARD_PERMISSION_TIMEOUT_MS: '300' });
    try {
      fake.enqueue({ type: 'tools', calls: [{ name: 'shell', args: { command: 'touch should-not-exist' } }] }, { type: 'text', chunks: ['I could not run it.'] });
      const done = await client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: 'run it' }] });
      expect(done.choices[0].message.content).to.equal('I could not run it.');
      const tool = fake.requests.at(-1)!.body.messages.find((m: any) => m.role === 'tool');
      expect(tool.content).to.match(/denied|timed out|no answer/i);
    } finally {
      await s.stop();
      await fake.close();
    }
  });
});
