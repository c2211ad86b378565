import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from 'chai';
import { z } from 'zod';
import { HttpMountsToken } from '../../../src/adapters/http/mounts.js';
import { refusalFor } from '../../../src/plugins/mcp/serve-policy.js';
import { ToolRegistryToken, type ToolKind } from '../../../src/plugins/tools/contract.js';
import { createTestHost, type TestHost } from '../../support/in-memory.js';

describe('mcp: the host tools as an MCP server', () => {
  it('modes: reads always run; ask refuses what needs a person; accept-edits lets edits through; bypass runs all', () => {
    const t = (kind: ToolKind) => ({ name: 'x', kind });
    for (const mode of ['ask', 'accept-edits', 'read-only', 'bypass'] as const) {
      expect(refusalFor(mode, t('read')), mode).to.equal(undefined);
      expect(refusalFor(mode, t('search')), mode).to.equal(undefined);
    }
    expect(refusalFor('ask', t('edit'))).to.match(/needs approval in ask mode.*--mode accept-edits or --mode bypass/);
    expect(refusalFor('ask', t('execute'))).to.match(/--mode bypass/);
    expect(refusalFor('accept-edits', t('edit'))).to.equal(undefined);
    expect(refusalFor('accept-edits', t('execute'))).to.match(/needs approval in accept-edits mode/);
    expect(refusalFor('read-only', t('edit'))).to.match(/read-only mode/);
    expect(refusalFor('bypass', t('delete'))).to.equal(undefined);
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
      const mounts = container.resolve(HttpMountsToken);
      // Stands in for the HTTP adapter, which checks the token before it calls a mount.
      http = createServer((req, res) => void mounts.find(new URL(req.url!, 'http://x').pathname)!.handle(req, res));
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
