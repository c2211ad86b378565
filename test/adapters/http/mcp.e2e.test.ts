import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT } from '../../support/spawn-cli.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

const EVERYTHING = path.join(ROOT, 'node_modules', '.bin', 'mcp-server-everything');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The MCP routes of the engine table and the `/mcp` mount, through the real daemon. */
describe('switchboard serve (e2e): MCP routes and the /mcp endpoint', function () {
  this.timeout(30000);
  let s: Served;
  let workspace: string;
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
  const send = (verb: string, p: string, body?: unknown) =>
    s.fetch(p, { method: verb, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  before(async () => {
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-'));
    s = await spawnServe();
  });
  after(async () => {
    if (s) await s.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('global server config: list, add (201), replace, remove; 400 and 404 paths; secrets redacted', async () => {
    expect((await json(await s.fetch('/mcp/servers'))).body.servers).to.deep.equal([]);
    const added = await json(await send('POST', '/mcp/servers', { name: 'everything', config: { command: EVERYTHING, args: ['stdio'], env: { API_KEY: 'mcp-secret-1' } } }));
    expect(added.status).to.equal(201);
    expect(JSON.stringify(added.body)).not.to.contain('mcp-secret-1');
    expect((await send('POST', '/mcp/servers', { name: 'bad', config: { nothing: true } })).status).to.equal(400);
    const replaced = await json(await send('PUT', '/mcp/servers/everything', { config: { command: EVERYTHING, args: ['stdio'] } }));
    expect(replaced.status).to.equal(200);
    expect((await send('PUT', '/mcp/servers/nope', { config: { command: EVERYTHING } })).status).to.equal(404);
    const list = await json(await s.fetch('/mcp/servers'));
    expect(list.body.servers.map((x: { name: string }) => x.name)).to.deep.equal(['everything']);
    await send('POST', '/mcp/servers', { name: 'doomed', config: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer mcp-secret-2' } } });
    expect(JSON.stringify((await json(await s.fetch('/mcp/servers'))).body)).not.to.contain('mcp-secret-2');
    expect((await s.fetch('/mcp/servers/doomed', { method: 'DELETE' })).status).to.equal(200);
    expect((await s.fetch('/mcp/servers/doomed', { method: 'DELETE' })).status).to.equal(404);
  });

  it("a session's MCP: connect (the tools join), status, disconnect (the process stops); 404 paths", async () => {
    const { sessionId } = (await json(await send('POST', '/sessions', { workspace }))).body;
    const connected = await json(await send('POST', `/sessions/${sessionId}/mcp/everything/connect`));
    expect(connected.status).to.equal(200);
    expect(connected.body.tools.map((t: { name: string }) => t.name)).to.include('everything__echo');
    const pid = connected.body.pid as number;
    expect(alive(pid)).to.equal(true);
    const status = await json(await s.fetch(`/sessions/${sessionId}/mcp`));
    expect(status.body.servers[0]).to.deep.include({ status: 'connected' });
    expect((await send('POST', `/sessions/${sessionId}/mcp/nope/connect`)).status).to.equal(404);
    expect((await send('POST', '/sessions/nope/mcp/everything/connect')).status).to.equal(404);
    expect((await s.fetch('/sessions/nope/mcp')).status).to.equal(404);
    const gone = await json(await send('POST', `/sessions/${sessionId}/mcp/everything/disconnect`));
    expect(gone.status).to.equal(200);
    expect(gone.body.disconnected).to.equal(true);
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
  });

  it('/mcp serves the host tools to a real MCP client with the bearer token, and refuses one without', async () => {
    const unauth = await fetch(`${s.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauth.status).to.equal(401);
    const client = new Client({ name: 'serve-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${s.token}` } } });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).to.include('read_file');
    } finally {
      await client.close();
    }
  });

  it('SIGTERM with an MCP server connected exits 0 and leaves no MCP process behind', async () => {
    const t = await spawnServe();
    try {
      const post = (p: string, body?: unknown) => t.fetch(p, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
      const { sessionId } = (await (await post('/sessions', { workspace })).json()) as { sessionId: string };
      const snap = (await (await post(`/sessions/${sessionId}/mcp/ev/connect`, { config: { command: EVERYTHING, args: ['stdio'] } })).json()) as { pid: number };
      expect(alive(snap.pid)).to.equal(true);
      const exit = await t.stop();
      expect(exit.code).to.equal(0);
      expect(alive(snap.pid)).to.equal(false);
    } finally {
      await t.stop();
    }
  });
});
