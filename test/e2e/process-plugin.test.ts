import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { ROOT, spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

/**
 * An out-of-process plugin under the real daemon (`switchboard stdio`), named in config.json:
 * killed in the middle of a call, restarted with a new process, then given up on; one that
 * never shakes hands; and no child left behind when the daemon stops.
 */
const PY = path.join(ROOT, 'examples', 'hello-python', 'hello_plugin.py');
const ODD = path.join(ROOT, 'test', 'fixtures', 'plugins', 'odd-process', 'odd.mjs');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('e2e: an out-of-process plugin that crashes, restarts and is given up on', function () {
  this.timeout(60_000);
  let home: ReturnType<typeof tempHome>;
  let cli: SpawnedCli;
  let client: MessageConnection;

  function start(plugins: unknown[], env: Record<string, string> = {}): void {
    writeFileSync(path.join(home.dir, 'config.json'), JSON.stringify({ plugins }));
    cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home.dir, SWITCHBOARD_PLUGIN_RESTARTS: '2', SWITCHBOARD_PLUGIN_BACKOFF_MS: '50', ...env });
    client = createMessageConnection(new StreamMessageReader(cli.child.stdout), new StreamMessageWriter(cli.child.stdin));
    client.listen();
  }
  const status = () => client.sendRequest<any>('host/status', {});
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => e);

  beforeEach(() => (home = tempHome()));
  afterEach(async () => {
    client?.dispose();
    await cli?.kill('SIGKILL');
    home.remove();
  });

  it('a call in flight gets -32005 with the exit status; it restarts with backoff, then gives up', async () => {
    start([{ command: 'python3', args: [PY] }]);
    const { pid: pid1 } = await client.sendRequest<{ pid: number }>('hello-py/pid', {});
    const inFlight = failure(client.sendRequest('hello-py/wait', {}));
    // The daemon handles one connection's messages in order: once this answers, the wait call
    // has been handed to the plugin, so the kill below lands while it is in flight.
    await client.sendRequest('host/ping', {});
    process.kill(pid1, 'SIGKILL');
    const err = await inFlight;
    expect(err.code).to.equal(-32005);
    expect(err.message).to.contain('exited during the call').and.to.contain('killed by SIGKILL');

    // Restarted: a new process answers, and host/status says how it went.
    const st = await until(status, (s) => s['process:hello-py'].state === 'running');
    expect(st['process:hello-py']).to.include({ restarts: 1 });
    expect(st['process:hello-py'].lastExit).to.include({ signal: 'SIGKILL' });
    const { pid: pid2 } = await client.sendRequest<{ pid: number }>('hello-py/pid', {});
    expect(pid2).to.not.equal(pid1);
    expect(await client.sendRequest('hello-py/greet', { who: 'again' })).to.deep.equal({ text: 'Hello, again!' });

    process.kill(pid2, 'SIGKILL');
    await until(status, (s) => s['process:hello-py']?.restarts === 2 && s['process:hello-py'].state === 'running');
    const { pid: pid3 } = await client.sendRequest<{ pid: number }>('hello-py/pid', {});
    process.kill(pid3, 'SIGKILL');
    // Third crash with 2 restarts allowed: failed for good, with the reason.
    const { plugins } = await until(() => client.sendRequest<any>('host/plugins', {}), (r) => r.plugins.find((p: any) => p.name === 'hello-py').state === 'failed');
    const failed = plugins.find((p: any) => p.name === 'hello-py');
    expect(failed.code).to.equal('SB_ERR_CRASHED');
    expect(failed.error).to.contain('exited 3 times').and.to.contain('killed by SIGKILL');
    expect((await failure(client.sendRequest('hello-py/greet', { who: 'x' }))).code).to.equal(-32005);
    expect(await client.sendRequest('host/ping', {})).to.deep.include({ pong: true });
  });

  it('a client that cancels a call reaches the plugin ($/cancelRequest); the plugin serves on', async () => {
    start([{ command: 'python3', args: [PY] }]);
    await client.sendRequest('hello-py/pid', {});
    const cts = new CancellationTokenSource();
    const waiting = failure(client.sendRequest('hello-py/wait', {}, cts.token));
    // Cancel once the call is in the plugin: its stderr line is in the daemon's (debug) log.
    await until(async () => cli.stderr(), (t) => /hello-py\/wait \d+ started/.test(t));
    cts.cancel();
    const err = await waiting;
    expect(err.code).to.equal(-32800);
    await until(async () => cli.stderr(), (t) => /hello-py\/wait \d+ cancelled/.test(t));
    expect(await client.sendRequest('hello-py/greet', { who: 'after' })).to.deep.equal({ text: 'Hello, after!' });
  });

  it('the daemon stopping stops the plugin process: no orphan', async () => {
    start([{ command: 'python3', args: [PY] }]);
    const { pid } = await client.sendRequest<{ pid: number }>('hello-py/pid', {});
    expect(alive(pid)).to.equal(true);
    cli.child.stdin.end();
    expect((await cli.exited).code).to.equal(0);
    await until(async () => alive(pid), (a) => !a);
  });

  it('a command that is not a plugin, or is missing, is failed with the reason; the daemon runs', async () => {
    start(
      [
        { command: 'python3', args: ['-c', 'import sys,time; print("starting...", file=sys.stderr, flush=True); time.sleep(60)'] },
        { command: 'no-such-command-sb17' },
        { command: 'python3', args: ['-c', 'import sys; print("bad config", file=sys.stderr); sys.exit(3)'] },
        { args: ['x'] },
      ],
      { SWITCHBOARD_PLUGIN_TIMEOUT_MS: '1500' },
    );
    const { plugins } = await client.sendRequest<any>('host/plugins', {});
    const custom = plugins.filter((p: any) => p.name.startsWith('custom:'));
    const errors = custom.map((p: any) => p.error).join('\n');
    expect(custom).to.have.length(4);
    expect(custom.map((p: any) => [p.state, p.code])).to.deep.equal(Array(4).fill(['failed', 'SB_ERR_LOAD_FAILED']), errors);
    expect(errors).to.contain('did not answer "initialize" within 1500 ms');
    expect(errors).to.contain('no-such-command-sb17').and.to.contain('ENOENT');
    expect(errors).to.contain('exit code 3; last stderr: bad config');
    expect(errors).to.contain('a command plugin is {"command"');
    expect(await client.sendRequest('host/ping', {})).to.deep.include({ pong: true });
  });

  it('copes with a plugin that chatters on stdout, breaks its schema, answers twice; it gets no secrets', async () => {
    start(
      [
        { command: process.execPath, args: [ODD] },
        { command: process.execPath, args: [ODD, 'outside-namespace'] },
        { command: process.execPath, args: [ODD, 'api-9'] },
      ],
      { OPENAI_API_KEY: 'sk-live-should-not-leak', SWITCHBOARD_TEST_TOKEN: 'tok' },
    );
    const { keys } = await client.sendRequest<{ keys: string[] }>('odd/env', {});
    expect(keys).to.include('PATH');
    expect(keys).to.not.include('OPENAI_API_KEY');
    expect(keys).to.not.include('SWITCHBOARD_TEST_TOKEN');

    const got: unknown[] = [];
    client.onNotification('odd/happened', (p) => void got.push(p));
    await client.sendRequest('host/subscribe', { events: ['odd/happened'] });
    expect(await client.sendRequest('odd/emit-bad', {})).to.deep.equal({ emitted: 2 });
    await until(async () => got.length, (n) => n >= 1);
    expect(got).to.deep.equal([{ n: 1 }]); // the payload that broke the schema was dropped

    expect(await client.sendRequest('odd/twice', {})).to.deep.equal({ first: true });
    const err = await failure(client.sendRequest('odd/fail', {}));
    expect(err).to.include({ code: -32002, message: 'no such note' });
    expect(err.data).to.deep.equal({ note: 'x' });

    const { plugins } = await client.sendRequest<any>('host/plugins', {});
    const errors = plugins.filter((p: any) => p.state === 'failed').map((p: any) => p.error).join('\n');
    expect(errors).to.contain('it declares "session/new": its methods and events must be named "odd/<name>"');
    expect(errors).to.contain('it speaks plugin protocol 9');
    expect(cli.stderr()).to.contain('not JSON-RPC on stdout');
  });
});
