import { redactUrl } from '../../host/secrets.js';
import { z } from 'zod';

/** What every secret value (env, header) is replaced with in responses and logs. */
export const REDACTED = '[redacted]';

/**
 * A stdio server, as Claude Desktop and Cursor write it: `command`, `args`, `env`, `cwd`.
 * Unknown keys (e.g. `disabled`) are kept so that a pasted config survives a rewrite.
 */
export const StdioServerConfig = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'command must name the executable that starts the server'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
  })
  .loose();
export type StdioServerConfig = z.infer<typeof StdioServerConfig>;

/** A remote server: `url`, `headers`, and `type` `http` (Streamable HTTP, the default) or `sse`. */
export const RemoteServerConfig = z
  .object({
    type: z.enum(['http', 'sse', 'streamable-http']).optional(),
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .loose();
export type RemoteServerConfig = z.infer<typeof RemoteServerConfig>;

/** One entry of `mcpServers`: stdio when it has a `command`, remote when it has a `url`. */
export const McpServerConfig = z.union([StdioServerConfig, RemoteServerConfig], {
  error: 'a server config needs either "command" (stdio) or "url" (http/sse)',
});
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/** Server names become tool-name prefixes (`<server>__<tool>`): keep them identifier-like. */
export const ServerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/, 'a server name is 1–48 letters, digits, "_", "-" or ".", starting with a letter or digit')
  .refine((n) => !n.includes('__'), 'a server name may not contain "__" (it separates server and tool in tool names)');

/** The whole `$SWITCHBOARD_HOME/mcp.json`. Other top-level keys are kept as they are. */
export const McpConfigFile = z
  .object({ mcpServers: z.record(z.string(), McpServerConfig).default({}) })
  .loose();
export type McpConfigFile = z.infer<typeof McpConfigFile>;

export type TransportType = 'stdio' | 'http' | 'sse';

export function transportOf(config: McpServerConfig): TransportType {
  if ('command' in config && typeof config.command === 'string') return 'stdio';
  return (config as RemoteServerConfig).type === 'sse' ? 'sse' : 'http';
}

/** A copy with every env and header value replaced by the placeholder. */
export function redactConfig(config: McpServerConfig): McpServerConfig {
  const out: Record<string, unknown> = { ...config };
  for (const key of ['env', 'headers'] as const) {
    const map = (config as Record<string, unknown>)[key] as Record<string, string> | undefined;
    if (map) out[key] = Object.fromEntries(Object.keys(map).map((k) => [k, REDACTED]));
  }
  if (typeof out.url === 'string') out.url = redactUrl(out.url);
  return out as McpServerConfig;
}

/**
 * Puts stored secrets back where a client sent the placeholder (it read a redacted config and
 * sent it back). A placeholder with no stored value to stand for is an error, not a secret.
 */
export function restoreRedacted(incoming: McpServerConfig, stored: McpServerConfig | undefined): McpServerConfig {
  const out: Record<string, unknown> = { ...incoming };
  // The url as it was shown (credentials redacted) sent back unchanged keeps the stored one.
  const storedUrl = (stored as { url?: unknown } | undefined)?.url;
  if (typeof out.url === 'string' && typeof storedUrl === 'string' && out.url !== storedUrl && out.url === redactUrl(storedUrl)) out.url = storedUrl;
  for (const key of ['env', 'headers'] as const) {
    const map = (incoming as Record<string, unknown>)[key] as Record<string, string> | undefined;
    if (!map) continue;
    const old = ((stored as Record<string, unknown> | undefined)?.[key] ?? {}) as Record<string, string>;
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries(map)) {
      if (v !== REDACTED) merged[k] = v;
      else if (k in old) merged[k] = old[k]!;
      else throw new PlaceholderError(`${key}.${k} is the redacted placeholder but no value is stored for it; send the real value`);
    }
    out[key] = merged;
  }
  const usesPlaceholder = (['env', 'headers'] as const).some((key) => Object.values(((incoming as Record<string, unknown>)[key] ?? {}) as Record<string, string>).includes(REDACTED));
  // A stored secret goes only where it went before: a new command, args or url must be given it again.
  if (usesPlaceholder && stored && destinationOf(out as McpServerConfig) !== destinationOf(stored)) {
    throw new PlaceholderError(
      'an env or header value is the redacted placeholder, but the server\'s command, args or url changed; send the secret values again to use them with the new destination',
    );
  }
  return out as McpServerConfig;
}

export class PlaceholderError extends Error {}

/** Where a server's secrets go: its transport, command and args, or url. */
function destinationOf(config: McpServerConfig): string {
  const c = config as { command?: string; args?: string[]; url?: string; type?: string; cwd?: string };
  return JSON.stringify([transportOf(config), c.command ?? null, c.args ?? [], c.cwd ?? null, c.url ?? null]);
}
