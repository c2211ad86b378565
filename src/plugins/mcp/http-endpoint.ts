import type { RawEndpoint } from '../../host/endpoints.js';
import type { ToolServerOptions } from './tool-server.js';

/**
 * `/mcp` under `switchboard serve`: the same tool server over Streamable HTTP, stateless (a
 * fresh server and transport per request, so nothing outlives a request), as a host raw endpoint
 * in web-standard Request/Response. The HTTP adapter has already checked the token, Host and
 * Origin and enforces the body limit; the client going away aborts `request.signal`, which
 * closes the server and so cancels the tool call in flight.
 */
export function mcpEndpoint(opts: () => ToolServerOptions): RawEndpoint {
  return {
    path: '/mcp',
    description: "the host's tools as an MCP server (Streamable HTTP, stateless, JSON responses)",
    async handle(request) {
      // The MCP SDK's server side loads on the first request to /mcp, not with the daemon.
      const [{ createToolServer }, { WebStandardStreamableHTTPServerTransport }] = await Promise.all([
        import('./tool-server.js'),
        import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
      ]);
      const { server, subscription } = createToolServer(opts());
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        subscription.dispose();
        void transport.close().catch(() => undefined);
        void server.close().catch(() => undefined);
      };
      request.signal.addEventListener('abort', release, { once: true });
      try {
        await server.connect(transport);
        // With JSON responses the answer is complete when this resolves: nothing streams after.
        return await transport.handleRequest(request);
      } finally {
        request.signal.removeEventListener('abort', release);
        release();
      }
    },
  };
}
