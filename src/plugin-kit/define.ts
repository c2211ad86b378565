import type { Disposable } from '../host/disposable.js';
import type { EventDecl, MethodDecl } from '../host/method.js';
import type { Plugin } from '../host/plugin.js';
import { ToolRegistryToken } from '../plugins/tools/contract.js';
import { Fence } from '../plugins/tools/fence.js';
import { kitContext, type PluginContext } from './context.js';
import { toToolDefinition, type ToolSpec } from './tool.js';

/**
 * The version of this plugin API (`switchboard/plugin`). It changes when a plugin written for
 * the previous one would break; the host refuses a plugin that asks for another.
 */
export const apiVersion = 1;

/** What an author writes: a name, what the plugin declares, and `activate`. */
export interface PluginSpec {
  /** Lower case letters, digits and `-`; the namespace of its methods and events (`<name>/…`). */
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** The plugin API the plugin was written for (default: this one). */
  readonly apiVersion?: number;
  /** Plugins that must be active first. */
  readonly dependsOn?: readonly string[];
  /** Its methods (`defineMethod`), each named `<name>/<method>`. */
  readonly methods?: readonly MethodDecl[];
  /** Its events (`defineEvent`), each named `<name>/<event>`. */
  readonly events?: readonly EventDecl[];
  /** Its tools (`defineTool`), added to the tool registry while the plugin is active. */
  readonly tools?: readonly ToolSpec[];
  activate?(ctx: PluginContext): void | Disposable | Promise<void | Disposable>;
}

/** A plugin built by `definePlugin`: the host's plugin contract, plus what the loader checks. */
export interface SwitchboardPlugin extends Plugin {
  readonly apiVersion: number;
  readonly tools: readonly string[];
}

const PLUGIN_NAME = /^[a-z][a-z0-9-]{0,63}$/;

export function definePlugin(spec: PluginSpec): SwitchboardPlugin {
  if (!PLUGIN_NAME.test(spec.name)) throw new Error(`plugin name "${spec.name}" must be lower case letters, digits and "-", starting with a letter`);
  for (const decl of [...(spec.methods ?? []), ...(spec.events ?? [])]) {
    if (!decl.name.startsWith(`${spec.name}/`) || decl.name.length === spec.name.length + 1) {
      throw new Error(`plugin "${spec.name}" declares "${decl.name}": its methods and events must be named "${spec.name}/<name>"`);
    }
  }
  const tools = spec.tools ?? [];
  return {
    name: spec.name,
    version: spec.version,
    description: spec.description,
    apiVersion: spec.apiVersion ?? apiVersion,
    dependsOn: spec.dependsOn,
    methods: spec.methods,
    events: spec.events,
    tools: tools.map((t) => t.name),
    requires: tools.length ? [ToolRegistryToken] : [],
    async activate(hostCtx) {
      if (tools.length) {
        const registry = hostCtx.require(ToolRegistryToken);
        const fence = Fence.forHome(hostCtx.config.home);
        for (const tool of tools) hostCtx.subscriptions.add(registry.register(toToolDefinition(tool, spec.name, fence), { source: `plugin "${spec.name}"` }));
      }
      return spec.activate?.(kitContext(hostCtx, spec.events ?? []));
    },
  };
}
