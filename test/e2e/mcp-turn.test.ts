import { acpWire } from '../support/acp-wire.js';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { client as acpClient, type ClientContext } from '@agentclientprotocol/sdk';
import { expect } from 'chai';
import { AcpValidator } from '../support/acp-schema.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';
import { EVERYTHING_BIN, pidAlive, waitFor } from '../plugins/mcp/helpers.js';

const SECRET = 'ev-secret-0123456789';

/** `switchboard stdio` driven by the official ACP client; every message is checked against the ACP schema. */
function connect(home: string, validator: AcpValidator) {
  const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home });
  const updates: any[] = [];
  const { stream, received } = acpWire(cli, validator);
  const asked: any[] = [];
  const app = acpClient({ name: 'switchboard-mcp-e2e' })
    .onNotification('session/update', ({ params }) => void updates.push(params))
    .onRequest('session/request_permission', (c) => {
      asked.push(c.params);
      return { outcome: { outcome: 'selected', optionId: 'reject_once' } };
    });
  return { cli, updates, received, asked, run: <T>(op: (ctx: ClientContext) => Promise<T>) => app.connectWith(stream, op) };
}

describe('e2e: a turn calls an MCP tool of the session (switchboard stdio, ACP client, fake provider, server-everything)', function () {
  this.timeout(40_000);
  const home = tempHome('sb-mcp-turn-');
  let workspace: string;
  let fake: FakeProvider;
  let cli: SpawnedCli | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-turn-ws-')));
  });
  after(async () => {
    await cli?.kill('SIGKILL');
    await fake.close();
    home.remove();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('connects session/new mcpServers, runs their tools in turns (text, image, permission, cancel), and stops them on shutdown; after a restart, session/load reconnects them', async () => {
    const validator = new AcpValidator();
    const wire = connect(home.dir, validator);
    cli = wire.cli;
    const forCall = (id: string) => wire.updates.filter((u) => u.update.toolCallId === id).map((u) => u.update);
    let pid = 0;
    let sessionIdOut = '';

    await wire.run(async (ctx) => {
      const init = await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      expect(init.agentCapabilities?.mcpCapabilities).to.deep.equal({ http: true, sse: true });
      await ctx.request('profiles/create', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-fake' });
      const { sessionId } = await ctx.request('session/new', {
        cwd: workspace,
        mcpServers: [{ name: 'everything', command: EVERYTHING_BIN, args: ['stdio'], env: [{ name: 'EV_SECRET', value: SECRET }] }],
      });
      sessionIdOut = sessionId;

      // The server connects at session start; its tools are the session's.
      let status: any;
      for (let i = 0; i < 500 && status?.servers?.[0]?.status !== 'connected'; i++) {
        status = await ctx.request<any>('mcp/session_status', { sessionId });
        if (status.servers[0]?.status !== 'connected') await new Promise((r) => setTimeout(r, 20));
      }
      expect(status.servers[0]).to.deep.include({ name: 'everything', status: 'connected', transport: 'stdio' });
      pid = status.servers[0].pid;
      expect(pidAlive(pid)).to.equal(true);

      // 1. The model calls everything__echo; the result reaches the client and goes back to the model.
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_echo', name: 'everything__echo', args: { message: 'through MCP' } }] }, { type: 'text', chunks: ['done'] });
      expect((await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'echo' }] })).stopReason).to.equal('end_turn');
      const offered = fake.requests.at(-2)!.body.tools.find((t: any) => t.function.name === 'everything__echo');
      expect(offered.function.parameters).to.deep.include({ type: 'object', required: ['message'] });
      const echo = forCall('call_echo');
      expect(echo[0]).to.deep.include({ sessionUpdate: 'tool_call', kind: 'read', status: 'pending' });
      expect(echo.at(-1)).to.deep.include({ status: 'completed', content: [{ type: 'content', content: { type: 'text', text: 'Echo: through MCP' } }] });
      expect(fake.requests.at(-1)!.body.messages.at(-1)).to.deep.equal({ role: 'tool', tool_call_id: 'call_echo', content: 'Echo: through MCP' });

      // 2. An image result reaches the client as ACP image content.
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_img', name: 'everything__get-tiny-image', args: {} }] }, { type: 'text', chunks: ['nice'] });
      await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'image' }] });
      const image = forCall('call_img').at(-1).content.map((c: any) => c.content).find((b: any) => b.type === 'image');
      expect(image.mimeType).to.equal('image/png');
      expect(image.data.length).to.be.greaterThan(100);

      // 3. A tool the server does not mark read-only is kind `other`: ask mode asks the person first.
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_other', name: 'everything__toggle-simulated-logging', args: {} }] }, { type: 'text', chunks: ['ok'] });
      await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'toggle' }] });
      expect(wire.asked.map((a) => a.toolCall.toolCallId)).to.deep.equal(['call_other']);
      expect(wire.asked[0].toolCall.kind).to.equal('other');
      expect(forCall('call_other').at(-1).status).to.equal('failed');
      expect(fake.requests.at(-1)!.body.messages.at(-1).content).to.match(/denied/);

      // 4. Cancelling the turn cancels the MCP call in flight.
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_long', name: 'everything__trigger-long-running-operation', args: { duration: 30, steps: 30 } }] });
      const started = Date.now();
      const pending = ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'long' }] });
      await waitFor(() => forCall('call_long').some((u) => u.status === 'in_progress'), 'the long MCP call to start');
      await ctx.notify('session/cancel', { sessionId });
      expect((await pending).stopReason).to.equal('cancelled');
      expect(Date.now() - started).to.be.below(15_000);
      // The connection is still good for the next call.
      fake.enqueue({ type: 'tools', calls: [{ id: 'call_sum', name: 'everything__get-sum', args: { a: 2, b: 40 } }] }, { type: 'text', chunks: ['42'] });
      await ctx.request('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'sum' }] });
      expect(fake.requests.at(-1)!.body.messages.at(-1).content).to.match(/42/);
    });

    // Daemon shutdown leaves no MCP server behind.
    expect(await wire.cli.kill('SIGTERM')).to.deep.include({ code: 0 });
    expect(pidAlive(pid)).to.equal(false);
    expect(validator.problems).to.deep.equal([]);
    expect(wire.cli.stderr()).to.contain('MCP server connected');
    expect(wire.cli.stderr()).not.to.contain(SECRET);
    expect(wire.received.filter((line) => line.includes(SECRET))).to.deep.equal([]);

    // A restarted daemon starts no server for a restored session until the session is used;
    // session/load (what an ACP editor sends to resume) reconnects its servers.
    const again = connect(home.dir, new AcpValidator());
    cli = again.cli;
    let restored = 0;
    await again.run(async (ctx) => {
      await ctx.request('initialize', { protocolVersion: 1, clientCapabilities: {} });
      const dormant = await ctx.request<any>('mcp/session_status', { sessionId: sessionIdOut });
      expect(dormant.servers).to.deep.equal([]);
      await ctx.request('session/load', { sessionId: sessionIdOut, cwd: workspace, mcpServers: [] });
      let status: any;
      for (let i = 0; i < 500 && status?.servers?.[0]?.status !== 'connected'; i++) {
        status = await ctx.request<any>('mcp/session_status', { sessionId: sessionIdOut });
        if (status.servers[0]?.status !== 'connected') await new Promise((r) => setTimeout(r, 20));
      }
      expect(status.servers[0]).to.deep.include({ name: 'everything', status: 'connected' });
      restored = status.servers[0].pid;
      expect(restored).to.not.equal(pid);
    });
    await again.cli.kill('SIGTERM');
    expect(pidAlive(restored)).to.equal(false);
  });
});
