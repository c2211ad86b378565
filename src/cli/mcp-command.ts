import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { SERVE_MODES, type ServeMode } from '../plugins/mcp/serve-policy.js';
import { createToolServer } from '../plugins/mcp/tool-server.js';
import { ToolRegistryToken } from '../plugins/tools/contract.js';
import { UsageError, startApp, stopOnSignalOr, withCommonFlags, type CommonFlags } from './common.js';

interface McpFlags extends CommonFlags {
  workspace?: string;
  mode?: string;
}

/**
 * `switchboard mcp`: the host's global tools as an MCP server on stdin/stdout, each call confined
 * to `--workspace`. Stdout carries the MCP protocol and nothing else; logs go to stderr.
 */
export function registerMcpCommand(cli: CAC): void {
  withCommonFlags(cli.command('mcp', "Serve the host's tools as an MCP server on stdin/stdout"))
    .option('--workspace <dir>', 'Folder every tool call is confined to (default: the current folder)')
    .option('--mode <mode>', `Permission mode: ${SERVE_MODES.join(', ')} (default: ask; calls that would need approval are refused)`)
    .action(async (flags: McpFlags) => {
      const mode = (flags.mode ?? 'ask') as ServeMode;
      if (!SERVE_MODES.includes(mode)) throw new UsageError(`--mode must be one of ${SERVE_MODES.join(', ')}; got "${flags.mode}"`);
      const workspace = resolveWorkspace(flags.workspace ?? process.cwd());
      const app = await startApp(flags);
      const container = app.host.createChildContainer();
      const registry = container.resolve(ToolRegistryToken);
      const logger = app.logger.child({ transport: 'mcp-stdio' });
      const { server, subscription } = createToolServer({ registry, workspace, mode, logger, version: app.config.version });
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
        container.dispose();
      });
    });
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
