import { acpWire } from '../support/acp-wire.js';
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { client as acpClient, type ClientContext } from '@agentclientprotocol/sdk';
import { AcpValidator } from '../support/acp-schema.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { ROOT, spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

const SECRET = 'sk-e2e-TOPSECRET-0123456789abcdef';

/** A custom plugin (loaded from $SWITCHBOARD_HOME/plugins like any user's) that adds an `echo` tool. */
function writeEchoPlugin(home: string): void {
  const dir = path.join(home, 'plugins', 'echo-tool');
  mkdirSync(dir, { recursive: true });
  const contract = pathToFileURL(path.join(ROOT, 'dist', 'src', 'plugins', 'tools', 'contract.js')).href;
  writeFileSync(
    path.join(dir, 'index.js'),
    `import { ToolRegistryToken } from ${JSON.stringify(contract)};
export default {
  name: 'echo-tool',
  dependsOn: ['tools'],
  activate(ctx) {
    return ctx.container.resolve(ToolRegistryToken).register({
      name: 'echo', description: 'Echoes text', kind: 'read',
      parameters: { safeParse: (v) => typeof v?.text === 'string' ? { success: true, data: v } : { success: false, error: { issues: [{ path: ['text'], message: 'expected string' }] } } },
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      describe: (a) => 'Echo ' + a.text,
      async execute(args) { return { content: [{ type: 'content', content: { type: 'text', text: 'echo: ' + args.text } }] }; },
    });
  },
};
`,
  );
}

interface Wire {
  cli: SpawnedCli;
  received: string[];
  updates: any[];
  run<T>(op: (ctx: ClientContext) => Promise<T>): Promise<T>;
}

/** Spawns `switchboard stdio` and wires the official ACP client to it, validating every message. */
function connect(home: string, validator: AcpValidator): Wire {
  const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home });
  const updates: any[] = [];
  const { stream, received } = acpWire(cli, validator);
  const app = acpClient({ name: 'switchboard-e2e' }).onNotification('session/update', ({ params }) => void updates.push(params));
  return { cli, received, updates, run: (op) => app.connectWith(stream, op) };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const textOf = (updates: any[], kind = 'agent_message_chunk') =>
  updates.filter((u) => u.update.sessionUpdate === kind).map((u) => u.update.content.text).join('');

describe('e2e: switchboard stdio driven by the official ACP client', function () {
  this.timeout(30_000);
  const home = tempHome('sb-acp-');
  const validator = new AcpValidator();
  let fake: FakeProvider;
  const spawned: SpawnedCli[] = [];
  let sessionId = '';

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: SECRET });
    writeEchoPlugin(home.dir);
  });
  after(async () => {
    for (const c of spawned) await c.kill('SIGKILL');
    await fake.close();
    home.remove();
  });

  it('new session, an ordered streamed prompt, a tool round trip and cancel; then load after a kill', async () => {
    const first = connect(home.dir, validator);
    spawned.push(first.cli);
    await first.run(async (ctx) => {
      const init = await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      expect(init.protocolVersion).to.equal(1);
      expect(init.agentCapabilities?.loadSession).to.equal(true);
      expect(init.agentCapabilities?.sessionCapabilities).to.deep.include({ list: {}, delete: {} });
      const profile = await ctx.request<any>('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: SECRET });
      expect(profile.apiKey).to.equal('[redacted]');

      const created = await ctx.request('session/new', { cwd: home.dir, mcpServers: [] });
      sessionId = created.sessionId;
      expect(sessionId).to.match(/^sess_/);

      // 1. A streamed text turn: chunks whole and in order, seq increasing.
      const words = Array.from({ length: 40 }, (_, i) => `w${i} `);
      fake.enqueue({ type: 'text', chunks: words });
      const res = await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'count' }] });
      expect(res.stopReason).to.equal('end_turn');
      expect(textOf(first.updates)).to.equal(words.join(''));
      const seqs = first.updates.filter((u) => u._meta?.seq !== undefined).map((u) => u._meta.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));

      // 2. A tool-call round trip through the custom plugin's tool.
      first.updates.length = 0;
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_e2e', name: 'echo', args: { text: 'ping' } }] }, { type: 'text', chunks: ['pong'] });
      expect((await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'echo ping' }] })).stopReason).to.equal('end_turn');
      const tool = first.updates.filter((u) => u.update.toolCallId === 'call_e2e').map((u) => u.update.status);
      expect(tool[0]).to.equal('pending');
      expect(tool.at(-1)).to.equal('completed');
      expect(fake.requests.at(-1)!.body.messages.at(-1)).to.deep.equal({ role: 'tool', tool_call_id: 'call_e2e', content: 'echo: ping' });

      // 3. Cancel: a hanging provider stream ends promptly with `cancelled`.
      first.updates.length = 0;
      fake.enqueue({ type: 'hang', chunks: ['thinking about it'] });
      const pending = ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'hang' }] });
      await until(() => textOf(first.updates).includes('thinking about it'), 'the first chunk of the hanging turn');
      await ctx.notify('session/cancel', { sessionId });
      expect((await pending).stopReason).to.equal('cancelled');
    });
    expect(validator.problems).to.deep.equal([]);

    // Kill the daemon hard, restart it, and load the session: the history is replayed.
    await first.cli.kill('SIGKILL');
    const second = connect(home.dir, validator);
    spawned.push(second.cli);
    await second.run(async (ctx) => {
      await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      const listed = await ctx.request('session/list', {});
      expect(listed.sessions.map((s) => s.sessionId)).to.include(sessionId);
      await ctx.request('session/load', { sessionId, cwd: home.dir, mcpServers: [] });
      const users = second.updates.filter((u) => u.update.sessionUpdate === 'user_message_chunk').map((u) => u.update.content.text);
      expect(users).to.deep.equal(['count', 'echo ping', 'hang']);
      expect(textOf(second.updates)).to.equal(Array.from({ length: 40 }, (_, i) => `w${i} `).join('') + 'pongthinking about it');
      const call = second.updates.find((u) => u.update.sessionUpdate === 'tool_call');
      expect(call.update).to.deep.include({ toolCallId: 'call_e2e', status: 'completed' });
    });
    await second.cli.kill('SIGTERM');

    expect(validator.problems).to.deep.equal([]);
    expect(validator.checked).to.be.greaterThan(20);
    for (const line of [...first.received, ...second.received]) expect(line).not.to.contain(SECRET);
    const log = first.cli.stderr() + second.cli.stderr();
    expect(log).to.contain('profile created');
    expect(log).not.to.contain(SECRET);
    expect(log).not.to.contain('TOPSECRET');
  });
});
