import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import { MODE_NAMES } from '../plugins/tools/mode-names.js';
import { UsageError, startApp, stopOnSignalOr, withCommonFlags, type CommonFlags } from './common.js';

interface McpFlags extends CommonFlags {
  workspace?: string;
  mode?: string;
  withServers?: boolean;
}

const MODES = MODE_NAMES;

/**
 * `switchboard mcp`: the host's tools as an MCP server on stdin/stdout. The app starts through
 * the normal plugin lifecycle; the MCP stdio adapter relays `tools/list` and `tools/call`, which
 * run every call through the tools plugin's pipeline with this command line's workspace and mode
 * (handed to the plugins as SWITCHBOARD_MCP_WORKSPACE / SWITCHBOARD_MCP_MODE). Stdout carries the
 * MCP protocol and nothing else; logs go to stderr.
 */
export function registerMcpCommand(cli: CAC): void {
  withCommonFlags(cli.command('mcp', "Serve the host's tools as an MCP server on stdin/stdout"))
    .option('--workspace <dir>', 'Folder every tool call is confined to (default: the current folder)')
    .option('--mode <mode>', `Permission mode: ${MODES.join(', ')} (default: ask); permissions.json rules apply; calls that would need approval are refused`)
    .option('--with-servers', 'Also connect the servers in $SWITCHBOARD_HOME/mcp.json and serve their tools as <server>__<tool>')
    .action(async (flags: McpFlags) => {
      const [{ ApprovalMode }, { serveMcpStdio }] = await Promise.all([import('../plugins/tools/modes.js'), import('../adapters/mcp/stdio.js')]);
      const mode = ApprovalMode.safeParse(flags.mode ?? 'ask');
      if (!mode.success) throw new UsageError(`--mode must be one of ${MODES.join(', ')}; got "${flags.mode}"`);
      const workspace = resolveWorkspace(flags.workspace ?? process.cwd());
      const env = {
        ...process.env,
        SWITCHBOARD_MCP_WORKSPACE: workspace,
        SWITCHBOARD_MCP_MODE: mode.data,
        SWITCHBOARD_MCP_WITH_SERVERS: flags.withServers ? '1' : undefined,
      };
      const app = await startApp(flags, { env, command: 'mcp', startLater: true });
      const logger = app.logger.child({ transport: 'mcp-stdio' });
      const served = await serveMcpStdio({
        host: app.host,
        logger,
        input: process.stdin,
        output: process.stdout,
        instructions: `Switchboard's tools, confined to the workspace ${workspace} (mode: ${mode.data}).`,
      });
      logger.info({ workspace, mode: mode.data }, 'MCP server ready on stdio');
      stopOnSignalOr(app, served.closed, () => served.dispose());
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
