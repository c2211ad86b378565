import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { Plugin } from '../../host/plugin.js';
import { SessionServiceToken, type SessionInfo, type SessionService } from '../sessions/contract.js';
import { ToolCallsToken, ToolRegistryToken } from '../tools/contract.js';
import { fromAcp } from './acp-servers.js';
import { redactConfig, transportOf, type McpServerConfig } from './config-schema.js';
import { McpConfigStore } from './config-store.js';
import {
  McpConnect,
  McpDisconnect,
  McpServersAdd,
  McpServersList,
  McpServersRemove,
  McpServersUpdate,
  McpSessionStatus,
  McpStatusNotification,
  mcpMethods,
} from './schemas.js';
import { McpSessionManager } from './session-manager.js';
import { StatusWatchers } from './status-watchers.js';

const entry = (name: string, config: McpServerConfig) => ({
  name,
  transport: transportOf(config),
  config: redactConfig(config) as Record<string, unknown>,
});

/**
 * MCP servers as a client: the global server config (`mcp.json`), sessions as real MCP clients
 * (ACP `session/new` `mcpServers` are connected when the session opens), and, under
 * `switchboard mcp --with-servers` (`SWITCHBOARD_MCP_WITH_SERVERS=1`), the mcp.json servers'
 * tools proxied into the served scope. Serving the host's tools over MCP is a transport
 * (src/adapters/mcp) over `tools/list` and `tools/call`, not this plugin.
 */
export const mcpPlugin: Plugin = {
  name: 'mcp',
  description: 'MCP servers for sessions (client), and the mcp.json servers proxied by switchboard mcp --with-servers',
  dependsOn: ['host', 'tools'],
  requires: [ToolRegistryToken, ToolCallsToken],
  optional: [SessionServiceToken],
  methods: mcpMethods,
  clientMethods: [McpStatusNotification],
  activate(ctx) {
    const { logger } = ctx;
    const registry = ctx.require(ToolRegistryToken);
    const store = new McpConfigStore(ctx.config.home, logger);
    const manager = ctx.subscriptions.add(new McpSessionManager(registry, logger, { clientVersion: ctx.config.version }));
    const watchers = ctx.subscriptions.add(new StatusWatchers());
    ctx.subscriptions.add(manager.onDidChangeConnection((sessionId, snap) => watchers.changed(sessionId, snap)));
    let configured: number | undefined;
    // The servers each session got from ACP (session/new, or session/load with a new list).
    const fromSession = new Map<string, Set<string>>();
    const connectSessionServers = (s: SessionInfo) =>
      void connectAcpServers(s).catch((err: Error) => logger.error({ sessionId: s.sessionId, err: err.message }, 'connecting ACP mcpServers failed'));
    const readConfig = async () => {
      const file = await store.read();
      configured = Object.keys(file.mcpServers).length;
      return file;
    };
    void readConfig().catch((err) => logger.warn({ err: (err as Error).message }, 'mcp.json unreadable'));

    // The sessions plugin may activate after this one (or be absent): attach in the ready phase;
    // subscribing replays the sessions already in use, whose servers then connect.
    let sessions: SessionService | undefined;
    ctx.onReady(() => {
      sessions = ctx.optional(SessionServiceToken);
      if (!sessions) return logger.info('no sessions plugin: ACP mcpServers are not connected');
      ctx.subscriptions.add(sessions.onDidOpen(connectSessionServers));
      ctx.subscriptions.add(
        sessions.onDidDelete((id) => {
          fromSession.delete(id);
          watchers.forget(id);
          void manager.disconnectSession(id);
        }),
      );
      // A closed session keeps its log but no live servers; loading it again reconnects them.
      ctx.subscriptions.add(
        sessions.onDidClose((id) => {
          fromSession.delete(id);
          void manager.disconnectSession(id);
        }),
      );
    });

    const sessionOf = (sessionId: string): SessionInfo => {
      const service = sessions;
      if (!service) throw new RpcError(ErrorCodes.Unavailable, 'sessions are not available: the sessions plugin is not active');
      const s = service.get(sessionId);
      if (!s) throw RpcError.notFound(`session "${sessionId}"`);
      return s;
    };

    async function connectAcpServers(s: SessionInfo): Promise<void> {
      const servers = (s.mcpServers ?? []).map(fromAcp);
      const names = new Set(servers.flatMap((x) => (x.name ? [x.name] : [])));
      // A session loaded with a different list: what it no longer lists goes.
      for (const old of fromSession.get(s.sessionId) ?? []) if (!names.has(old)) void manager.disconnect(s.sessionId, old, true);
      fromSession.set(s.sessionId, names);
      await Promise.all(
        servers.map(async (server) => {
          if ('error' in server) {
            return logger.warn({ sessionId: s.sessionId, server: server.name, reason: server.error }, 'ACP mcpServers entry skipped');
          }
          const snap = await manager.connect(s.sessionId, s.workspace, server.name, server.config, s.additionalDirectories).catch((err: Error) => ({ status: 'failed', error: err.message }));
          logger.debug({ sessionId: s.sessionId, server: server.name, status: snap.status }, 'ACP MCP server connected at session start');
        }),
      );
    }

    ctx.handle(McpServersList, async () => {
      const file = await readConfig();
      return { servers: Object.entries(file.mcpServers).map(([n, c]) => entry(n, c)) };
    });
    ctx.handle(McpServersAdd, async ({ name, config }) => {
      const stored = await store.add(name, config);
      configured = (configured ?? 0) + 1;
      logger.info({ server: name, config: redactConfig(stored) }, 'MCP server added');
      return { server: entry(name, stored) };
    });
    ctx.handle(McpServersUpdate, async ({ serverName, config, newName }) => {
      const stored = await store.update(serverName, config, newName);
      logger.info({ server: newName ?? serverName, config: redactConfig(stored) }, 'MCP server updated');
      return { server: entry(newName ?? serverName, stored) };
    });
    ctx.handle(McpServersRemove, async ({ serverName }) => {
      await store.remove(serverName);
      configured = Math.max(0, (configured ?? 1) - 1);
      logger.info({ server: serverName }, 'MCP server removed');
      return { removed: true as const };
    });

    ctx.handle(McpConnect, async ({ sessionId, serverName, config }) => {
      const session = sessionOf(sessionId);
      const resolved = config ?? (await store.get(serverName));
      if (!resolved) {
        throw RpcError.notFound(`MCP server "${serverName}" (not in mcp.json; add it with POST /mcp/servers or pass "config")`);
      }
      return manager.connect(sessionId, session.workspace, serverName, resolved, session.additionalDirectories);
    });
    ctx.handle(McpDisconnect, async ({ sessionId, serverName }) => {
      sessionOf(sessionId);
      return { disconnected: await manager.disconnect(sessionId, serverName) };
    });
    ctx.handle(McpSessionStatus, ({ sessionId, watch }, call) => {
      sessionOf(sessionId);
      // A one-shot REST caller cannot be sent notifications: its watch would only linger.
      if (watch === true && call.client.canRequest) watchers.watch(sessionId, call.client);
      else if (watch === false) watchers.unwatch(sessionId, call.client);
      return { sessionId, servers: manager.status(sessionId) };
    });

    ctx.status.add('mcp', () => ({
      configFile: store.file,
      ...(configured !== undefined ? { configured } : {}),
      sessions: manager.all(),
    }));

    // `switchboard mcp --with-servers`: every mcp.json server, its tools served beside the host's.
    if (ctx.config.env.SWITCHBOARD_MCP_WITH_SERVERS === '1') {
      const { served } = ctx.require(ToolCallsToken);
      ctx.onReady(async () => {
        const { mcpServers } = await readConfig();
        await Promise.all(
          Object.entries(mcpServers).map(async ([name, config]) => {
            const snap = await manager.connect(served.scope, served.workspace, name, config);
            if (snap.status !== 'connected') logger.warn({ server: name, reason: snap.error }, 'MCP server from mcp.json not connected');
          }),
        );
      });
    }
  },
};
