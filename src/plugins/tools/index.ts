import type { Plugin } from '../../host/plugin.js';
import { builtinTools } from './builtin/index.js';
import { toolClientMethods } from './client-methods.js';
import { ToolRegistryToken } from './contract.js';
import { Fence } from './fence.js';
import { InMemoryToolRegistry } from './registry.js';
import { detectSandbox, type SandboxInfo } from './sandbox.js';

/**
 * The tool registry that built-in tools, MCP servers and custom plugins add to, and the built-in
 * file and shell tools, confined to the session's workspace. `host/status` gets a `sandbox`
 * section saying whether shell commands run under bubblewrap.
 */
export const toolsPlugin: Plugin = {
  name: 'tools',
  description: 'tool registry and built-in tools (files, search, shell), confined to the workspace',
  dependsOn: ['host'],
  provides: [ToolRegistryToken],
  clientMethods: toolClientMethods,
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
  },
};
