import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expect } from 'chai';
import { BIN, ROOT, spawnCli } from '../support/spawn-cli.js';
import { LineReader, installTestPlugins } from '../support/stdio-client.js';
import { tempHome } from '../support/temp-home.js';
import { EVERYTHING_BIN, pidAlive, waitFor } from '../plugins/mcp/helpers.js';

const run = promisify(execFile);
const INSPECTOR = path.join(ROOT, 'node_modules', '.bin', 'mcp-inspector');

describe('switchboard mcp (the host tools as an MCP server on stdio)', function () {
  // Six MCP Inspector runs (each a Node process starting another) take ~27 s on a loaded 2-core machine.
  this.timeout(90_000);
  let home: { dir: string; remove(): void };
  let workspace: string;

  beforeEach(() => {
    home = tempHome();
    installTestPlugins(home.dir, ['mcp-test-tools']);
    workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-mcp-ws-')));
    writeFileSync(path.join(workspace, 'a.txt'), 'hello from a.txt');
  });
  afterEach(() => {
    home.remove();
    rmSync(workspace, { recursive: true, force: true });
  });

  /** The MCP Inspector's headless CLI, as a real client of `switchboard mcp`. */
  async function inspector(mode: string, ...method: string[]): Promise<any> {
    const { stdout } = await run(INSPECTOR, ['--cli', '-e', `SWITCHBOARD_HOME=${home.dir}`, process.execPath, BIN, 'mcp', '--workspace', workspace, '--mode', mode, ...method], { timeout: 60_000 });
    return JSON.parse(stdout);
  }

  it('lists and calls tools for the MCP Inspector CLI, refusing what the mode does not allow', async () => {
    const list = await inspector('ask', '--method', 'tools/list');
    expect(list.tools.map((t: { name: string }) => t.name)).to.include.members(['read_file', 'write_file', 'edit_file', 'shell', 'wait_for_cancel']);
    const readFile = list.tools.find((t: { name: string }) => t.name === 'read_file');
    expect(readFile.inputSchema).to.deep.include({ type: 'object', required: ['path'] });
    expect(readFile.annotations.readOnlyHint).to.equal(true);

    const read = await inspector('ask', '--method', 'tools/call', '--tool-name', 'read_file', '--tool-arg', 'path=a.txt');
    expect(read).to.deep.equal({ content: [{ type: 'text', text: 'hello from a.txt' }] });

    const refused = await inspector('ask', '--method', 'tools/call', '--tool-name', 'shell', '--tool-arg', 'command=ls');
    expect(refused.isError).to.equal(true);
    expect(refused.content[0].text).to.match(/needs approval .*no one to ask over MCP.*--mode bypass/);

    const edit = await inspector('accept-edits', '--method', 'tools/call', '--tool-name', 'write_file', '--tool-arg', 'path=b.txt', '--tool-arg', 'content=new');
    expect(edit.isError ?? false).to.equal(false);
    expect(readFileSync(path.join(workspace, 'b.txt'), 'utf8')).to.equal('new');

    const ran = await inspector('bypass', '--method', 'tools/call', '--tool-name', 'shell', '--tool-arg', 'command=cat b.txt');
    expect(ran.content[0].text).to.match(/^new/);

    // Even in bypass mode, the tools themselves stay inside the workspace.
    const escape = await inspector('bypass', '--method', 'tools/call', '--tool-name', 'read_file', '--tool-arg', 'path=../../etc/hostname');
    expect(escape.isError).to.equal(true);
    expect(escape.content[0].text).to.match(/outside the workspace/);
  });

  it('serves an SDK client: confined to the workspace, read-only mode, cancellation, clean exit', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--workspace', workspace, '--mode', 'read-only'],
      env: { ...process.env, SWITCHBOARD_HOME: home.dir, SWITCHBOARD_LOG_LEVEL: 'warn' } as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    try {
      const outside = await client.callTool({ name: 'read_file', arguments: { path: '../../etc/hostname' } });
      expect(outside.isError).to.equal(true);
      // A read outside the workspace would ask in a session; over MCP that is a refusal.
      expect((outside.content as { text: string }[])[0]!.text).to.match(/needs approval \(\S*etc\/hostname is outside the workspace\).* no one to ask/);

      const edit = await client.callTool({ name: 'write_file', arguments: { path: 'c.txt', content: 'x' } });
      expect(edit.isError).to.equal(true);
      expect((edit.content as { text: string }[])[0]!.text).to.match(/read-only/);
      expect(existsSync(path.join(workspace, 'c.txt'))).to.equal(false);

      const bad = await client.callTool({ name: 'read_file', arguments: { nope: 1 } });
      expect((bad.content as { text: string }[])[0]!.text).to.match(/invalid arguments for read_file: path/);

      const ac = new AbortController();
      const waiting = client.callTool({ name: 'wait_for_cancel', arguments: {} }, undefined, { signal: ac.signal }).catch((e: Error) => e);
      setTimeout(() => ac.abort(), 100);
      expect(await waiting).to.be.instanceOf(Error);
      await waitFor(() => existsSync(path.join(workspace, 'cancelled.txt')), 'the tool to see the cancellation');
    } finally {
      await client.close();
    }
  });

  it('writes nothing but MCP messages to stdout, and exits 0 when stdin closes', async () => {
    const cli = spawnCli(['mcp', '--workspace', workspace, '--log-level', 'trace'], { SWITCHBOARD_HOME: home.dir });
    const lines = new LineReader(cli.child.stdout);
    let raw = '';
    cli.child.stdout.on('data', (d: string) => (raw += d));
    const send = (msg: object) => cli.child.stdin.write(JSON.stringify(msg) + '\n');
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const init = await lines.nextJson();
    expect(init.result.serverInfo.name).to.equal('switchboard');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const list = await lines.nextJson();
    expect(list.id).to.equal(2);
    cli.child.stdin.end();
    expect(await cli.exited).to.deep.equal({ code: 0, signal: null });
    expect(cli.stderr()).to.contain('MCP server ready on stdio');
    const out = raw.split('\n').filter(Boolean);
    expect(out).to.have.length(2);
    for (const line of out) expect(JSON.parse(line).jsonrpc).to.equal('2.0');
  });

  it('--with-servers proxies the mcp.json servers, and leaves none of their processes behind', async () => {
    writeFileSync(path.join(home.dir, 'mcp.json'), JSON.stringify({ mcpServers: { everything: { command: EVERYTHING_BIN, args: ['stdio'] } } }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--with-servers', '--workspace', workspace],
      env: { ...process.env, SWITCHBOARD_HOME: home.dir, SWITCHBOARD_LOG_LEVEL: 'warn' } as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).to.include.members(['read_file', 'everything__echo', 'everything__get-sum']);
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'via switchboard' } });
    expect(echo.content).to.deep.equal([{ type: 'text', text: 'Echo: via switchboard' }]);
    const children = readFileSync(`/proc/${transport.pid}/task/${transport.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(children.length).to.equal(1);
    expect(pidAlive(children[0]!)).to.equal(true);
    await client.close();
    await waitFor(() => !pidAlive(children[0]!), 'the proxied server to stop');
  });

  it('rejects a bad mode or workspace with exit code 2', async () => {
    const bad = spawnCli(['mcp', '--mode', 'yolo'], { SWITCHBOARD_HOME: home.dir });
    expect((await bad.exited).code).to.equal(2);
    expect(bad.stderr()).to.match(/--mode must be one of ask, accept-edits, read-only, bypass/);
    const missing = spawnCli(['mcp', '--workspace', path.join(workspace, 'nope')], { SWITCHBOARD_HOME: home.dir });
    expect((await missing.exited).code).to.equal(2);
  });
});
