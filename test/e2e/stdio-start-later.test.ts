import { expect } from 'chai';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { LineReader } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

/**
 * `switchboard stdio` answers an editor's first calls from the plugins they need, and starts the
 * others (hub, logs, voice, the /api proxy, the OpenAI-compatible API) right after
 * (`Host.startLater`). A client sees no difference: calls of those plugins made at once, even
 * in the same write as `initialize`, are answered once they are in; discovery lists them all.
 */
describe('e2e: switchboard stdio starts some plugins after its first answer', function () {
  this.timeout(60_000);
  let home: ReturnType<typeof tempHome>;
  let cli: SpawnedCli | undefined;

  beforeEach(() => (home = tempHome()));
  afterEach(async () => {
    await cli?.kill('SIGKILL');
    home.remove();
  });

  const frame = (id: number, method: string, params?: unknown) => `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;

  it('answers initialize, and calls of the later plugins sent with it, each with its real result', async () => {
    cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_LOG_LEVEL: 'warn' });
    const lines = new LineReader(cli.child.stdout);
    // One write: the later plugins' methods arrive before the host knows them.
    cli.child.stdin.write(
      frame(1, 'initialize', { protocolVersion: 1, clientCapabilities: {} }) +
        frame(2, 'hub/agents') +
        frame(3, 'logs/files') +
        frame(4, 'voice/status') +
        frame(5, 'host/plugins') +
        frame(6, 'no/such_method'),
    );
    const answers = new Map<number, any>();
    while (answers.size < 6) {
      const msg = await lines.nextJson();
      answers.set(msg.id, msg);
    }
    const caps = answers.get(1).result.agentCapabilities;
    expect(caps.loadSession).to.equal(true);
    expect(caps.mcpCapabilities).to.deep.equal({ http: true, sse: true });
    expect(caps.sessionCapabilities).to.have.keys('list', 'delete', 'resume', 'close', 'additionalDirectories');

    const self = answers.get(2).result.agents.find((a: { self: boolean }) => a.self);
    expect(self.kind).to.equal('stdio');
    expect(self.pid).to.equal(cli.child.pid);
    expect(answers.get(3).result, JSON.stringify(answers.get(3))).to.be.an('object');
    expect(answers.get(4).error, JSON.stringify(answers.get(4))).to.equal(undefined);

    const plugins = answers.get(5).result.plugins as { name: string; state: string }[];
    expect(plugins.map((p) => p.name)).to.include.members(['host', 'sessions', 'mcp', 'logs', 'api-proxy', 'openai-compat', 'voice', 'hub']);
    expect(plugins.filter((p) => p.state !== 'active')).to.deep.equal([]);

    expect(answers.get(6).error.code).to.equal(-32601);
    cli.child.stdin.end();
    expect((await cli.exited).code).to.equal(0);
  });

  it('lists the later plugins\' methods and events in host/methods, and subscribes to their events', async () => {
    cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_LOG_LEVEL: 'warn' });
    const lines = new LineReader(cli.child.stdout);
    cli.child.stdin.write(frame(1, 'host/methods') + frame(2, 'host/subscribe', { events: ['hub/event'] }));
    const methods = await lines.nextJson();
    const names = methods.result.methods.map((m: { name: string }) => m.name);
    expect(names).to.include.members(['initialize', 'session/new', 'hub/agents', 'logs/tail', 'voice/speak']);
    expect(methods.result.events.map((e: { name: string }) => e.name)).to.include('hub/event');
    const subscribed = await lines.nextJson();
    expect(subscribed.result, JSON.stringify(subscribed)).to.deep.equal({ events: ['hub/event'] });
  });
});
