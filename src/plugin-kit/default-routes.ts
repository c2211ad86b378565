import type { MethodDecl } from '../host/method.js';
import type { Plugin } from '../host/plugin.js';

/**
 * A custom plugin's methods that declare no REST route get `POST /plugins/<plugin>/<method>`
 * (the method's name without the plugin's namespace), so every method is reachable over REST
 * and listed in the OpenAPI document without the author writing a route.
 */
export function withDefaultRoutes(plugin: Plugin): Plugin {
  if (!(plugin.methods ?? []).some((m) => !m.rest)) return plugin;
  const prefix = `${plugin.name}/`;
  const methods = plugin.methods!.map((m): MethodDecl => {
    if (m.rest) return m;
    const local = m.name.startsWith(prefix) ? m.name.slice(prefix.length) : m.name;
    const segments = local.split('/').map(encodeURIComponent).join('/');
    return Object.freeze({ ...m, rest: { verb: 'POST' as const, path: `/plugins/${encodeURIComponent(plugin.name)}/${segments}` } });
  });
  // Keep the plugin's own object (its activate, its extra fields), with the routed methods.
  return Object.assign(Object.create(plugin) as Plugin, { methods });
}
