import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { defineEvent, defineMethod, type EventDecl, type MethodDecl } from '../../host/method.js';
import type { Plugin, PluginContext } from '../../host/plugin.js';
import { Fence } from '../../plugins/tools/fence.js';
import { ToolRegistryToken, type ToolDefinition } from '../../plugins/tools/contract.js';
import { internalPeer } from '../internal-peer.js';
import { toolResultOf } from '../tool.js';
import type { ChildSpec } from './child.js';
import { HostCallParams, HostEmitParams, HostLogParams, ToolCallAnswer, type Handshake } from './protocol.js';
import { Supervisor } from './supervisor.js';

export interface ProcessPluginOptions {
  label: string;
  source: string;
  spec: ChildSpec;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  hostVersion: string;
  home: string;
  timeoutMs: number;
  maxRestarts: number;
  backoffMs: number;
}

/**
 * Starts an out-of-process plugin and builds its Plugin from the handshake: its methods and
 * events are declared like any plugin's (JSON Schema turned into zod, so the dispatcher
 * validates, and OpenAPI and host/methods list them), its tools join the registry. Throws with
 * the reason when the process cannot start or shake hands.
 */
export async function startProcessPlugin(opts: ProcessPluginOptions): Promise<Plugin> {
  let ctx: PluginContext | undefined;
  let events = new Map<string, EventDecl>();
  const stopped = new AbortController();
  const logger = opts.logger.child({ plugin: opts.label });
  const sup: Supervisor = new Supervisor({
    label: opts.label,
    spec: opts.spec,
    env: opts.env,
    logger,
    hostVersion: opts.hostVersion,
    home: opts.home,
    handshakeTimeoutMs: opts.timeoutMs,
    maxRestarts: opts.maxRestarts,
    backoffMs: opts.backoffMs,
    async onRequest(method, params) {
      if (method !== 'host/call') throw new RpcError(ErrorCodes.MethodNotFound, `the host serves "host/call" to plugins, not "${method}"`);
      const p = HostCallParams.safeParse(params);
      if (!p.success) throw RpcError.invalidParams('host/call takes {method, params}');
      if (!ctx) throw new RpcError(ErrorCodes.Unavailable, 'the plugin is not active yet: call the host after the handshake');
      return ctx.call({ name: p.data.method } as MethodDecl, p.data.params, { signal: stopped.signal, client: peer! });
    },
    onNotification(method, params) {
      if (method === 'host/emit') {
        const p = HostEmitParams.safeParse(params);
        const decl = p.success ? events.get(p.data.event) : undefined;
        const payload = decl?.payload.safeParse(p.data!.payload);
        if (!decl || !payload?.success) return void logger.warn({ params }, 'host/emit of an undeclared event or an invalid payload, dropped');
        ctx?.events.emit(decl, payload.data as never);
      } else if (method === 'host/log') {
        const p = HostLogParams.safeParse(params);
        if (p.success) logger[p.data.level](p.data.message);
      }
    },
    onGiveUp: (reason) => void ctx?.fail(reason),
  });
  let peer: ReturnType<typeof internalPeer> | undefined;
  const hs = await sup.start();
  sup.name = hs.name;
  try {
    return build();
  } catch (err) {
    await sup.stop();
    throw err;
  }

  function build(): Plugin {
  events = new Map(hs.events.map((e) => [e.name, defineEvent({ name: e.name, description: e.description, payload: fromSchema(e.payload, `event ${e.name}`) })]));
  const methods = hs.methods.map((m) => {
    checkNamespace(hs.name, m.name);
    return defineMethod({ name: m.name, description: m.description, params: fromSchema(m.params, `params of ${m.name}`), result: fromSchema(m.result, `result of ${m.name}`), rest: m.rest });
  });
  for (const e of hs.events) checkNamespace(hs.name, e.name);
  const fence = Fence.forHome(opts.home);
  const tools = hs.tools.map((t) => toolOf(t, sup, hs.name, fence));

  return {
    name: hs.name,
    version: hs.version,
    description: hs.description ?? `out-of-process plugin (${opts.source})`,
    dependsOn: hs.dependsOn,
    methods,
    events: [...events.values()],
    tools: tools.map((t) => t.name),
    requires: tools.length ? [ToolRegistryToken] : [],
    activate(c) {
      ctx = c;
      peer = internalPeer(c.container, stopped.signal);
      c.subscriptions.defer(() => sup.stop());
      c.subscriptions.defer(() => stopped.abort());
      for (const m of methods) c.handle(m, (params, call) => sup.call(m.name, params, call.signal) as never);
      if (tools.length) {
        const registry = c.require(ToolRegistryToken);
        for (const t of tools) c.subscriptions.add(registry.register(t, { source: `plugin "${hs.name}" (${opts.source})` }));
      }
      c.status.add(`process:${hs.name}`, () => ({ state: sup.state, pid: sup.pid ?? null, restarts: sup.restarts, ...(sup.lastExit ? { lastExit: { code: sup.lastExit.code, signal: sup.lastExit.signal, stderr: sup.lastExit.stderr } } : {}) }));
    },
    // Not activated (a duplicate, a failed dependency): its process must not outlive the host.
    stopUnused: () => sup.stop(),
  } as Plugin & { tools: string[]; stopUnused(): Promise<void> };
  }
}

function toolOf(t: Handshake['tools'][number], sup: Supervisor, plugin: string, fence: Fence): ToolDefinition {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    kind: t.kind,
    parameters: fromSchema(t.inputSchema, `input of tool ${t.name}`),
    inputSchema: t.inputSchema,
    subject: t.paths.length ? (args) => (typeof args?.[t.paths[0]] === 'string' ? args[t.paths[0]] : undefined) : undefined,
    async execute(args, ctx) {
      for (const key of t.paths) if (typeof args?.[key] === 'string') await fence.confine(ctx.workspace, args[key]);
      const raw = await sup.call('tool/call', { tool: t.name, arguments: args, sessionId: ctx.sessionId, workspace: ctx.workspace, toolCallId: ctx.toolCallId }, ctx.signal);
      const answer = ToolCallAnswer.safeParse(raw);
      if (!answer.success) throw new RpcError(ErrorCodes.UpstreamError, `plugin "${plugin}" answered tool/call for ${t.name} without {content, isError?}`);
      return toolResultOf(answer.data.content, answer.data.isError);
    },
  };
}

function fromSchema(schema: Record<string, unknown>, what: string): z.ZodType {
  if (Object.keys(schema).length === 0) return z.unknown();
  try {
    return z.fromJSONSchema(schema as never);
  } catch (err) {
    throw new Error(`the JSON Schema of ${what} cannot be used (${(err as Error).message})`);
  }
}

function checkNamespace(plugin: string, name: string): void {
  if (!name.startsWith(`${plugin}/`)) throw new Error(`it declares "${name}": its methods and events must be named "${plugin}/<name>"`);
}
