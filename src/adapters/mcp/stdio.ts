import type { Readable, Writable } from 'node:stream';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * `switchboard mcp`: the MCP server on a byte stream pair (stdin/stdout). Stdout carries the MCP
 * protocol and nothing else. `closed` resolves when the input ends or the server closes (the
 * SDK's stdio transport does not notice stdin closing; we do).
 */
export async function serveMcpStdio(opts: McpServerOptions & { input: Readable; output: Writable }) {
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const serving = await createMcpServer(opts);
  const closed = new Promise<void>((resolve) => {
    opts.input.once('end', resolve);
    opts.input.once('close', resolve);
    serving.server.onclose = resolve;
  });
  await serving.server.connect(new StdioServerTransport(opts.input, opts.output));
  return { closed, dispose: () => serving.dispose() };
}
