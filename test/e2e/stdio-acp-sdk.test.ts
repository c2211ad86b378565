import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { client, ndJsonStream } from '@agentclientprotocol/sdk';
import { acpErrors, agentMessageErrors } from '../support/acp-schema.js';
import { spawnCli, type SpawnedCli } from '../support/spawn-cli.js';
import { tempHome } from '../support/temp-home.js';

/** Spawns `switchboard stdio` and gives the ACP SDK its streams, keeping a copy of every line sent. */
export function acpStdio(home: string): { cli: SpawnedCli; stream: ReturnType<typeof ndJsonStream>; sent: unknown[] } {
  const cli = spawnCli(['stdio'], { SWITCHBOARD_HOME: home });
  const sent: unknown[] = [];
  let partial = '';
  cli.child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) sent.push(JSON.parse(line));
  });
  const input = Readable.toWeb(cli.child.stdout) as unknown as ReadableStream<Uint8Array>;
  const output = Writable.toWeb(cli.child.stdin) as WritableStream<Uint8Array>;
  return { cli, stream: ndJsonStream(output, input), sent };
}

describe('switchboard stdio with the official ACP client (@agentclientprotocol/sdk)', () => {
  let home: ReturnType<typeof tempHome>;
  let cli: SpawnedCli | undefined;
  beforeEach(() => (home = tempHome()));
  afterEach(async () => {
    await cli?.kill('SIGKILL');
    home.remove();
  });

  it('initializes, and everything Switchboard sends matches the ACP v1 schema', async () => {
    const conn = acpStdio(home.dir);
    cli = conn.cli;
    const result = await client({ name: 'switchboard-test' }).connectWith(conn.stream, (ctx) =>
      ctx.request('initialize', {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true },
        clientInfo: { name: 'test-editor', version: '1.0.0' },
      }),
    );
    expect(result.protocolVersion).to.equal(1);
    expect(result.agentInfo?.name).to.equal('switchboard');
    expect(acpErrors('InitializeResponse', result)).to.deep.equal([]);
    // The validator itself rejects what is wrong, so a pass above means something.
    expect(acpErrors('InitializeResponse', { ...result, protocolVersion: 'one' })).not.to.be.empty;
    expect(conn.sent.length).to.be.greaterThan(0);
    for (const message of conn.sent) expect(agentMessageErrors(message), JSON.stringify(message)).to.deep.equal([]);
  });

  it('answers a newer protocol version with the one it speaks', async () => {
    const conn = acpStdio(home.dir);
    cli = conn.cli;
    const result = await client().connectWith(conn.stream, (ctx) => ctx.request('initialize', { protocolVersion: 7 }));
    expect(result.protocolVersion).to.equal(1);
  });
});
