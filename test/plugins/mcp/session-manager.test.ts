import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { pino } from 'pino';
import { McpSessionManager } from '../../../src/plugins/mcp/session-manager.js';
import type { ToolContext, ToolResult } from '../../../src/plugins/tools/contract.js';
import { InMemoryToolRegistry } from '../../../src/plugins/tools/registry.js';
import { ROOT } from '../../support/spawn-cli.js';
import { EVERYTHING_BIN, FILESYSTEM_BIN, pidAlive, startRemoteServer, startSseServer, waitFor, type RemoteServer } from './helpers.js';

const DYNAMIC_SERVER = path.join(ROOT, 'dist', 'test', 'plugins', 'mcp', 'fixtures', 'dynamic-server.js');
const S = 'session-1';

function toolCtx(workspace: string, signal = new AbortController().signal): ToolContext {
  return { sessionId: S, workspace, toolCallId: 'call-1', signal, progress: () => undefined };
}
const blocks = (r: ToolResult) => r.content.map((c) => (c.type === 'content' ? c.content : c));

describe('mcp: session connection manager (real MCP servers)', function () {
  this.timeout(30_000);
  let workspace: string;
  let registry: InMemoryToolRegistry;
  let manager: McpSessionManager;
  const pids: number[] = [];

  beforeEach(() => {
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-ws-')));
    registry = new InMemoryToolRegistry();
    manager = new McpSessionManager(registry, pino({ level: 'silent' }), { clientVersion: 'test', backoffMs: 50 });
  });
  afterEach(async () => {
    await manager.dispose();
    for (const pid of pids.splice(0)) expect(pidAlive(pid), `server process ${pid} left behind`).to.equal(false);
    rmSync(workspace, { recursive: true, force: true });
  });

  it('connects server-everything over stdio; its tools join the session with schemas, kinds and ACP content', async () => {
    const snap = await manager.connect(S, workspace, 'everything', { command: EVERYTHING_BIN, args: ['stdio'] });
    expect(snap.status, snap.error).to.equal('connected');
    expect(snap.pid).to.be.a('number');
    pids.push(snap.pid!);
    expect(snap.tools.map((t) => t.name)).to.include.members(['everything__echo', 'everything__get-sum', 'everything__get-tiny-image']);

    expect(registry.list()).to.have.length(0, 'MCP tools are the session’s, not global');
    const sum = registry.get('everything__get-sum', S)!;
    expect(sum.kind).to.equal('read');
    expect(sum.inputSchema).to.deep.include({ type: 'object', required: ['a', 'b'] });
    expect(registry.get('everything__toggle-simulated-logging', S)!.kind).to.equal('other');

    const echo = await registry.get('everything__echo', S)!.execute({ message: 'hi' }, toolCtx(workspace));
    expect(echo.modelText).to.equal('Echo: hi');
    expect(echo.content).to.deep.equal([{ type: 'content', content: { type: 'text', text: 'Echo: hi' } }]);

    const image = await registry.get('everything__get-tiny-image', S)!.execute({}, toolCtx(workspace));
    const img = blocks(image).find((b) => b.type === 'image') as unknown as { mimeType: string; data: string };
    expect(img.mimeType).to.equal('image/png');
    expect(Buffer.from(img.data, 'base64').subarray(1, 4).toString()).to.equal('PNG');

    const links = await registry.get('everything__get-resource-links', S)!.execute({ count: 2 }, toolCtx(workspace));
    const link = blocks(links).find((b) => b.type === 'resource_link') as unknown as { uri: string; name: string };
    expect(link.uri).to.match(/^demo:\/\/resource\//);
    expect(links.modelText).to.contain(`[resource ${link.name}: ${link.uri}]`);

    const ref = await registry.get('everything__get-resource-reference', S)!.execute({ resourceType: 'Text', resourceId: 2 }, toolCtx(workspace));
    const embedded = blocks(ref).find((b) => b.type === 'resource') as unknown as { resource: { uri: string; text: string } };
    expect(embedded.resource.text).to.contain('Resource 2');

    // The workspace is offered as the client's root (server-everything registers this tool once initialized).
    await waitFor(() => !!registry.get('everything__get-roots-list', S), 'get-roots-list');
    const roots = await registry.get('everything__get-roots-list', S)!.execute({}, toolCtx(workspace));
    expect(roots.modelText).to.contain(pathToFileURL(workspace).href);

    expect(await manager.disconnect(S, 'everything')).to.equal(true);
    expect(pidAlive(snap.pid!)).to.equal(false);
    expect(registry.list(S)).to.have.length(0);
    expect(manager.status(S).map((c) => [c.name, c.status, c.tools.length])).to.deep.equal([['everything', 'disconnected', 0]]);
    expect(await manager.disconnect(S, 'everything')).to.equal(false);
  });

  it('offers ACP additionalDirectories as roots after the workspace, and tells a live server when they change', async () => {
    const extra = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-extra-')));
    const other = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-other-')));
    try {
      const snap = await manager.connect(S, workspace, 'fs', { command: FILESYSTEM_BIN, args: [] }, [extra]);
      expect(snap.status, snap.error).to.equal('connected');
      pids.push(snap.pid!);
      const allowed = async (want: string) => {
        let text = '';
        for (let i = 0; i < 150 && !text.includes(want); i++) {
          text = (await registry.get('fs__list_allowed_directories', S)!.execute({}, toolCtx(workspace))).modelText ?? '';
          if (!text.includes(want)) await new Promise((r) => setTimeout(r, 20));
        }
        return text;
      };
      expect(await allowed(extra)).to.equal(`Allowed directories:\n${workspace}\n${extra}`);
      // Resumed with other directories: the same connection, roots/list_changed, the new list.
      const again = await manager.connect(S, workspace, 'fs', { command: FILESYSTEM_BIN, args: [] }, [other]);
      expect(again.pid).to.equal(snap.pid);
      expect(await allowed(other)).to.equal(`Allowed directories:\n${workspace}\n${other}`);
    } finally {
      rmSync(extra, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('gives server-filesystem the workspace as its root and nothing else', async () => {
    writeFileSync(path.join(workspace, 'notes.txt'), 'hello from the workspace');
    const snap = await manager.connect(S, workspace, 'fs', { command: FILESYSTEM_BIN, args: [] });
    expect(snap.status, snap.error).to.equal('connected');
    pids.push(snap.pid!);
    // The server asks for roots once initialized, so they may land just after connect resolves.
    let allowed = '';
    const list = registry.get('fs__list_allowed_directories', S)!;
    for (let i = 0; i < 100 && !allowed.includes(workspace); i++) {
      allowed = (await list.execute({}, toolCtx(workspace))).modelText ?? '';
      if (!allowed.includes(workspace)) await new Promise((r) => setTimeout(r, 20));
    }
    expect(allowed).to.equal(`Allowed directories:\n${workspace}`);
    const read = await registry.get('fs__read_text_file', S)!.execute({ path: path.join(workspace, 'notes.txt') }, toolCtx(workspace));
    expect(read.isError).to.equal(false);
    expect(read.modelText).to.equal('hello from the workspace');
    const outside = await registry.get('fs__read_text_file', S)!.execute({ path: '/etc/hostname' }, toolCtx(workspace));
    expect(outside.isError).to.equal(true);
    expect(outside.modelText).to.match(/denied|outside/i);
  });

  it('connects a remote server over Streamable HTTP, with its headers', async () => {
    const remote: RemoteServer = await startRemoteServer();
    try {
      const snap = await manager.connect(S, workspace, 'remote', { url: remote.url, headers: { Authorization: 'Bearer s3cret' } });
      expect(snap.status, snap.error).to.equal('connected');
      expect(snap.transport).to.equal('http');
      const product = await registry.get('remote__multiply', S)!.execute({ a: 6, b: 7 }, toolCtx(workspace));
      expect(product.modelText).to.equal('42');
      const link = await registry.get('remote__link', S)!.execute({}, toolCtx(workspace));
      expect(blocks(link)).to.deep.equal([{ type: 'resource_link', uri: 'file:///tmp/x.txt', name: 'x.txt', mimeType: 'text/plain' }]);
      expect(remote.authSeen).to.include('Bearer s3cret');
    } finally {
      await manager.disconnect(S, 'remote');
      await remote.close();
    }
  });

  it('connects a remote server over HTTP+SSE, with its headers', async () => {
    const remote = await startSseServer();
    try {
      const snap = await manager.connect(S, workspace, 'old', { type: 'sse', url: remote.url, headers: { Authorization: 'Bearer s3cret' } });
      expect(snap.status, snap.error).to.equal('connected');
      expect(snap.transport).to.equal('sse');
      expect((await registry.get('old__multiply', S)!.execute({ a: 3, b: 5 }, toolCtx(workspace))).modelText).to.equal('15');
      expect(remote.authSeen.length).to.be.greaterThan(1);
      expect(remote.authSeen.every((a) => a === 'Bearer s3cret')).to.equal(true);
    } finally {
      await manager.disconnect(S, 'old');
      await remote.close();
    }
  });

  it('follows tools/list_changed', async () => {
    const snap = await manager.connect(S, workspace, 'dyn', { command: process.execPath, args: [DYNAMIC_SERVER] });
    expect(snap.status, snap.error).to.equal('connected');
    pids.push(snap.pid!);
    expect(registry.get('dyn__extra', S)).to.equal(undefined);
    await registry.get('dyn__grow', S)!.execute({}, toolCtx(workspace));
    await waitFor(() => !!registry.get('dyn__extra', S), 'dyn__extra to join after list_changed');
    expect((await registry.get('dyn__extra', S)!.execute({}, toolCtx(workspace))).modelText).to.equal('extra!');
  });

  it('cancels the MCP call in flight when the turn is cancelled', async () => {
    const snap = await manager.connect(S, workspace, 'everything', { command: EVERYTHING_BIN, args: ['stdio'] });
    pids.push(snap.pid!);
    const ac = new AbortController();
    const started = Date.now();
    const call = registry.get('everything__trigger-long-running-operation', S)!.execute({ duration: 30, steps: 30 }, toolCtx(workspace, ac.signal));
    setTimeout(() => ac.abort(), 100);
    const err = await call.then(() => undefined, (e: Error) => e);
    expect(err?.name).to.equal('AbortError');
    expect(Date.now() - started).to.be.below(10_000);
    // The connection survives a cancelled call.
    expect((await registry.get('everything__echo', S)!.execute({ message: 'still here' }, toolCtx(workspace))).modelText).to.equal('Echo: still here');
  });

  it('reports a crashed stdio server and reconnects with a new process', async () => {
    const snap = await manager.connect(S, workspace, 'everything', { command: EVERYTHING_BIN, args: ['stdio'] });
    const conn = manager.connection(S, 'everything')!;
    const seen: string[] = [];
    conn.onDidChange(() => seen.push(`${conn.state}${conn.error ? `: ${conn.error}` : ''}`));
    process.kill(snap.pid!, 'SIGKILL');
    await waitFor(() => seen.some((s) => s.startsWith('failed')), 'failed status');
    expect(seen.find((s) => s.startsWith('failed'))).to.match(/killed by SIGKILL.*restarting in \d+ ms \(restart 1 of 3\)/);
    await waitFor(() => conn.state === 'connected', 'reconnection');
    const after = manager.status(S)[0]!;
    expect(after.restarts).to.equal(1);
    expect(after.pid).to.be.a('number').and.not.equal(snap.pid);
    pids.push(after.pid!);
    expect(pidAlive(snap.pid!)).to.equal(false);
    expect((await registry.get('everything__echo', S)!.execute({ message: 'back' }, toolCtx(workspace))).modelText).to.equal('Echo: back');
  });

  it('gives up after the restart budget and says so', async () => {
    const bounded = new McpSessionManager(registry, pino({ level: 'silent' }), { clientVersion: 'test', backoffMs: 20, maxRestarts: 1 });
    try {
      const first = await bounded.connect(S, workspace, 'everything', { command: EVERYTHING_BIN, args: ['stdio'] });
      const conn = bounded.connection(S, 'everything')!;
      process.kill(first.pid!, 'SIGKILL');
      await waitFor(() => conn.state === 'connected' && conn.restarts === 1, 'first restart');
      const second = conn.pid!;
      process.kill(second, 'SIGKILL');
      await waitFor(() => conn.state === 'failed' && /gave up/.test(conn.error ?? ''), 'giving up');
      expect(conn.error).to.match(/killed by SIGKILL.*; gave up after 1 restart/);
      expect(registry.list(S)).to.have.length(0);
      const call = await bounded.connect(S, workspace, 'other', { command: process.execPath, args: ['-e', 'process.exit(3)'] });
      expect(call.status).to.equal('failed');
      expect(call.error).to.match(/exited with code 3|closed/);
    } finally {
      await bounded.dispose();
    }
  });

  it('reports a server that cannot start', async () => {
    const snap = await manager.connect(S, workspace, 'missing', { command: path.join(workspace, 'no-such-server') });
    expect(snap.status).to.equal('failed');
    expect(snap.error).to.match(/ENOENT/);
    expect(snap.tools).to.deep.equal([]);
  });

  it('leaves no server process behind when the session goes away', async () => {
    const a = await manager.connect(S, workspace, 'a', { command: EVERYTHING_BIN, args: ['stdio'] });
    const b = await manager.connect(S, workspace, 'b', { command: EVERYTHING_BIN, args: ['stdio'] });
    expect(pidAlive(a.pid!) && pidAlive(b.pid!)).to.equal(true);
    await manager.disconnectSession(S);
    expect(pidAlive(a.pid!)).to.equal(false);
    expect(pidAlive(b.pid!)).to.equal(false);
    expect(registry.list(S)).to.have.length(0);
  });
});
