import type { Plugin } from '../host/plugin.js';
import { hostInfoPlugin } from './host-info/index.js';
import { mcpPlugin } from './mcp/index.js';
import { permissionsPlugin } from './permissions/index.js';
import { toolsPlugin } from './tools/index.js';
import { providersPlugin } from './providers/index.js';
import { profilesPlugin } from './profiles/index.js';
import { sessionsPlugin } from './sessions/index.js';

/**
 * The built-in plugins, in registration order (the host re-orders them by dependency).
 * Each plugin lives in its own folder; adding one is one line here, in either list.
 */
export async function builtinPlugins(): Promise<Plugin[]> {
  return [...corePlugins(), ...(await laterPlugins())];
}

/** What an editor's first calls need: ACP `initialize`, sessions and what they run on, MCP. */
export function corePlugins(): Plugin[] {
  return [hostInfoPlugin, toolsPlugin, permissionsPlugin, providersPlugin, profilesPlugin, sessionsPlugin, mcpPlugin];
}

/**
 * The rest, whose modules (and zod schemas) are evaluated only when this runs: `switchboard
 * stdio` and `mcp` start them after their first answer (`Host.startLater`); nothing in `corePlugins`
 * may depend on them.
 */
export async function laterPlugins(): Promise<Plugin[]> {
  const [logs, apiProxy, openaiCompat, voice, hub] = await Promise.all([
    import('./logs/index.js'),
    import('./api-proxy/index.js'),
    import('./openai-compat/index.js'),
    import('./voice/index.js'),
    import('./hub/index.js'),
  ]);
  return [logs.logsPlugin, apiProxy.apiProxyPlugin, openaiCompat.openaiCompatPlugin, voice.voicePlugin, hub.hubPlugin];
}
