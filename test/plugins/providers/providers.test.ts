import { expect } from 'chai';
import { ErrorCodes, RpcError } from '../../../src/host/errors.js';
import { AnthropicProvider, toAnthropicMessages } from '../../../src/plugins/providers/anthropic.js';
import type { ChatRequest, Provider, ProviderEvent } from '../../../src/plugins/providers/contract.js';
import { AgentPool } from '../../../src/plugins/providers/http.js';
import { OpenAIProvider } from '../../../src/plugins/providers/openai.js';
import { startFakeAnthropic, startFakeOpenAI, type FakeProvider } from '../../support/fake-provider.js';

const KEY = 'sk-ant-SECRET-abcdef123456';
const req: ChatRequest = { system: 'be brief', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], tools: [] };

async function drain(p: Provider, signal = new AbortController().signal): Promise<ProviderEvent[]> {
  const out: ProviderEvent[] = [];
  for await (const batch of p.stream(req, signal)) out.push(...batch);
  return out;
}

async function failure(p: Provider): Promise<RpcError> {
  try {
    await drain(p);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('expected the stream to fail');
}

const texts = (evs: ProviderEvent[], type: 'text' | 'thinking') => evs.filter((e) => e.type === type).map((e) => (e as { text: string }).text).join('');

describe('providers: streaming parsers against the recorded wire formats', () => {
  const pool = new AgentPool();
  let oa: FakeProvider;
  let an: FakeProvider;
  let openai: Provider;
  let anthropic: Provider;
  before(async () => {
    oa = await startFakeOpenAI({ apiKey: KEY });
    an = await startFakeAnthropic({ apiKey: KEY });
    openai = new OpenAIProvider({ profile: 'oa', kind: 'openai-compatible', model: 'gpt-x', baseUrl: oa.baseUrl, apiKey: KEY }, pool);
    anthropic = new AnthropicProvider({ profile: 'an', kind: 'anthropic', model: 'claude-x', baseUrl: an.baseUrl, apiKey: KEY }, pool);
  });
  after(async () => {
    await pool.dispose();
    await oa.close();
    await an.close();
  });

  it('OpenAI: parallel tool calls with arguments split across chunks', async () => {
    oa.enqueue({ type: 'fixture', name: 'openai-tool-calls.sse' });
    const evs = await drain(openai);
    const calls = evs.filter((e) => e.type === 'tool_call').map((e) => (e as { call: unknown }).call);
    expect(calls).to.deep.equal([
      { id: 'call_Xa91kPq3', name: 'read_file', arguments: '{"path": "src/main.ts"}' },
      { id: 'call_Lm27vRt8', name: 'list_directory', arguments: '{"path": "test"}' },
    ]);
    expect(evs.at(-1)).to.deep.equal({ type: 'finish', reason: 'tool_calls' });
    expect(evs).to.deep.include({ type: 'usage', inputTokens: 211, outputTokens: 48 });
    const sent = oa.requests.at(-1)!.body;
    expect(sent.messages[0]).to.deep.equal({ role: 'system', content: 'be brief' });
    expect(sent.stream_options).to.deep.equal({ include_usage: true });
  });

  it('Anthropic: thinking, text and a tool_use block with streamed JSON input', async () => {
    an.enqueue({ type: 'fixture', name: 'anthropic-thinking-tool.sse' });
    const evs = await drain(anthropic);
    expect(texts(evs, 'thinking')).to.equal("I need the file's contents before I can answer.");
    expect(texts(evs, 'text')).to.equal('Let me read that file.');
    expect(evs).to.deep.include({ type: 'thinking_signature', signature: 'EqQBCkgIARABGAIiQL2xR8v0wYcTqP3nZ0q9mJ' });
    expect(evs).to.deep.include({ type: 'tool_call', call: { id: 'toolu_01T1x4Fj9Qw', name: 'read_file', arguments: '{"path": "src/main.ts"}' } });
    expect(evs).to.deep.include({ type: 'usage', inputTokens: 472, outputTokens: 87 });
    expect(evs.at(-1)).to.deep.equal({ type: 'finish', reason: 'tool_calls' });
    const r = an.requests.at(-1)!;
    expect(r.headers['x-api-key']).to.equal(KEY);
    expect(r.headers['anthropic-version']).to.equal('2023-06-01');
    expect(r.body.system).to.equal('be brief');
    expect(r.body.max_tokens).to.be.a('number');
  });

  it('Anthropic: plain text ending with end_turn', async () => {
    an.enqueue({ type: 'fixture', name: 'anthropic-text.sse' });
    const evs = await drain(anthropic);
    expect(texts(evs, 'text')).to.equal('Hello! How can I help?');
    expect(evs.at(-1)).to.deep.equal({ type: 'finish', reason: 'stop' });
  });

  it('Anthropic: an error event mid-stream becomes an UpstreamError', async () => {
    an.enqueue({ type: 'fixture', name: 'anthropic-overloaded.sse' });
    const err = await failure(anthropic);
    expect(err.code).to.equal(ErrorCodes.UpstreamError);
    expect(err.message).to.match(/overloaded_error: Overloaded/);
  });

  it('401 names the profile and never the key', async () => {
    const bad = new OpenAIProvider({ profile: 'oa', kind: 'openai-compatible', model: 'm', baseUrl: oa.baseUrl, apiKey: 'sk-WRONG-key-000000000' }, pool);
    const err = await failure(bad);
    expect(err.code).to.equal(ErrorCodes.UpstreamError);
    expect(err.message).to.match(/rejected the credentials of profile "oa" \(HTTP 401/);
    expect(JSON.stringify(err.toJSON())).not.to.match(/WRONG|SECRET/);
  });

  it('Anthropic 429 with retry-after and 529 overloaded', async () => {
    an.enqueue({ type: 'error', status: 429, retryAfter: 3 }, { type: 'error', status: 529, message: 'Overloaded' });
    const limited = await failure(anthropic);
    expect(limited.code).to.equal(ErrorCodes.RateLimited);
    expect((limited.data as { retryAfterMs: number }).retryAfterMs).to.equal(3000);
    const overloaded = await failure(anthropic);
    expect(overloaded.code).to.equal(ErrorCodes.UpstreamError);
    expect(overloaded.message).to.match(/HTTP 529: Overloaded/);
  });

  it('a cut Anthropic stream is reported, not taken as a complete answer', async () => {
    an.enqueue({ type: 'cut', chunks: ['Hal'] });
    const err = await failure(anthropic);
    expect(err.message).to.match(/ended its stream before the response was complete/);
  });

  it('aborting the signal aborts the HTTP request at once', async () => {
    oa.enqueue({ type: 'hang', chunks: ['x'] });
    const ac = new AbortController();
    const got: ProviderEvent[] = [];
    const abortedOnServer = oa.waitForAbort(oa.aborts + 1);
    const run = (async () => {
      for await (const batch of openai.stream(req, ac.signal)) {
        got.push(...batch);
        ac.abort();
      }
    })();
    const err = await run.then(() => null, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    await abortedOnServer;
    expect(texts(got, 'text')).to.equal('x');
  });

  it('an unreachable provider says how to add a profile', async () => {
    const p = new OpenAIProvider({ profile: 'local', kind: 'ollama', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' }, pool);
    const err = await failure(p);
    expect(err.message).to.match(/cannot reach the provider of profile "local" at http:\/\/127\.0\.0\.1:9\/v1 \(ECONNREFUSED\)/);
    expect(err.message).to.match(/profiles\/create/);
    expect(err.message).to.match(/POST \/profiles/);
  });

  it('translates history with tool results for Anthropic (alternating roles, tool_result in user turns)', () => {
    const msgs = toAnthropicMessages([
      { role: 'user', content: [{ type: 'text', text: 'read it' }] },
      { role: 'assistant', text: 'ok', thinking: 't', thinkingSignature: 's', toolCalls: [{ id: 'a', name: 'r', arguments: '{"p":1}' }, { id: 'b', name: 'r', arguments: '' }] },
      { role: 'tool', toolCallId: 'a', name: 'r', content: 'A' },
      { role: 'tool', toolCallId: 'b', name: 'r', content: 'B', isError: true },
    ]);
    expect(msgs.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(msgs[1].content[0]).to.deep.equal({ type: 'thinking', thinking: 't', signature: 's' });
    expect(msgs[1].content[2]).to.deep.equal({ type: 'tool_use', id: 'a', name: 'r', input: { p: 1 } });
    expect(msgs[2].content).to.deep.equal([
      { type: 'tool_result', tool_use_id: 'a', content: 'A' },
      { type: 'tool_result', tool_use_id: 'b', content: 'B', is_error: true },
    ]);
  });

  it('OpenAI-compatible servers that omit tool-call indexes or ignore stream: true', async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    oa.enqueue({
      type: 'raw',
      body:
        chunk({ tool_calls: [{ id: 'c1', function: { name: 'a', arguments: '{"x":' } }] }) +
        chunk({ tool_calls: [{ function: { arguments: '1}' } }] }) +
        chunk({ tool_calls: [{ id: 'c2', function: { name: 'b', arguments: '{}' } }] }) +
        chunk({}, 'stop'),
    });
    const evs = await drain(openai);
    expect(evs.filter((e) => e.type === 'tool_call').map((e) => (e as any).call)).to.deep.equal([
      { id: 'c1', name: 'a', arguments: '{"x":1}' },
      { id: 'c2', name: 'b', arguments: '{}' },
    ]);
    expect(evs.at(-1)).to.deep.equal({ type: 'finish', reason: 'tool_calls' });
    oa.enqueue({
      type: 'raw',
      contentType: 'application/json',
      body: JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } }),
    });
    expect(await drain(openai)).to.deep.equal([
      { type: 'text', text: 'whole answer' },
      { type: 'usage', inputTokens: 3, outputTokens: 2 },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('lists models for profiles/test (both kinds)', async () => {
    expect(await openai.listModels(new AbortController().signal)).to.deep.equal({ models: ['fake-model'] });
    expect(await anthropic.listModels(new AbortController().signal)).to.deep.equal({ models: ['fake-model'] });
  });
});
