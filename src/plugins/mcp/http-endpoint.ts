import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpMount } from '../../adapters/http/mounts.js';
import type { ToolServerOptions } from './tool-server.js';

/**
 * `/mcp` under `switchboard serve`: the same tool server over Streamable HTTP, stateless (a
 * fresh server and transport per request, so nothing outlives a request). The HTTP adapter has
 * already checked the bearer token, Host and Origin.
 */
export function mcpHttpMount(opts: () => ToolServerOptions): HttpMount {
  return {
    path: '/mcp',
    async handle(req: IncomingMessage, res: ServerResponse, body?: unknown) {
      // The MCP SDK's server side loads on the first request to /mcp, not with the daemon.
      const [{ createToolServer }, { StreamableHTTPServerTransport }] = await Promise.all([
        import('./tool-server.js'),
        import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
      ]);
      const { server, subscription } = createToolServer(opts());
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        subscription.dispose();
        void transport.close().catch(() => undefined);
        void server.close().catch(() => undefined);
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
  };
}
