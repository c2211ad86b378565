import { z } from 'zod';
import { NoParams, defineMethod } from '../../host/method.js';

/** ACP protocol versions this agent speaks. */
export const ACP_PROTOCOL_VERSION = 1;

const Implementation = z.object({
  name: z.string(),
  title: z.string().nullable().optional(),
  version: z.string(),
});

export const Initialize = defineMethod({
  name: 'initialize',
  description:
    'ACP initialize: negotiates the protocol version and exchanges capabilities. The client states the latest version it supports; the agent answers with it when supported, else with its own latest.',
  params: z.object({
    protocolVersion: z.number().int().min(0).max(65535),
    clientCapabilities: z
      .object({
        fs: z.object({ readTextFile: z.boolean().optional(), writeTextFile: z.boolean().optional() }).loose().optional(),
        terminal: z.boolean().optional(),
      })
      .loose()
      .optional(),
    clientInfo: Implementation.loose().nullable().optional(),
    _meta: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
  result: z.object({
    protocolVersion: z.number().int(),
    agentCapabilities: z.object({
      loadSession: z.boolean(),
      promptCapabilities: z.object({ image: z.boolean(), audio: z.boolean(), embeddedContext: z.boolean() }),
      mcpCapabilities: z.object({ http: z.boolean(), sse: z.boolean() }),
      sessionCapabilities: z.record(z.string(), z.unknown()).optional(),
    }),
    authMethods: z.array(z.unknown()),
    agentInfo: Implementation,
  }),
});

export const HostVersion = defineMethod({
  name: 'host/version',
  description: 'The package, Node and protocol versions.',
  params: NoParams,
  result: z.object({
    name: z.string(),
    version: z.string(),
    node: z.string(),
    acpProtocolVersion: z.number(),
    jsonrpc: z.literal('2.0'),
  }),
  rest: { verb: 'GET', path: '/version' },
});

export const HostPing = defineMethod({
  name: 'host/ping',
  description: 'Answers at once with what it was given: a liveness check and the trivial method of the benchmarks.',
  params: z.object({ data: z.unknown().optional() }).optional(),
  result: z.object({ pong: z.literal(true), data: z.unknown().optional() }),
});

const PluginStatusSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  description: z.string().optional(),
  state: z.enum(['pending', 'active', 'failed', 'disposed']),
  error: z.string().optional(),
  code: z.string().optional(),
  dependsOn: z.array(z.string()),
  methods: z.array(z.string()),
  source: z.string().optional().describe('where it was loaded from: "built-in", a folder, an npm package, a command'),
  tools: z.array(z.string()).optional(),
});

export const HostPlugins = defineMethod({
  name: 'host/plugins',
  description: 'Every plugin, its state (active, failed with the reason, …), dependencies and methods.',
  params: NoParams,
  result: z.object({ plugins: z.array(PluginStatusSchema) }),
});

export const HostStatus = defineMethod({
  name: 'host/status',
  description:
    'The daemon at a glance: version, uptime, connected clients, each plugin and its state, and the sections plugins contribute (sessions, providers, MCP servers, sandbox…).',
  params: NoParams,
  result: z
    .object({
      version: z.string(),
      uptimeMs: z.number(),
      clients: z.number(),
      plugins: z.array(PluginStatusSchema),
    })
    .catchall(z.unknown()),
  rest: { verb: 'GET', path: '/status' },
});

export const HostMethods = defineMethod({
  name: 'host/methods',
  description: 'The method table with JSON Schemas of params and results (both directions: methods clients call, and the requests and notifications the host sends them), and the declared events, for discovery.',
  params: NoParams,
  result: z.object({
    methods: z.array(
      z.object({
        name: z.string(),
        plugin: z.string(),
        /** `client→host`: a method clients call; `host→client`: a request or notification the host sends. */
        direction: z.enum(['client→host', 'host→client']),
        notification: z.boolean().optional(),
        description: z.string(),
        params: z.record(z.string(), z.unknown()),
        result: z.record(z.string(), z.unknown()),
        rest: z.array(z.object({ verb: z.string(), path: z.string(), stream: z.string().optional(), event: z.string().optional() })),
      }),
    ),
    events: z.array(z.object({ name: z.string(), description: z.string(), payload: z.record(z.string(), z.unknown()) })),
  }),
});
