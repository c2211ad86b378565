import { expect } from 'chai';
import { CancellationTokenSource, type ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../src/host/errors.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { LineReader, installTestPlugins, lspStyleClient } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';

describe('switchboard stdio (end to end)', () => {
  let home: ReturnType<typeof tempHome>;
  const running: SpawnedCli[] = [];
  beforeEach(() => {
    home = tempHome();
    installTestPlugins(home.dir, ['slow', 'broken']);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.kill('SIGKILL')));
    home.remove();
  });

  describe('Content-Length framing, vscode-jsonrpc client', () => {
    it('answers initialize, discovery and a custom plugin, in the framing it was spoken to', async () => {
      const { cli, client } = lspStyleClient(home.dir);
      running.push(cli);
      const init = await client.sendRequest<any>('initialize', { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true } } });
      expect(init.protocolVersion).to.equal(1);
      expect(init.agentInfo.name).to.equal('switchboard');
      const methods = await client.sendRequest<any>('host/methods');
      const names = methods.methods.map((m: { name: string }) => m.name);
      expect(names).to.include.members(['initialize', 'host/status', 'slow/wait']);
      const echo = methods.methods.find((m: { name: string }) => m.name === 'slow/echo');
      expect(echo.params.properties.text.type).to.equal('string');
      expect(await client.sendRequest('slow/echo', { text: 'hi' })).to.deep.equal({ text: 'hi' });
      client.dispose();
    });

    it('reports a custom plugin that failed to activate, and the rest work', async () => {
      const { cli, client } = lspStyleClient(home.dir);
      running.push(cli);
      const status = await client.sendRequest<any>('host/status');
      const broken = status.plugins.find((p: { name: string }) => p.name === 'broken-custom');
      expect(broken.state).to.equal('failed');
      expect(broken.error).to.contain('this plugin always fails');
      expect(status.plugins.find((p: { name: string }) => p.name === 'slow').state).to.equal('active');
      client.dispose();
    });

    it('$/cancelRequest aborts the handler signal and answers -32800', async () => {
      const { cli, client } = lspStyleClient(home.dir);
      running.push(cli);
      const source = new CancellationTokenSource();
      const pending = client.sendRequest('slow/wait', {}, source.token).then(() => null, (e: ResponseError<unknown>) => e);
      await client.sendRequest('slow/echo', { text: 'the wait has started' });
      source.cancel();
      const err = await pending;
      expect(err?.code).to.equal(ErrorCodes.RequestCancelled);
      await waitFor(() => cli.stderr().includes('slow/wait saw the cancellation'));
      client.dispose();
    });
  });

  describe('NDJSON framing (ACP), raw lines', () => {
    function start(args: string[] = []): { cli: SpawnedCli; send(line: string): void; lines: LineReader } {
      const cli = spawnCli(['stdio', ...args], { SWITCHBOARD_HOME: home.dir });
      running.push(cli);
      return { cli, send: (line) => cli.child.stdin.write(line + '\n'), lines: new LineReader(cli.child.stdout) };
    }

    it('answers each kind of bad input with the right error and keeps serving', async () => {
      const { send, lines } = start(['--max-message-bytes', '2000']);
      const cases: [string, number, unknown][] = [
        ['{not json', ErrorCodes.ParseError, null],
        ['[{"jsonrpc":"2.0","id":1,"method":"host/ping"}]', ErrorCodes.InvalidRequest, null],
        ['"a string"', ErrorCodes.InvalidRequest, null],
        ['{"jsonrpc":"1.0","id":3,"method":"host/ping"}', ErrorCodes.InvalidRequest, 3],
        ['{"id":4,"method":"host/ping"}', ErrorCodes.InvalidRequest, 4],
        ['{"jsonrpc":"2.0","id":5,"method":"no/such"}', ErrorCodes.MethodNotFound, 5],
        ['{"jsonrpc":"2.0","id":6,"method":"slow/echo","params":{"text":6}}', ErrorCodes.InvalidParams, 6],
        [JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'slow/echo', params: { text: 'x'.repeat(5000) } }), ErrorCodes.PayloadTooLarge, 7],
        ['{"jsonrpc":"2.0","id":8,"method":"host/ping","params":[1,2]}', ErrorCodes.InvalidParams, 8],
      ];
      for (const [line, code, id] of cases) {
        send(line);
        const answer = await lines.nextJson();
        expect(answer.jsonrpc, line).to.equal('2.0');
        expect(answer.error?.code, line).to.equal(code);
        expect(answer.id, line).to.equal(id);
        expect(answer.error.message, line).to.be.a('string').and.not.match(/at .*\.js:\d+/);
      }
      send('{"jsonrpc":"2.0","id":9,"method":"slow/echo","params":{"text":"still here"}}');
      expect(await lines.nextJson()).to.deep.equal({ jsonrpc: '2.0', id: 9, result: { text: 'still here' } });
    });

    it('ACP $/cancel_request cancels a request', async () => {
      const { send, lines } = start();
      send('{"jsonrpc":"2.0","id":"w","method":"slow/wait"}');
      send('{"jsonrpc":"2.0","id":1,"method":"host/ping"}');
      expect((await lines.nextJson()).id).to.equal(1);
      send('{"jsonrpc":"2.0","method":"$/cancel_request","params":{"requestId":"w"}}');
      const answer = await lines.nextJson();
      expect(answer.id).to.equal('w');
      expect(answer.error.code).to.equal(ErrorCodes.RequestCancelled);
    });

    it('writes nothing but JSON-RPC to stdout, even at trace level', async () => {
      const { cli, send, lines } = start(['--log-level', 'trace']);
      send('{"jsonrpc":"2.0","id":1,"method":"host/status"}');
      send('{bad');
      const a = await lines.nextJson();
      const b = await lines.nextJson();
      expect([a.id, b.id]).to.have.members([1, null]);
      expect(cli.stderr()).to.contain('"level":');
    });
  });

  describe('process lifecycle', () => {
    it('answers what is in flight, then exits 0 when stdin closes', async () => {
      const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir });
      running.push(cli);
      const lines = new LineReader(cli.child.stdout);
      cli.child.stdin.end('{"jsonrpc":"2.0","id":1,"method":"host/ping","params":{"data":"last"}}\n');
      expect(await lines.nextJson()).to.deep.equal({ jsonrpc: '2.0', id: 1, result: { pong: true, data: 'last' } });
      expect((await cli.exited).code).to.equal(0);
    });

    it('disposes and exits 0 on SIGTERM', async () => {
      const { cli, client } = lspStyleClient(home.dir);
      running.push(cli);
      await client.sendRequest('host/ping');
      const exit = await cli.kill('SIGTERM');
      expect(exit.code).to.equal(0);
      expect(cli.stderr()).to.contain('shutting down');
    });

    it('--log-file sends the log to a file, not to stderr or stdout', async () => {
      const logFile = `${home.dir}/logs/switchboard.log`;
      const cli = spawnCli(['stdio', '--log-file', logFile, '--log-level', 'debug'], { SWITCHBOARD_HOME: home.dir });
      running.push(cli);
      const lines = new LineReader(cli.child.stdout);
      cli.child.stdin.end('{"jsonrpc":"2.0","id":1,"method":"host/ping"}\n');
      expect((await lines.nextJson()).result.pong).to.equal(true);
      expect((await cli.exited).code).to.equal(0);
      const { readFileSync } = await import('node:fs');
      const log = readFileSync(logFile, 'utf8');
      expect(log).to.contain('stdio framing detected');
      expect(cli.stderr()).not.to.contain('"level"');
    });

    it('prints help and version, and rejects an unknown command with exit 2', async () => {
      const help = spawnCli(['--help']);
      let out = '';
      help.child.stdout.on('data', (d) => (out += d));
      expect((await help.exited).code).to.equal(0);
      expect(out).to.contain('stdio');
      const version = spawnCli(['--version']);
      let v = '';
      version.child.stdout.on('data', (d) => (v += d));
      await version.exited;
      expect(v).to.match(/switchboard\/\d+\.\d+\.\d+/);
      const bad = spawnCli(['frobnicate']);
      expect((await bad.exited).code).to.equal(2);
      expect(bad.stderr()).to.contain('unknown command');
    });
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}
