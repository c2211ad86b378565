import process from 'node:process';
import { restRoutesOf } from '../../host/method.js';
import { toJsonSchema } from '../../host/json-schema.js';
import type { Plugin } from '../../host/plugin.js';
import {
  ACP_PROTOCOL_VERSION,
  HostMethods,
  HostPing,
  HostPlugins,
  HostStatus,
  HostVersion,
  Initialize,
} from './schemas.js';
import { HostSubscribe, HostUnsubscribe, serveEventFeed } from './event-feed.js';

/** `initialize` and `host/*`: what the daemon is and what it can do. */
export const hostInfoPlugin: Plugin = {
  name: 'host',
  description: 'ACP initialize, version, status and method discovery',
  methods: [Initialize, HostVersion, HostPing, HostPlugins, HostStatus, HostMethods, HostSubscribe, HostUnsubscribe],
  activate(ctx) {
    const startedAt = Date.now();
    const bound = (m: string) => ctx.host.isAvailable(m);
    serveEventFeed(ctx);

    ctx.handle(Initialize, (params, call) => {
      call.client.info = {
        protocolVersion: params.protocolVersion,
        capabilities: (params.clientCapabilities ?? {}) as Record<string, unknown>,
        clientInfo: params.clientInfo ?? undefined,
      };
      return {
        // v1 is the only version we speak: the requested one when it is 1, else our latest.
        protocolVersion: ACP_PROTOCOL_VERSION,
        agentCapabilities: {
          loadSession: bound('session/load'),
          promptCapabilities: { image: true, audio: false, embeddedContext: true },
          mcpCapabilities: { http: bound('mcp/connect'), sse: bound('mcp/connect') },
          // ACP: `{}` under a key advertises the optional session method.
          sessionCapabilities: {
            ...(bound('session/list') ? { list: {} } : {}),
            ...(bound('session/delete') ? { delete: {} } : {}),
            ...(bound('session/resume') ? { resume: {} } : {}),
            ...(bound('session/close') ? { close: {} } : {}),
            // The sessions plugin takes additionalDirectories on new, load and resume.
            ...(bound('session/new') && bound('session/resume') ? { additionalDirectories: {} } : {}),
          },
        },
        authMethods: [],
        agentInfo: { name: 'switchboard', title: 'Switchboard', version: ctx.config.version },
      };
    });

    ctx.handle(HostVersion, () => ({
      name: 'switchboard',
      version: ctx.config.version,
      node: process.version,
      acpProtocolVersion: ACP_PROTOCOL_VERSION,
      jsonrpc: '2.0' as const,
    }));

    ctx.handle(HostPing, (params) => ({ pong: true as const, data: params?.data }));

    ctx.handle(HostPlugins, async () => {
      await ctx.host.settled();
      return { plugins: ctx.host.plugins() };
    });

    ctx.handle(HostStatus, async () => {
      await ctx.host.settled();
      return {
        ...ctx.host.statusSnapshot(),
        version: ctx.config.version,
        uptimeMs: Date.now() - startedAt,
        clients: ctx.host.clientCount(),
        plugins: ctx.host.plugins(),
      };
    });

    ctx.handle(HostMethods, async () => {
      await ctx.host.settled();
      return {
        methods: [
          ...ctx.host.methods().map((m) => ({
            name: m.name,
            plugin: ctx.host.ownerOf(m.name) ?? '',
            direction: 'client→host' as const,
            description: m.description,
            params: toJsonSchema(m.params, 'input'),
            result: toJsonSchema(m.result, 'output'),
            rest: restRoutesOf(m).map((r) => ({ verb: r.verb, path: r.path, ...(r.stream ? { stream: 'sse', event: r.stream.event.name } : {}) })),
          })),
          // What the host sends to clients (ACP requests it asks, notifications it sends): a
          // client implements these, so it learns their shapes here too.
          ...ctx.host.clientMethods().map((m) => ({
            name: m.name,
            plugin: ctx.host.clientMethodOwner(m.name) ?? '',
            direction: 'host→client' as const,
            notification: m.notification,
            description: m.description,
            params: toJsonSchema(m.params, 'output'),
            result: toJsonSchema(m.result, 'input'),
            rest: [],
          })),
        ],
        events: ctx.host.eventDecls().map((e) => ({
          name: e.name,
          description: e.description,
          payload: toJsonSchema(e.payload, 'output'),
        })),
      };
    });
  },
};
