import type { Logger } from 'pino';
import type { RawEndpoint } from '../../host/endpoints.js';
import type { Host } from '../../host/host.js';
import { createMcpServer } from './server.js';

/**
 * `/mcp` under `switchboard serve`: the same MCP transport over Streamable HTTP, stateless (a
 * fresh server and transport per request, so nothing outlives a request), as a host raw endpoint
 * in web-standard Request/Response. The HTTP adapter has already checked the token, Host and
 * Origin and enforces the body limit; the client going away aborts `request.signal`, which
 * closes the server and so cancels the tool call in flight.
 */
export function mcpHttpEndpoint(host: Host, logger: Logger): RawEndpoint {
  return {
    path: '/mcp',
    description: "the host's tools as an MCP server (Streamable HTTP, stateless, JSON responses)",
    async handle(request) {
      const { WebStandardStreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js');
      const serving = await createMcpServer({ host, logger });
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        void transport.close().catch(() => undefined);
        void serving.dispose();
      };
      request.signal.addEventListener('abort', release, { once: true });
      try {
        await serving.server.connect(transport);
        // With JSON responses the answer is complete when this resolves: nothing streams after.
        return await transport.handleRequest(request);
      } finally {
        request.signal.removeEventListener('abort', release);
        release();
      }
    },
  };
}
