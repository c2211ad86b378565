import { z } from 'zod';
import { NoParams, defineClientNotification, defineMethod } from '../../host/method.js';
import { McpServerConfig, ServerName } from './config-schema.js';

const ServerEntry = z.object({
  name: z.string(),
  transport: z.enum(['stdio', 'http', 'sse']),
  /** The config as stored, with every env and header value replaced by `[redacted]`. */
  config: z.record(z.string(), z.unknown()),
});

export const McpServersList = defineMethod({
  name: 'mcp/servers/list',
  description: 'The global MCP servers of $SWITCHBOARD_HOME/mcp.json (env and header values redacted).',
  params: NoParams,
  result: z.object({ servers: z.array(ServerEntry) }),
  rest: { verb: 'GET', path: '/mcp/servers' },
});

export const McpServersAdd = defineMethod({
  name: 'mcp/servers/add',
  description:
    'Adds a global MCP server: `config` is one `mcpServers` entry as Claude Desktop / Cursor write it ({command, args, env, cwd} or {url, headers, type: "http"|"sse"}).',
  params: z.object({ name: ServerName, config: McpServerConfig }),
  result: z.object({ server: ServerEntry }),
  rest: { verb: 'POST', path: '/mcp/servers', status: 201 },
});

export const McpServersUpdate = defineMethod({
  name: 'mcp/servers/update',
  description:
    'Replaces a global MCP server config; an env or header value sent back as "[redacted]" keeps the stored value. `newName` renames it.',
  params: z.object({ serverName: z.string(), config: McpServerConfig, newName: ServerName.optional() }),
  result: z.object({ server: ServerEntry }),
  rest: { verb: 'PUT', path: '/mcp/servers/{server_name}' },
});

export const McpServersRemove = defineMethod({
  name: 'mcp/servers/remove',
  description: 'Removes a global MCP server config (sessions already connected to it stay connected).',
  params: z.object({ serverName: z.string() }),
  result: z.object({ removed: z.literal(true) }),
  rest: { verb: 'DELETE', path: '/mcp/servers/{server_name}' },
});

export const ConnectionStatus = z.enum(['connecting', 'connected', 'failed', 'disconnected']);

export const ConnectionSnapshot = z.object({
  name: z.string(),
  transport: z.enum(['stdio', 'http', 'sse']),
  status: ConnectionStatus,
  /** Why it failed (or why it is reconnecting), in words safe to show. */
  error: z.string().optional(),
  /** Restarts after a crash so far. */
  restarts: z.number().int(),
  /** The stdio server's process id while it runs. */
  pid: z.number().int().optional(),
  /** The tools as they joined the session (`<server>__<tool>`). */
  tools: z.array(z.object({ name: z.string(), mcpName: z.string(), title: z.string().optional(), description: z.string().optional(), kind: z.string() })),
});
export type ConnectionSnapshot = z.infer<typeof ConnectionSnapshot>;

export const McpConnect = defineMethod({
  name: 'mcp/connect',
  description:
    'Connects a session to an MCP server (by its name in mcp.json, or an inline `config`) and waits until it is connected or failed; its tools join the session as <server>__<tool>.',
  params: z.object({ sessionId: z.string(), serverName: ServerName, config: McpServerConfig.optional() }),
  result: ConnectionSnapshot,
  rest: { verb: 'POST', path: '/sessions/{session_id}/mcp/{server_name}/connect' },
});

export const McpDisconnect = defineMethod({
  name: 'mcp/disconnect',
  description: 'Disconnects a session from an MCP server (a stdio server process is stopped); its tools leave the session.',
  params: z.object({ sessionId: z.string(), serverName: z.string() }),
  result: z.object({ disconnected: z.boolean() }),
  rest: { verb: 'POST', path: '/sessions/{session_id}/mcp/{server_name}/disconnect' },
});

export const McpSessionStatus = defineMethod({
  name: 'mcp/session_status',
  description:
    "A session's MCP connections: status (connecting, connected, failed, disconnected) and tools. `watch: true` also sends the caller an mcp/status notification on every later change of that session's connections (until it disconnects, or asks again with `watch: false`; a REST caller, which cannot be notified, is not remembered).",
  params: z.object({ sessionId: z.string(), watch: z.boolean().optional() }),
  result: z.object({ sessionId: z.string(), servers: z.array(ConnectionSnapshot) }),
  rest: { verb: 'GET', path: '/sessions/{session_id}/mcp' },
});

export const McpStatusNotification = defineClientNotification({
  name: 'mcp/status',
  description:
    "To clients that called mcp/session_status with watch: a connection of that session changed (connecting, connected, failed with why, restarted, disconnected, or its tools changed).",
  params: ConnectionSnapshot.extend({ sessionId: z.string() }),
});

export const mcpMethods = [McpServersList, McpServersAdd, McpServersUpdate, McpServersRemove, McpConnect, McpDisconnect, McpSessionStatus];
