import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { REDACT_PATHS } from '../../../src/app/logger.js';
import { ToolRegistryToken } from '../../../src/plugins/tools/contract.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';
import { EVERYTHING_BIN, pidAlive, startRemoteServer, waitFor } from './helpers.js';

const SECRET = 'sk-very-secret-value';

/** The error a request was rejected with (fails when it succeeded). */
function rejection(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  return p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: { code: number; message: string }) => e,
  );
}

describe('mcp plugin: config CRUD, session connections (with the sessions plugin), status', function () {
  this.timeout(30_000);
  let t: TestHost;
  let client: MessageConnection;
  let logs: string;
  let workspace: string;

  beforeEach(async () => {
    logs = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((logs += chunk.toString()), done()) });
    const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    t = await createTestHost({ logger });
    client = t.connect().client;
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-ws-')));
  });
  afterEach(async () => {
    await t.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  const file = () => path.join(t.home, 'mcp.json');
  const stored = () => JSON.parse(readFileSync(file(), 'utf8'));

  it('adds, lists (redacted), updates (placeholder keeps the secret) and removes servers, writing mcp.json atomically with 0600', async () => {
    const added = await client.sendRequest('mcp/servers/add', {
      name: 'github',
      config: { command: 'npx', args: ['-y', 'gh-mcp'], env: { GITHUB_TOKEN: SECRET, LEVEL: 'debug' } },
    });
    expect(added).to.deep.equal({
      server: { name: 'github', transport: 'stdio', config: { command: 'npx', args: ['-y', 'gh-mcp'], env: { GITHUB_TOKEN: '[redacted]', LEVEL: '[redacted]' } } },
    });
    await client.sendRequest('mcp/servers/add', { name: 'remote', config: { url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${SECRET}` } } });
    expect(statSync(file()).mode & 0o777).to.equal(0o600);
    expect(stored().mcpServers.github.env.GITHUB_TOKEN).to.equal(SECRET);
    expect(readdirSync(t.home).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);

    const list = (await client.sendRequest('mcp/servers/list', {})) as { servers: { name: string; transport: string; config: Record<string, unknown> }[] };
    expect(list.servers.map((s) => [s.name, s.transport])).to.deep.equal([['github', 'stdio'], ['remote', 'http']]);
    expect(JSON.stringify(list)).not.to.contain(SECRET);

    // The client sends back what it read, changing one thing: the secret stays.
    const github = list.servers[0]!.config;
    await client.sendRequest('mcp/servers/update', { serverName: 'github', config: { ...github, env: { ...(github.env as object), LEVEL: 'info' } } });
    expect(stored().mcpServers.github.env).to.deep.equal({ GITHUB_TOKEN: SECRET, LEVEL: 'info' });
    // Re-pointed (a new url) with the placeholder: the stored secret must not follow; given again, it may.
    const repointed = await rejection(
      client.sendRequest('mcp/servers/update', { serverName: 'remote', config: { url: 'https://mcp.example.com/v2', headers: { Authorization: '[redacted]' } }, newName: 'remote2' }),
    );
    expect(repointed.code).to.equal(-32602);
    expect(repointed.message).to.contain('send the secret values again');
    await client.sendRequest('mcp/servers/update', { serverName: 'remote', config: { url: 'https://mcp.example.com/v2', headers: { Authorization: `Bearer ${SECRET}` } }, newName: 'remote2' });
    expect(stored().mcpServers).to.have.keys('github', 'remote2');
    expect(stored().mcpServers.remote2).to.deep.equal({ url: 'https://mcp.example.com/v2', headers: { Authorization: `Bearer ${SECRET}` } });

    const placeholderForNothing = await rejection(
      client.sendRequest('mcp/servers/update', { serverName: 'github', config: { command: 'x', env: { NEW_KEY: '[redacted]' } } }),
    );
    expect(placeholderForNothing.code).to.equal(-32602);
    expect(placeholderForNothing.message).to.match(/env\.NEW_KEY is the redacted placeholder/);

    expect((await rejection(client.sendRequest('mcp/servers/add', { name: 'github', config: { command: 'x' } }))).code).to.equal(-32003);
    expect((await rejection(client.sendRequest('mcp/servers/add', { name: 'bad', config: { args: ['x'] } }))).code).to.equal(-32602);
    expect((await rejection(client.sendRequest('mcp/servers/add', { name: 'a__b', config: { command: 'x' } }))).code).to.equal(-32602);

    expect(await client.sendRequest('mcp/servers/remove', { serverName: 'github' })).to.deep.equal({ removed: true });
    expect((await rejection(client.sendRequest('mcp/servers/remove', { serverName: 'github' }))).code).to.equal(-32002);
    expect(stored().mcpServers).to.have.keys('remote2');
    expect(logs).to.contain('MCP server added');
    expect(logs).not.to.contain(SECRET);
  });

  it('serializes concurrent writes: none is lost', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.sendRequest('mcp/servers/add', { name: `s${i}`, config: { command: `cmd${i}` } })));
    expect(Object.keys(stored().mcpServers).sort()).to.deep.equal(Array.from({ length: 12 }, (_, i) => `s${i}`).sort());
    expect(readdirSync(t.home).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('keeps what it does not know in a pasted Claude Desktop config', async () => {
    writeFileSync(file(), JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['fs'], disabled: false } }, globalShortcut: 'Ctrl+Space' }));
    await client.sendRequest('mcp/servers/add', { name: 'other', config: { url: 'http://127.0.0.1:9/mcp', type: 'sse' } });
    expect(stored()).to.deep.equal({
      mcpServers: { fs: { command: 'npx', args: ['fs'], disabled: false }, other: { url: 'http://127.0.0.1:9/mcp', type: 'sse' } },
      globalShortcut: 'Ctrl+Space',
    });
  });

  it('connects ACP session/new mcpServers when the session opens, and disconnects them when it is deleted', async () => {
    const registry = t.app.host.createChildContainer().resolve(ToolRegistryToken);
    const { sessionId: s1 } = (await client.sendRequest('session/new', {
      cwd: workspace,
      mcpServers: [
        { name: 'everything', command: EVERYTHING_BIN, args: ['stdio'], env: [{ name: 'API_KEY', value: SECRET }] },
        { name: 'broken', command: path.join(workspace, 'nope'), args: [], env: [] },
      ],
    })) as { sessionId: string };
    await waitFor(() => !!registry.get('everything__echo', s1), 'ACP server tools');
    const status = (await client.sendRequest('mcp/session_status', { sessionId: s1 })) as { servers: { name: string; status: string; pid?: number; error?: string; tools: unknown[] }[] };
    const everything = status.servers.find((s) => s.name === 'everything')!;
    expect(everything.status).to.equal('connected');
    expect(everything.tools.length).to.be.greaterThan(5);
    const broken = ((await client.sendRequest('mcp/session_status', { sessionId: s1 })) as typeof status).servers.find((s) => s.name === 'broken')!;
    expect(broken.status).to.equal('failed');
    expect(broken.error).to.match(/ENOENT/);

    const hostStatus = (await client.sendRequest('host/status', {})) as { mcp: { sessions: { sessionId: string; servers: { name: string; status: string }[] }[] } };
    expect(hostStatus.mcp.sessions[0]!.servers.map((s) => `${s.name}:${s.status}`)).to.include('everything:connected');

    await client.sendRequest('session/delete', { sessionId: s1 });
    await waitFor(() => !pidAlive(everything.pid!), 'the server process to stop');
    expect(registry.list(s1).filter((tool) => tool.name.includes('__'))).to.deep.equal([]);
    expect(logs).not.to.contain(SECRET);
  });

  it('session/load with a different mcpServers list connects the new servers and drops the old', async () => {
    const ev = (name: string) => ({ name, command: EVERYTHING_BIN, args: ['stdio'], env: [] });
    const { sessionId } = (await client.sendRequest('session/new', { cwd: workspace, mcpServers: [ev('a')] })) as { sessionId: string };
    const names = async () => ((await client.sendRequest('mcp/session_status', { sessionId })) as { servers: { name: string; status: string }[] }).servers.map((s) => `${s.name}:${s.status}`);
    let seen: string[] = [];
    const poll = async (want: string[]) => {
      for (let i = 0; i < 500 && JSON.stringify(seen) !== JSON.stringify(want); i++) {
        seen = await names();
        if (JSON.stringify(seen) !== JSON.stringify(want)) await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen).to.deep.equal(want);
    };
    await poll(['a:connected']);
    await client.sendRequest('session/load', { sessionId, cwd: workspace, mcpServers: [ev('b')] });
    await poll(['b:connected']);
  });

  it('mcp/connect connects a configured server to a session; mcp/disconnect stops it', async () => {
    const remote = await startRemoteServer();
    try {
      const { sessionId: s2 } = (await client.sendRequest('session/new', { cwd: workspace, mcpServers: [] })) as { sessionId: string };
      await client.sendRequest('mcp/servers/add', { name: 'remote', config: { url: remote.url, headers: { Authorization: `Bearer ${SECRET}` } } });
      const snap = (await client.sendRequest('mcp/connect', { sessionId: s2, serverName: 'remote' })) as { status: string; tools: { name: string; kind: string }[] };
      expect(snap.status).to.equal('connected');
      expect(snap.tools).to.deep.include({ name: 'remote__multiply', mcpName: 'multiply', description: 'Multiplies two numbers', kind: 'read' });
      expect(remote.authSeen).to.include(`Bearer ${SECRET}`);

      const inline = (await client.sendRequest('mcp/connect', { sessionId: s2, serverName: 'ev', config: { command: EVERYTHING_BIN, args: ['stdio'] } })) as { pid: number };
      expect(pidAlive(inline.pid)).to.equal(true);
      expect(await client.sendRequest('mcp/disconnect', { sessionId: s2, serverName: 'ev' })).to.deep.equal({ disconnected: true });
      expect(pidAlive(inline.pid)).to.equal(false);
      expect(await client.sendRequest('mcp/disconnect', { sessionId: s2, serverName: 'ev' })).to.deep.equal({ disconnected: false });
      const after = (await client.sendRequest('mcp/session_status', { sessionId: s2 })) as { servers: { name: string; status: string }[] };
      expect(after.servers.map((s) => `${s.name}:${s.status}`)).to.deep.equal(['remote:connected', 'ev:disconnected']);

      const unknown = await rejection(client.sendRequest('mcp/connect', { sessionId: s2, serverName: 'nope' }));
      expect(unknown.code).to.equal(-32002);
      expect((await rejection(client.sendRequest('mcp/connect', { sessionId: 'no-such', serverName: 'remote' }))).code).to.equal(-32002);
    } finally {
      await remote.close();
    }
  });

  it('mcp/session_status with watch sends mcp/status on each change to the watcher only, until it stops watching', async () => {
    const { sessionId } = (await client.sendRequest('session/new', { cwd: workspace, mcpServers: [] })) as { sessionId: string };
    const watcher = t.connect().client;
    type Status = { sessionId: string; name: string; status: string; tools: { name: string }[] };
    const heard: Status[] = [];
    const heardByOwner: Status[] = [];
    watcher.onNotification('mcp/status', (p: Status) => void heard.push(p));
    client.onNotification('mcp/status', (p: Status) => void heardByOwner.push(p));
    expect(await watcher.sendRequest('mcp/session_status', { sessionId, watch: true })).to.deep.equal({ sessionId, servers: [] });
    const snap = (await client.sendRequest('mcp/connect', { sessionId, serverName: 'ev', config: { command: EVERYTHING_BIN, args: ['stdio'] } })) as { status: string };
    expect(snap.status).to.equal('connected');
    await waitFor(() => heard.some((h) => h.status === 'connected'), 'mcp/status connected');
    expect(heard[0]).to.include({ sessionId, name: 'ev', status: 'connecting' });
    expect(heard.find((h) => h.status === 'connected')!.tools.map((x) => x.name)).to.include('ev__echo');
    await client.sendRequest('mcp/disconnect', { sessionId, serverName: 'ev' });
    await waitFor(() => heard.some((h) => h.status === 'disconnected'), 'mcp/status disconnected');

    // No longer watching: the next change is not sent (a round trip on the watcher's own stream proves it).
    await watcher.sendRequest('mcp/session_status', { sessionId, watch: false });
    const before = heard.length;
    await client.sendRequest('mcp/connect', { sessionId, serverName: 'ev', config: { command: EVERYTHING_BIN, args: ['stdio'] } });
    await watcher.sendRequest('mcp/session_status', { sessionId });
    expect(heard.length).to.equal(before);
    // The session's own client never asked: an ACP editor gets no notification it does not know.
    expect(heardByOwner).to.deep.equal([]);
  });

  it('stops every server process when the host shuts down', async () => {
    const { sessionId: s3 } = (await client.sendRequest('session/new', { cwd: workspace, mcpServers: [] })) as { sessionId: string };
    const snap = (await client.sendRequest('mcp/connect', { sessionId: s3, serverName: 'ev', config: { command: EVERYTHING_BIN, args: ['stdio'] } })) as { pid: number };
    expect(pidAlive(snap.pid)).to.equal(true);
    await t.app.stop();
    expect(pidAlive(snap.pid)).to.equal(false);
  });
});
