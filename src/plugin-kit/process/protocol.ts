import { z } from 'zod';

/**
 * The out-of-process plugin protocol (docs/PLUGINS.md), declared once here. Schemas in the
 * handshake are JSON Schema (any language can write them); the host turns them into zod.
 */
export const PROTOCOL_API_VERSION = 1;

const JsonSchema = z.record(z.string(), z.unknown());
const Name = z.string().min(1).max(128);

export const HandshakeMethod = z.object({
  name: Name,
  description: z.string().default(''),
  params: JsonSchema.default({ type: 'object' }),
  result: JsonSchema.default({}),
  rest: z.object({ verb: z.enum(['GET', 'POST', 'PUT', 'DELETE']), path: z.string().startsWith('/') }).optional(),
});

export const HandshakeEvent = z.object({
  name: Name,
  description: z.string().default(''),
  payload: JsonSchema.default({}),
});

export const HandshakeTool = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name is 1-64 letters, digits, "_" or "-"'),
  title: z.string().optional(),
  description: z.string().default(''),
  kind: z.enum(['read', 'edit', 'delete', 'move', 'search', 'execute', 'think', 'fetch', 'other']).default('other'),
  inputSchema: JsonSchema.default({ type: 'object' }),
  /** Argument names that are workspace paths: confined by the host before the call. */
  paths: z.array(z.string()).default([]),
});

/** What the plugin answers to `initialize`. */
export const Handshake = z.object({
  apiVersion: z.number().int(),
  name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a plugin name is lower case letters, digits and "-", starting with a letter'),
  version: z.string().optional(),
  description: z.string().optional(),
  dependsOn: z.array(z.string()).default([]),
  methods: z.array(HandshakeMethod).default([]),
  events: z.array(HandshakeEvent).default([]),
  tools: z.array(HandshakeTool).default([]),
});
export type Handshake = z.infer<typeof Handshake>;

/** The plugin's answer to `tool/call`. */
export const ToolCallAnswer = z.object({ content: z.unknown(), isError: z.boolean().default(false) });

/** Plugin → host: call a host method as an internal client. */
export const HostCallParams = z.object({ method: z.string(), params: z.unknown().optional() });
/** Plugin → host (notification): publish one of its declared events. */
export const HostEmitParams = z.object({ event: z.string(), payload: z.unknown() });
/** Plugin → host (notification): a log line in the daemon's log. */
export const HostLogParams = z.object({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info'), message: z.string() });
