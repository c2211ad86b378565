import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import type { Logger } from 'pino';
import { McpConfigStore } from '../plugins/mcp/config-store.js';
import { McpSessionManager } from '../plugins/mcp/session-manager.js';
import { SERVE_MODES, createServePolicy, type ServeMode } from '../plugins/mcp/serve-policy.js';
import { ToolRegistryToken, type ToolRegistry } from '../plugins/tools/contract.js';
import { UsageError, startApp, stopOnSignalOr, withCommonFlags, type CommonFlags } from './common.js';

interface McpFlags extends CommonFlags {
  workspace?: string;
  mode?: string;
  withServers?: boolean;
}

/** The registry scope of the mcp.json servers' tools when `--with-servers` proxies them. */
const PROXY_SCOPE = 'switchboard-mcp';

/**
 * `switchboard mcp`: the host's global tools as an MCP server on stdin/stdout, each call confined
 * to `--workspace`. Stdout carries the MCP protocol and nothing else; logs go to stderr.
 */
export function registerMcpCommand(cli: CAC): void {
  withCommonFlags(cli.command('mcp', "Serve the host's tools as an MCP server on stdin/stdout"))
    .option('--workspace <dir>', 'Folder every tool call is confined to (default: the current folder)')
    .option('--mode <mode>', `Permission mode: ${SERVE_MODES.join(', ')} (default: ask); permissions.json rules apply; calls that would need approval are refused`)
    .option('--with-servers', 'Also connect the servers in $SWITCHBOARD_HOME/mcp.json and serve their tools as <server>__<tool>')
    .action(async (flags: McpFlags) => {
      const mode = (flags.mode ?? 'ask') as ServeMode;
      if (!SERVE_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${SERVE_MODES.join(', ')}; got "${flags.mode}"`);
      const workspace = resolveWorkspace(flags.workspace ?? process.cwd());
      const app = await startApp(flags, { command: 'mcp' });
      const container = app.host.createChildContainer();
      const registry = container.resolve(ToolRegistryToken);
      const logger = app.logger.child({ transport: 'mcp-stdio' });
      const proxied = flags.withServers ? await connectConfigured(app.config.home, registry, workspace, logger, app.config.version) : undefined;
      const scope = proxied ? PROXY_SCOPE : undefined;
      const policy = createServePolicy(app.config.home, mode, logger);
      // Loaded here, not at the top: every command imports this file, only `mcp` needs the SDK.
      const [{ createToolServer }, { StdioServerTransport }] = await Promise.all([
        import('../plugins/mcp/tool-server.js'),
        import('@modelcontextprotocol/sdk/server/stdio.js'),
      ]);
      const { server, subscription } = createToolServer({ registry, workspace, mode, policy, logger, version: app.config.version, scope });
      // The SDK's stdio server transport does not notice stdin closing; we do, and stop.
      const closed = new Promise<void>((resolve) => {
        process.stdin.once('end', resolve);
        process.stdin.once('close', resolve);
        server.onclose = resolve;
      });
      await server.connect(new StdioServerTransport(process.stdin, process.stdout));
      logger.info({ workspace, mode, tools: registry.list().length }, 'MCP server ready on stdio');
      stopOnSignalOr(app, closed, async () => {
        subscription.dispose();
        await server.close().catch(() => undefined);
        await proxied?.dispose();
        container.dispose();
      });
    });
}

/** Connects every mcp.json server (their tools join PROXY_SCOPE); one that fails is logged. */
async function connectConfigured(home: string, registry: ToolRegistry, workspace: string, logger: Logger, version: string): Promise<McpSessionManager> {
  const manager = new McpSessionManager(registry, logger, { clientVersion: version });
  const { mcpServers } = await new McpConfigStore(home, logger).read();
  await Promise.all(
    Object.entries(mcpServers).map(async ([name, config]) => {
      const snap = await manager.connect(PROXY_SCOPE, workspace, name, config);
      if (snap.status !== 'connected') logger.warn({ server: name, reason: snap.error }, 'MCP server from mcp.json not connected');
    }),
  );
  return manager;
}

function resolveWorkspace(dir: string): string {
  try {
    const real = realpathSync(path.resolve(dir));
    if (!statSync(real).isDirectory()) throw new Error('not a folder');
    return real;
  } catch {
    throw new UsageError(`--workspace must be an existing folder; got "${dir}"`);
  }
}
