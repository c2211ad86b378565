import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { ROOT } from '../../support/spawn-cli.js';

export const EVERYTHING_BIN = path.join(ROOT, 'node_modules', '.bin', 'mcp-server-everything');
export const FILESYSTEM_BIN = path.join(ROOT, 'node_modules', '.bin', 'mcp-server-filesystem');

/** Waits until `check` is true, re-checking on every tick of `subscribe` (or every 20 ms). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether a process with this pid is running (signal 0 checks without sending anything). A zombie
 * counts as gone: it has exited, and in a container whose PID 1 does not reap, an orphan's
 * zombie stays in the table.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

export interface RemoteServer {
  url: string;
  /** Authorization headers seen, in order. */
  authSeen: (string | undefined)[];
  close(): Promise<void>;
}

function remoteMcpServer(): McpServer {
  const server = new McpServer({ name: 'remote-test', version: '1.0.0' });
  server.registerTool(
    'multiply',
    { description: 'Multiplies two numbers', inputSchema: { a: z.number(), b: z.number() }, annotations: { readOnlyHint: true } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a * b) }] }),
  );
  server.registerTool('link', { description: 'Returns a resource link' }, async () => ({
    content: [{ type: 'resource_link', uri: 'file:///tmp/x.txt', name: 'x.txt', mimeType: 'text/plain' }],
  }));
  return server;
}

/** A real remote MCP server over Streamable HTTP (the SDK's server side), stateless. */
export async function startRemoteServer(): Promise<RemoteServer> {
  const authSeen: (string | undefined)[] = [];
  const http: HttpServer = createServer(async (req, res) => {
    authSeen.push(req.headers.authorization);
    const server = remoteMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authSeen,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** The same server over the older HTTP+SSE transport: GET /sse opens the stream, POST /messages. */
export async function startSseServer(): Promise<RemoteServer> {
  const authSeen: (string | undefined)[] = [];
  const transports = new Map<string, SSEServerTransport>();
  const http: HttpServer = createServer(async (req, res) => {
    authSeen.push(req.headers.authorization);
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      await remoteMcpServer().connect(transport);
    } else if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) return void res.writeHead(404).end();
      await transport.handlePostMessage(req, res);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    authSeen,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
