import type { Plugin } from '../../host/plugin.js';
import { ToolRegistryToken } from './contract.js';
import { InMemoryToolRegistry } from './registry.js';

/**
 * The tool registry that built-in tools, MCP servers and custom plugins add to.
 * (Built-in file and shell tools and workspace confinement arrive with the tools issue.)
 */
export const toolsPlugin: Plugin = {
  name: 'tools',
  description: 'tool registry and built-in tools',
  activate(ctx) {
    const registry = new InMemoryToolRegistry();
    ctx.container.registerInstance(ToolRegistryToken, registry);
  },
};
