import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createServer, type Server as HttpServer } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from 'chai';
import { z } from 'zod';
import { serveRawEndpoint } from '../../../src/adapters/http/raw-endpoints.js';
import { restPeer } from '../../../src/adapters/call-peer.js';
import { ToolCallsToken, ToolRegistryToken } from '../../../src/plugins/tools/contract.js';
import type { ApprovalMode } from '../../../src/plugins/tools/modes.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

describe('mcp: the host tools as an MCP server', () => {
  it('decides as a session would (mode, permissions.json rules), refusing what would need a person', async () => {
    const t = await createTestHost();
    try {
      writeFileSync(
        path.join(t.home, 'permissions.json'),
        JSON.stringify({ rules: [{ action: 'deny', pattern: 'shell:rm *' }, { action: 'allow', pattern: 'write_file:src/**' }] }),
      );
      const { pipeline } = t.app.host.createChildContainer().resolve(ToolCallsToken);
      const ws = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sb-serve-policy-')));
      // The one pipeline, as MCP calls it: the mode from the command line, nobody to ask.
      const check = async (mode: ApprovalMode, name: string, args: unknown) => {
        const out = await pipeline.run({ toolCallId: 'c', name, arguments: args, sessionId: 'mcp', workspace: ws, mode, interactive: false, signal: new AbortController().signal });
        return out.status === 'refused' ? out.text : undefined;
      };

      expect(await check('ask', 'read_file', { path: 'a.txt' })).to.equal(undefined);
      expect(await check('ask', 'write_file', { path: 'a.txt', content: 'x' })).to.match(/needs approval .* no one to ask over MCP.*--mode accept-edits or --mode bypass/);
      expect(await check('ask', 'write_file', { path: 'src/a.ts', content: 'x' })).to.equal(undefined, 'allowed by the rule');
      expect(await check('ask', 'shell', { command: 'ls' })).to.match(/--mode bypass/);
      expect(await check('accept-edits', 'write_file', { path: 'a.txt', content: 'x' })).to.equal(undefined);
      expect(await check('accept-edits', 'shell', { command: 'ls' })).to.match(/needs approval/);
      expect(await check('read-only', 'write_file', { path: 'src/a.ts', content: 'x' })).to.match(/read-only/);
      expect(await check('bypass', 'shell', { command: 'ls' })).to.equal(undefined);
      expect(await check('bypass', 'shell', { command: 'rm -rf src' })).to.match(/denied by the rule "deny shell:rm \*"/);
      rmSync(ws, { recursive: true, force: true });
    } finally {
      await t.close();
    }
  });

  describe('/mcp (Streamable HTTP mount for switchboard serve)', () => {
    let t: TestHost;
    let http: HttpServer;
    let url: string;
    before(async () => {
      t = await createTestHost();
      const container = t.app.host.createChildContainer();
      container.resolve(ToolRegistryToken).register({
        name: 'shout',
        description: 'Upper-cases text',
        kind: 'read',
        parameters: z.object({ text: z.string() }),
        execute: async ({ text }: { text: string }, ctx) => ({
          content: [{ type: 'content', content: { type: 'text', text: `${text.toUpperCase()} in ${ctx.workspace}` } }],
        }),
      });
      const endpoint = t.app.host.endpoints.find('/mcp')!;
      // Stands in for the HTTP adapter, which checks the token before it serves a raw endpoint.
      http = createServer((req, res) => {
        const peer = restPeer(t.app.host, new AbortController().signal);
        void serveRawEndpoint(endpoint, req, res, { maxBodyBytes: 1 << 20, headers: {}, client: peer, base: 'http://127.0.0.1' }).finally(() => peer.dispose());
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    });
    after(async () => {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await t.close();
    });

    it('lists and calls the host tools for an SDK client', async () => {
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name)).to.include('shout');
      const result = await client.callTool({ name: 'shout', arguments: { text: 'hi' } });
      expect((result.content as { text: string }[])[0]!.text).to.equal(`HI in ${process.cwd()}`);
      await client.close();
    });
  });
});
