import { z } from 'zod';
import { registerEnvSecret, registerSecret } from '../../host/secrets.js';
import { REDACTED, type McpServerConfig } from './config-schema.js';

const NameValue = z.object({ name: z.string(), value: z.string() }).loose();

/** ACP `session/new` `mcpServers` entries (schema v1): stdio, or `type` http / sse. */
export const AcpMcpServer = z.union([
  z.object({ type: z.enum(['http', 'sse']), name: z.string(), url: z.string(), headers: z.array(NameValue).nullish() }).loose(),
  z.object({ type: z.literal('stdio').optional(), name: z.string(), command: z.string(), args: z.array(z.string()).nullish(), env: z.array(NameValue).nullish() }).loose(),
]);
export type AcpMcpServer = z.infer<typeof AcpMcpServer>;

/** One ACP server in our config shape, or the reason it cannot be used (never its secrets). */
export function fromAcp(raw: unknown): { name: string; config: McpServerConfig } | { name?: string; error: string } {
  const parsed = AcpMcpServer.safeParse(raw);
  if (!parsed.success) {
    const name = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : undefined;
    return { name, error: 'not an ACP McpServer (stdio {name, command, args, env} or {type: "http"|"sse", name, url, headers})' };
  }
  const s = parsed.data;
  const pairs = (list: { name: string; value: string }[] | null | undefined, kind: 'env' | 'header') =>
    Object.fromEntries(
      (list ?? []).map((p) => {
        if (kind === 'env') registerEnvSecret(p.name, p.value);
        else registerSecret(p.value);
        return [p.name, p.value];
      }),
    );
  if (s.type === 'http' || s.type === 'sse') {
    return { name: s.name, config: { type: s.type, url: s.url, headers: pairs(s.headers, 'header') } };
  }
  const stdio = s as Extract<AcpMcpServer, { command: string }>;
  return { name: stdio.name, config: { command: stdio.command, args: stdio.args ?? [], env: pairs(stdio.env, 'env') } };
}

/**
 * ACP `mcpServers` as a client may be shown them: every env and header value replaced by the
 * placeholder (the session view echoes what `session/new` was given).
 */
export function redactAcpServers(list: readonly unknown[]): unknown[] {
  return list.map((raw) => {
    if (typeof raw !== 'object' || raw === null) return raw;
    const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const key of ['env', 'headers']) {
      const pairs = out[key];
      if (Array.isArray(pairs)) out[key] = pairs.map((p) => (typeof p === 'object' && p !== null ? { ...p, value: REDACTED } : p));
    }
    return out;
  });
}

/** The ACP McpServer transports Switchboard connects (and so advertises in mcpCapabilities). */
export const SUPPORTED_MCP_TYPES = ['stdio', 'http', 'sse'] as const;

export interface SkippedServer {
  name?: string;
  type: string;
  reason: string;
}

/**
 * Splits a client's `mcpServers` into those Switchboard can connect and those of a transport it
 * does not support (e.g. a future `type`), which are skipped with a warning instead of failing
 * the session. An entry without `type` is stdio (ACP v1).
 */
export function partitionAcpServers(list: readonly unknown[]): { kept: unknown[]; skipped: SkippedServer[] } {
  const kept: unknown[] = [];
  const skipped: SkippedServer[] = [];
  for (const raw of list) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (type === undefined || (typeof type === 'string' && (SUPPORTED_MCP_TYPES as readonly string[]).includes(type))) {
      kept.push(raw);
      continue;
    }
    const name = (raw as { name?: unknown }).name;
    skipped.push({
      ...(typeof name === 'string' ? { name } : {}),
      type: String(type),
      reason: `MCP server type "${String(type)}" is not supported (supported: ${SUPPORTED_MCP_TYPES.join(', ')}); the server was skipped`,
    });
  }
  return { kept, skipped };
}
