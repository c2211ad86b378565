/**
 * The MCP SDK's client side, loaded on first use: importing it costs ~35 MB of memory and some
 * start-up time, and most daemons run for a long while (or for ever) without connecting a server.
 */
export async function loadClientSdk() {
  const [client, sse, stdio, http, types, managed] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('./stdio-transport.js'),
  ]);
  return {
    Client: client.Client,
    SSEClientTransport: sse.SSEClientTransport,
    getDefaultEnvironment: stdio.getDefaultEnvironment,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    ListRootsRequestSchema: types.ListRootsRequestSchema,
    ManagedStdioTransport: managed.ManagedStdioTransport,
  };
}

export type ClientSdk = Awaited<ReturnType<typeof loadClientSdk>>;
