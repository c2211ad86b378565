import type { Plugin } from '../host/plugin.js';
import { hostInfoPlugin } from './host-info/index.js';
import { logsPlugin } from './logs/index.js';
import { mcpPlugin } from './mcp/index.js';
import { permissionsPlugin } from './permissions/index.js';
import { toolsPlugin } from './tools/index.js';
import { providersPlugin } from './providers/index.js';
import { profilesPlugin } from './profiles/index.js';
import { sessionsPlugin } from './sessions/index.js';
import { apiProxyPlugin } from './api-proxy/index.js';
import { openaiCompatPlugin } from './openai-compat/index.js';

/**
 * The built-in plugins, in registration order (the host re-orders them by dependency).
 * Each plugin lives in its own folder; adding one is one line here.
 */
export function builtinPlugins(): Plugin[] {
  return [hostInfoPlugin, toolsPlugin, permissionsPlugin, providersPlugin, profilesPlugin, sessionsPlugin, mcpPlugin, logsPlugin, apiProxyPlugin, openaiCompatPlugin];
}
