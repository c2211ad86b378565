import { realpathSync } from 'node:fs';
import type { Plugin } from '../../host/plugin.js';
import { builtinTools } from './builtin/index.js';
import { toolClientMethods } from './client-methods.js';
import { PermissionGateToken, ToolCallsToken, ToolRegistryToken, type PermissionGate, type ServedTools } from './contract.js';
import { Fence } from './fence.js';
import { ToolsCall, ToolsList, ToolsListChanged, ToolsProgress, callServedTool, toMcpTool } from './methods.js';
import { ApprovalMode } from './modes.js';
import { ToolPipeline } from './pipeline.js';
import { InMemoryToolRegistry } from './registry.js';
import { detectSandbox, type SandboxInfo } from './sandbox.js';

/** The registry scope of the tools `switchboard mcp --with-servers` proxies (served beside the global ones). */
export const SERVED_SCOPE = 'switchboard-mcp';

/**
 * The tool registry that built-in tools, MCP servers and custom plugins add to; the built-in
 * file and shell tools, confined to the session's workspace; and the one tool-call pipeline
 * every caller runs a tool through (a turn, `tools/call`, and so `switchboard mcp` and `/mcp`).
 * `host/status` gets a `sandbox` section saying whether shell commands run under bubblewrap.
 */
export const toolsPlugin: Plugin = {
  name: 'tools',
  description: 'tool registry, built-in tools (files, search, shell) confined to the workspace, and the tool-call pipeline',
  dependsOn: ['host'],
  provides: [ToolRegistryToken, ToolCallsToken],
  // The permissions plugin provides the gate and activates after us (it uses the registry).
  optional: [PermissionGateToken],
  methods: [ToolsList, ToolsCall],
  events: [ToolsListChanged],
  clientMethods: [...toolClientMethods, ToolsProgress],
  activate(ctx) {
    const registry = new InMemoryToolRegistry();
    ctx.provide(ToolRegistryToken, registry);

    // Probed once, lazily: starting bwrap costs a few ms that `stdio` start-up need not pay.
    let sandbox: SandboxInfo | undefined;
    const getSandbox = () => (sandbox ??= detectSandbox(ctx.config.env));
    ctx.status.add('sandbox', () => getSandbox());
    // The daemon's home is outside every workspace fence, even a workspace that contains it.
    const fence = Fence.forHome(ctx.config.home);
    for (const tool of builtinTools(getSandbox, { ...ctx.config.env }, fence)) ctx.subscriptions.add(registry.register(tool));

    // The gate is found in the ready phase; until then, and without one, every call is refused.
    let gate: PermissionGate | undefined;
    ctx.onReady(() => {
      gate = ctx.optional(PermissionGateToken);
      if (!gate) ctx.logger.error('no permissions plugin: every tool call is refused (the gate fails closed)');
    });
    const pipeline = new ToolPipeline({ registry, gate: () => gate, logger: ctx.logger });
    const served = servedTools(ctx.config.env, ctx.logger);
    ctx.provide(ToolCallsToken, { pipeline, served });

    ctx.handle(ToolsList, () => ({ tools: [...registry.list(), ...registry.list(served.scope).filter((t) => !registry.get(t.name))].map(toMcpTool) }));
    ctx.handle(ToolsCall, (params, call) => callServedTool(pipeline, served, params, call));
    ctx.subscriptions.add(
      registry.onDidChange((e) => {
        if (e.sessionId === undefined || e.sessionId === served.scope) ctx.events.emit(ToolsListChanged, {});
      }),
    );
  },
};

/** The workspace and mode of calls without a session, from the command line / environment. */
function servedTools(env: Readonly<Record<string, string | undefined>>, logger: { warn(o: object, m: string): void }): ServedTools {
  const mode = ApprovalMode.safeParse(env.SWITCHBOARD_MCP_MODE);
  if (env.SWITCHBOARD_MCP_MODE && !mode.success) logger.warn({ mode: env.SWITCHBOARD_MCP_MODE }, 'SWITCHBOARD_MCP_MODE is not a mode; tools/call uses ask');
  let workspace = process.cwd();
  try {
    workspace = realpathSync(env.SWITCHBOARD_MCP_WORKSPACE ?? workspace);
  } catch {
    logger.warn({ workspace: env.SWITCHBOARD_MCP_WORKSPACE }, 'SWITCHBOARD_MCP_WORKSPACE does not exist; tools/call uses the current folder');
  }
  return { workspace, mode: mode.success ? mode.data : 'ask', scope: SERVED_SCOPE };
}
