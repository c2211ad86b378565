import { expect } from 'chai';
import type { MessageConnection, ResponseError } from 'vscode-jsonrpc/node';
import { z } from 'zod';
import { ErrorCodes } from '../../../src/host/errors.js';
import type { Plugin } from '../../../src/host/plugin.js';
import { ToolRegistryToken, type ToolDefinition } from '../../../src/plugins/tools/contract.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

interface Update {
  sessionId: string;
  update: { sessionUpdate: string; [k: string]: any };
  _meta?: { seq?: number };
}

function collect(client: MessageConnection): Update[] {
  const updates: Update[] = [];
  // Session events only: available_commands_update is per client and carries no seq.
  client.onNotification('session/update', (p: Update) => void (p._meta?.seq !== undefined && updates.push(p)));
  return updates;
}

const textOf = (updates: Update[], kind = 'agent_message_chunk') =>
  updates.filter((u) => u.update.sessionUpdate === kind).map((u) => u.update.content.text).join('');

const executed: unknown[] = [];
const echoTool: ToolDefinition<{ text: string }> = {
  name: 'echo',
  description: 'echoes text',
  kind: 'read',
  parameters: z.object({ text: z.string() }),
  describe: (a) => `Echo ${a.text}`,
  async execute(args, ctx) {
    executed.push(args);
    ctx.progress({ title: 'echoing' });
    return { content: [{ type: 'content', content: { type: 'text', text: `echo: ${args.text}` } }] };
  },
};
const testTools: Plugin = {
  name: 'test-tools',
  dependsOn: ['tools'],
  activate(ctx) {
    return ctx.container.resolve(ToolRegistryToken).register(echoTool);
  },
};

describe('sessions: the turn loop against a fake OpenAI server', () => {
  let t: TestHost;
  let fake: FakeProvider;
  let client: MessageConnection;
  let updates: Update[];

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test-SECRET-123456' });
    t = await createTestHost({ plugins: [testTools] });
    ({ client } = t.connect());
    updates = collect(client);
    await client.sendRequest('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-test-SECRET-123456' });
  });
  after(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(() => (updates.length = 0));

  it('streams a text turn in order and ends with end_turn', async () => {
    fake.enqueue({ type: 'fixture', name: 'openai-text.sse' });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', { cwd: t.home, mcpServers: [] });
    const res = await client.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'hi' }] });
    expect(res).to.deep.equal({ stopReason: 'end_turn' });
    expect(textOf(updates)).to.equal('Hello! How can I help today?');
    const seqs = updates.map((u) => u._meta!.seq!);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    const usage = updates.find((u) => u.update.sessionUpdate === 'usage_update');
    expect(usage?.update.used).to.equal(21);
    const req = fake.requests.at(-1)!;
    expect(req.headers.authorization).to.equal('Bearer sk-test-SECRET-123456');
    expect(req.body.messages).to.deep.equal([{ role: 'user', content: 'hi' }]);
    expect(req.body.stream).to.equal(true);
  });

  it('streams reasoning as agent_thought_chunk', async () => {
    fake.enqueue({ type: 'fixture', name: 'openai-reasoning.sse' });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', { message: 'x' });
    await client.sendRequest('session/prompt', { sessionId, message: 'hello' });
    expect(textOf(updates, 'agent_thought_chunk')).to.equal('The user greets me. A short reply fits.');
    expect(textOf(updates)).to.equal('Hi there!');
  });

  it('runs a tool-call round trip and feeds the result back to the model', async () => {
    fake.enqueue(
      { type: 'tools', calls: [{ id: 'call_1', name: 'echo', args: { text: 'ping' } }] },
      { type: 'text', chunks: ['got ', 'it'] },
    );
    const before = fake.requests.length;
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    const res = await client.sendRequest('session/prompt', { sessionId, message: 'use the tool' });
    expect(res).to.deep.equal({ stopReason: 'end_turn' });
    const first = fake.requests[before].body;
    // The built-in tools (read_file, shell…) are offered too; find the test's own by name.
    const echo = first.tools.find((t: any) => t.function.name === 'echo');
    expect(echo.function.parameters.properties.text.type).to.equal('string');
    const kinds = updates.filter((u) => u.update.sessionUpdate.startsWith('tool_call')).map((u) => `${u.update.sessionUpdate}:${u.update.status}`);
    expect(kinds).to.deep.equal(['tool_call:pending', 'tool_call_update:in_progress', 'tool_call_update:in_progress', 'tool_call_update:completed']);
    const call = updates.find((u) => u.update.sessionUpdate === 'tool_call')!.update;
    expect(call).to.include({ toolCallId: 'call_1', title: 'Echo ping', kind: 'read', status: 'pending' });
    expect(call.rawInput).to.deep.equal({ text: 'ping' });
    const done = updates.find((u) => u.update.status === 'completed')!.update;
    expect(done.content[0].content.text).to.equal('echo: ping');
    const second = fake.requests[before + 1].body;
    expect(second.messages.at(-1)).to.deep.equal({ role: 'tool', tool_call_id: 'call_1', content: 'echo: ping' });
    expect(second.messages.at(-2).tool_calls[0].function).to.deep.equal({ name: 'echo', arguments: '{"text":"ping"}' });
    expect(textOf(updates)).to.equal('got it');
  });

  it('sends bad tool arguments back to the model as a failed tool call', async () => {
    executed.length = 0;
    fake.enqueue({ type: 'tools', calls: [{ id: 'call_bad', name: 'echo', args: { text: 42 } }] }, { type: 'text', chunks: ['sorry'] });
    const before = fake.requests.length;
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    expect(await client.sendRequest('session/prompt', { sessionId, message: 'x' })).to.deep.equal({ stopReason: 'end_turn' });
    expect(executed).to.deep.equal([]);
    const failed = updates.find((u) => u.update.status === 'failed')!.update;
    expect(failed.content[0].content.text).to.match(/invalid arguments for echo: text: .*expected string/);
    expect(fake.requests[before + 1].body.messages.at(-1).content).to.match(/invalid arguments/);
  });

  it('refuses a second prompt while a turn runs, and cancel ends the turn with cancelled', async () => {
    fake.enqueue({ type: 'hang', chunks: ['partial'] });
    const aborted = fake.waitForAbort(fake.aborts + 1);
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    const first = client.sendRequest('session/prompt', { sessionId, message: 'long' });
    await new Promise<void>((resolve) => {
      const check = () => (updates.some((u) => u.update.content?.text === 'partial') ? resolve() : setTimeout(check, 5));
      check();
    });
    const err = await client.sendRequest('session/prompt', { sessionId, message: 'again' }).then(() => null, (e: ResponseError<unknown>) => e);
    expect(err?.code).to.equal(ErrorCodes.Conflict);
    expect(err?.message).to.match(/already running/);
    await client.sendNotification('session/cancel', { sessionId });
    expect(await first).to.deep.equal({ stopReason: 'cancelled' });
    await aborted;
    const history = await client.sendRequest<{ messages: { role: string; text?: string }[] }>('session/history', { sessionId });
    expect(history.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant']);
    expect(history.messages[1].text).to.equal('partial');
  });

  it('maps a 429 with retry-after to RateLimited without leaking the key', async () => {
    fake.enqueue({ type: 'error', status: 429, retryAfter: 7, message: 'Rate limit reached for sk-test-SECRET-123456' });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    const err = await client.sendRequest('session/prompt', { sessionId, message: 'x' }).then(() => null, (e: ResponseError<any>) => e);
    expect(err?.code).to.equal(ErrorCodes.RateLimited);
    expect(err?.message).to.match(/retry after 7 s/);
    expect(err?.data.retryAfterMs).to.equal(7000);
    expect(JSON.stringify(err)).not.to.contain('SECRET');
  });

  it('maps a stream cut mid-way to a clear upstream error', async () => {
    fake.enqueue({ type: 'cut', chunks: ['Hel'] });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    const err = await client.sendRequest('session/prompt', { sessionId, message: 'x' }).then(() => null, (e: ResponseError<any>) => e);
    expect(err?.code).to.equal(ErrorCodes.UpstreamError);
    expect(err?.message).to.match(/ended its stream before the response was complete/);
  });

  it('stops at max_tokens when the model runs out of tokens', async () => {
    fake.enqueue({ type: 'text', chunks: ['trunc'], finish: 'length' });
    const { sessionId } = await client.sendRequest<{ sessionId: string }>('session/new', {});
    expect(await client.sendRequest('session/prompt', { sessionId, message: 'x' })).to.deep.equal({ stopReason: 'max_tokens' });
  });
});

describe('sessions: each session has its own provider instance', () => {
  it('concurrent sessions on one origin keep their own model, key and headers', async () => {
    const fake = await startFakeOpenAI();
    const t = await createTestHost();
    try {
      const { client } = t.connect();
      await client.sendRequest('profiles/create', { name: 'a', provider: 'openai-compatible', model: 'model-a', baseUrl: fake.baseUrl, apiKey: 'key-a', headers: { 'x-tenant': 'ta' } });
      await client.sendRequest('profiles/create', { name: 'b', provider: 'openai-compatible', model: 'model-b', baseUrl: fake.baseUrl, apiKey: 'key-b' });
      const sa = await client.sendRequest<any>('session/new', { profile: 'a' });
      const sb = await client.sendRequest<any>('session/new', { profile: 'b' });
      fake.enqueue({ type: 'hang', chunks: ['a1'] }, { type: 'text', chunks: ['b1'] });
      const pa = client.sendRequest('session/prompt', { sessionId: sa.sessionId, message: 'x' });
      await fake.waitForRequest(1);
      expect(await client.sendRequest('session/prompt', { sessionId: sb.sessionId, message: 'y' })).to.deep.equal({ stopReason: 'end_turn' });
      await client.sendRequest('session/cancel', { sessionId: sa.sessionId });
      await pa;
      const [ra, rb] = fake.requests;
      expect([ra.body.model, ra.headers.authorization, ra.headers['x-tenant']]).to.deep.equal(['model-a', 'Bearer key-a', 'ta']);
      expect([rb.body.model, rb.headers.authorization, rb.headers['x-tenant']]).to.deep.equal(['model-b', 'Bearer key-b', undefined]);
      // A profile change reaches the session's next turn.
      await client.sendRequest('profiles/update', { name: 'b', model: 'model-b2' });
      fake.enqueue({ type: 'text', chunks: ['b2'] });
      await client.sendRequest('session/prompt', { sessionId: sb.sessionId, message: 'z' });
      expect(fake.requests[2].body.model).to.equal('model-b2');
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
