import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from 'chai';
import { waitFor } from '../plugins/mcp/helpers.js';
import { startFakeOpenAI, type FakeProvider } from '../support/fake-openai-server.js';
import { BIN } from '../support/spawn-cli.js';
import { spawnServe, type Served } from '../support/spawn-serve.js';
import { openSse } from '../support/sse-client.js';

type ToolText = { isError: boolean; text: string };

/**
 * Issue 11's promise: `switchboard mcp`, `/mcp` and a session's turn run a tool call through one
 * pipeline, so they make the same decision from the same live rules and grants: a grant made in
 * the daemon while everything runs, then a deny rule added to permissions.json.
 */
describe('e2e: one tool-call pipeline (switchboard mcp, /mcp and a turn decide alike)', function () {
  this.timeout(90_000);
  let s: Served;
  let fake: FakeProvider;
  let ws: string;
  let stdio: Client;
  let http: Client;
  let turns = 0;

  const post = (p: string, body?: unknown) => s.fetch(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const viaMcp = async (client: Client, command: string): Promise<ToolText> => {
    const r = await client.callTool({ name: 'shell', arguments: { command } });
    return { isError: r.isError === true, text: (r.content as { text: string }[])[0]!.text };
  };

  /** A turn in a fresh ask-mode session on the same workspace; `onPending` answers a prompt if one comes. */
  async function viaTurn(command: string, onPending?: (requestId: string, sessionId: string) => Promise<void>): Promise<ToolText & { asked: boolean }> {
    const id = `call_${++turns}`;
    const { sessionId } = (await (await post('/sessions', { workspace: ws, mode: 'ask' })).json()) as { sessionId: string };
    fake.enqueue({ type: 'tools', calls: [{ id, name: 'shell', args: { command } }] }, { type: 'text', chunks: ['ok'] });
    const sse = await openSse(`${s.url}/sessions/${sessionId}/message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'run it' }),
    });
    let asked = false;
    if (onPending) {
      const events = await sse.until((ev) => ev.some((e) => e.event === 'permission' || e.event === 'done'));
      const pending = events.find((e) => e.event === 'permission');
      if (pending) {
        asked = true;
        await onPending(pending.data.requestId, sessionId);
      }
    }
    await sse.ended;
    asked ||= sse.events.some((e) => e.event === 'permission');
    const update = sse.events.filter((e) => e.data?.update?.toolCallId === id && e.data.update.status).at(-1)!;
    const message = [...fake.requests].reverse().flatMap((r) => r.body.messages as any[]).find((m) => m.role === 'tool' && m.tool_call_id === id);
    return { isError: update.data.update.status === 'failed', text: String(message.content), asked };
  }

  before(async () => {
    fake = await startFakeOpenAI();
    // The workspace is beside the daemon's home, never in it.
    ws = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-one-pipeline-')));
    s = await spawnServe([], { SWITCHBOARD_MCP_WORKSPACE: ws, SWITCHBOARD_MCP_MODE: 'ask', SWITCHBOARD_PERMISSION_TIMEOUT_MS: '60000' });
    await post('/profiles', { name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-test-0000', makeDefault: true });
    // A second process on the same home, started before any grant exists.
    stdio = new Client({ name: 'stdio-test', version: '1' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--workspace', ws, '--mode', 'ask'],
        env: { ...process.env, SWITCHBOARD_HOME: s.home, SWITCHBOARD_LOG_LEVEL: 'warn' } as Record<string, string>,
        stderr: 'pipe',
      }),
    );
    http = new Client({ name: 'http-test', version: '1' });
    await http.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${s.token}` } } }));
  });
  after(async () => {
    await stdio?.close();
    await http?.close();
    await s?.stop();
    await fake?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('before any grant: MCP refuses (nobody to ask), the turn asks; allow_always for the workspace is remembered', async () => {
    for (const client of [stdio, http]) {
      const r = await viaMcp(client, 'echo same-decision');
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/"shell" \(execute\) needs approval .*no one to ask over MCP.*--mode bypass/);
    }
    const turn = await viaTurn('echo same-decision', async (requestId, sessionId) => {
      const res = await post(`/sessions/${sessionId}/permission`, { requestId, optionId: 'allow_always', scope: 'workspace' });
      expect(res.status).to.equal(200);
      expect(((await res.json()) as any).grant).to.deep.include({ scope: 'workspace', workspace: ws, tool: 'shell', subject: 'echo same-decision', effect: 'allow' });
    });
    expect(turn.asked).to.equal(true);
    expect(turn).to.deep.include({ isError: false });
    expect(turn.text).to.match(/^same-decision\n/);
    await waitFor(() => readFileSync(path.join(s.home, 'grants.json'), 'utf8').includes('echo same-decision'), 'the grant on disk');
  });

  it('after the grant: all three run the granted command, and all three still refuse another one over MCP', async () => {
    for (const client of [stdio, http]) {
      const r = await viaMcp(client, 'echo same-decision');
      expect(r, 'granted').to.deep.include({ isError: false });
      expect(r.text).to.match(/^same-decision\n/);
      const other = await viaMcp(client, 'echo something-else');
      expect(other.isError, 'a grant covers the exact command line only').to.equal(true);
      expect(other.text).to.match(/needs approval/);
    }
    const turn = await viaTurn('echo same-decision');
    expect(turn.asked, 'the grant answers the turn too').to.equal(false);
    expect(turn.isError).to.equal(false);
    expect(turn.text).to.match(/^same-decision\n/);
  });

  it('a deny rule written to permissions.json while everything runs: all three refuse, the turn without asking', async () => {
    writeFileSync(path.join(s.home, 'permissions.json'), JSON.stringify({ rules: [{ pattern: 'shell:echo *', action: 'deny' }] }));
    for (const client of [stdio, http]) {
      const r = await viaMcp(client, 'echo same-decision');
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/denied by the rule "deny shell:echo \*"/);
    }
    const turn = await viaTurn('echo same-decision');
    expect(turn.asked).to.equal(false);
    expect(turn.isError).to.equal(true);
    expect(turn.text).to.match(/denied by the rule "deny shell:echo \*"/);
    expect(readFileSync(path.join(s.home, 'permissions.json'), 'utf8')).to.contain('deny');
  });
});
