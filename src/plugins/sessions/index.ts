import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { notifyClient } from '../../host/client-calls.js';
import { ErrorCodes, RpcError, toRpcError } from '../../host/errors.js';
import type { Plugin } from '../../host/plugin.js';
import { ProfileServiceToken } from '../profiles/contract.js';
import { ProviderFactoryToken } from '../providers/contract.js';
import { PermissionEvent } from '../permissions/schemas.js';
import { PermissionGateToken, ToolRegistryToken, type PermissionGate } from '../tools/contract.js';
import { redactAcpServers } from '../mcp/acp-servers.js';
import { workspaceWarnings } from '../tools/fence.js';
import { SessionEventBus, SessionServiceToken } from './contract.js';
import { SessionDir } from './log.js';
import { SessionManager } from './manager.js';
import { historyUpdates } from './replay.js';
import {
  SESSION_MODES,
  SessionCancel,
  SessionClear,
  SessionDelete,
  SessionEvents,
  SessionFork,
  SessionGet,
  SessionHistory,
  SessionList,
  SessionLoad,
  SessionMethods,
  SessionNew,
  SessionPrompt,
  SessionSetMode,
  SessionSetSystemPrompt,
  SessionUpdate,
} from './schemas.js';
import type { Session } from './session.js';
import { runTurn } from './turn.js';

const positive = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/** ACP sessions, their persistence, and the streaming turn loop. */
export const sessionsPlugin: Plugin = {
  name: 'sessions',
  description: 'ACP sessions, JSONL persistence, replay by seq, the turn loop',
  dependsOn: ['tools', 'profiles', 'providers'],
  provides: [SessionServiceToken],
  requires: [ToolRegistryToken, ProfileServiceToken, ProviderFactoryToken],
  optional: [PermissionGateToken],
  methods: SessionMethods,
  events: [SessionEventBus],
  clientMethods: [SessionUpdate],
  activate(ctx) {
    const env = ctx.config.env;
    const manager = new SessionManager(
      new SessionDir(path.join(ctx.config.home, 'sessions')),
      path.join(ctx.config.home, 'workspaces'),
      ctx.events,
      ctx.logger,
      positive(env.SWITCHBOARD_REPLAY_EVENTS, 10_000),
    );
    manager.loadAll();
    ctx.subscriptions.defer(() => manager.closeAll());
    ctx.provide(SessionServiceToken, manager);
    const profiles = ctx.require(ProfileServiceToken);
    const providers = ctx.require(ProviderFactoryToken);
    const tools = ctx.require(ToolRegistryToken);
    // The gate activates before us when present; asked for in the ready phase all the same.
    let gate: PermissionGate | undefined;
    ctx.onReady(() => {
      gate = ctx.optional(PermissionGateToken);
      if (!gate) ctx.logger.error('no permissions plugin: every tool call is refused (the gate fails closed)');
    });
    // The permissions plugin publishes its prompts on its own event; they join the session's stream.
    ctx.subscriptions.add(
      ctx.events.on(PermissionEvent, (e) => {
        if (manager.get(e.sessionId)) manager.publish(e.sessionId, { ...e, type: 'permission' });
      }),
    );
    const turnDeps = {
      gate: () => gate,
      manager,
      tools,
      container: ctx.container,
      logger: ctx.logger,
      maxTurnRequests: positive(env.SWITCHBOARD_MAX_TURN_REQUESTS, 50),
    };
    ctx.status.add('sessions', () => {
      const all = manager.sessionsList();
      return { count: all.length, activeTurns: all.filter((s) => s.turn).length };
    });

    const modes = (s: Session) => ({ currentModeId: s.meta.mode, availableModes: SESSION_MODES.map((m) => ({ ...m })) });
    const view = (s: Session) => ({
      sessionId: s.id,
      cwd: s.meta.workspace,
      workspace: s.meta.workspace,
      profile: s.meta.profile,
      mode: s.meta.mode,
      systemPrompt: s.meta.systemPrompt,
      title: s.meta.title,
      createdAt: s.meta.createdAt,
      updatedAt: s.updatedAt,
      messageCount: s.messages.length,
      turnActive: s.turn !== undefined,
      lastSeq: s.seq,
      mcpServers: redactAcpServers(s.meta.mcpServers),
      ...(s.meta.forkedFrom ? { forkedFrom: s.meta.forkedFrom } : {}),
    });
    const profileOf = (name: string | undefined) => {
      const chosen = name ?? profiles.defaultName();
      if (!chosen) {
        throw new RpcError(ErrorCodes.Unavailable, 'no profile is configured: create one with profiles/create (REST: POST /profiles)');
      }
      if (!profiles.has(chosen)) throw RpcError.notFound(`profile "${chosen}"`, { profile: chosen });
      return chosen;
    };

    ctx.handle(SessionNew, (p, call) => {
      const s = manager.create({
        workspace: p?.cwd ?? p?.workspace,
        profile: profileOf(p?.profile),
        mode: p?.mode ?? 'ask',
        systemPrompt: p?.systemPrompt,
        title: p?.title,
        mcpServers: p?.mcpServers ?? [],
      });
      manager.attach(s, call.client);
      ctx.logger.info({ sessionId: s.id, profile: s.meta.profile }, 'session created');
      const warnings = workspaceWarnings(s.meta.workspace, ctx.config.home, ctx.config.env.HOME);
      if (warnings.length > 0) ctx.logger.warn({ sessionId: s.id, workspace: s.meta.workspace, warnings }, 'wide workspace');
      return { ...view(s), modes: modes(s), ...(warnings.length > 0 ? { warnings } : {}) };
    });

    ctx.handle(SessionLoad, ({ sessionId, mcpServers }, call) => {
      const s = manager.require(sessionId);
      // A client may bring its own MCP servers on load: announce the session again so the MCP
      // plugin reconnects with them. The same list (or none) changes nothing.
      const changed = mcpServers && mcpServers.length > 0 && JSON.stringify(mcpServers) !== JSON.stringify(s.meta.mcpServers);
      if (changed) s.record({ k: 'set', patch: { mcpServers }, at: new Date().toISOString() });
      for (const update of historyUpdates(s.messages)) {
        notifyClient(call.client, SessionUpdate, { sessionId, update, _meta: { replay: true } });
      }
      manager.attach(s, call.client);
      if (changed) manager.reopen(s);
      else manager.activate(s);
      return { modes: modes(s) };
    });

    ctx.handle(SessionList, (p) => {
      const cwd = p?.cwd ?? undefined;
      const all = manager
        .sessionsList()
        .filter((s) => !cwd || s.meta.workspace === cwd)
        .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
      return { sessions: all.map(view) };
    });

    ctx.handle(SessionGet, ({ sessionId }) => view(manager.require(sessionId)));

    ctx.handle(SessionDelete, async ({ sessionId }) => {
      const s = manager.require(sessionId);
      await s.lock.run(() => manager.remove(s));
      ctx.logger.info({ sessionId }, 'session deleted');
      return {};
    });

    ctx.handle(SessionHistory, ({ sessionId }) => {
      const s = manager.require(sessionId);
      return { sessionId, systemPrompt: s.meta.systemPrompt, messages: s.messages.map((m) => ({ ...m })) };
    });

    ctx.handle(SessionClear, ({ sessionId }) => {
      const s = manager.require(sessionId);
      return s.lock.run(() => {
        if (s.turn) throw RpcError.conflict(`a turn is running in session ${sessionId}; cancel it (session/cancel) before clearing the history`);
        const cleared = s.messages.length;
        s.record({ k: 'clear', at: new Date().toISOString() });
        return { sessionId, cleared };
      });
    });

    ctx.handle(SessionSetSystemPrompt, ({ sessionId, systemPrompt }) => {
      const s = manager.require(sessionId);
      return s.lock.run(() => {
        s.record({ k: 'set', patch: { systemPrompt }, at: new Date().toISOString() });
        return { sessionId, systemPrompt: s.meta.systemPrompt };
      });
    });

    ctx.handle(SessionSetMode, ({ sessionId, modeId }) => {
      const s = manager.require(sessionId);
      return s.lock.run(() => {
        manager.setMode(s, modeId);
        return {};
      });
    });

    ctx.handle(SessionFork, ({ sessionId, upTo, title }) => {
      const src = manager.require(sessionId);
      return src.lock.run(() => {
        const end = upTo === undefined ? src.messages.length : upTo + 1;
        if (end > src.messages.length) {
          throw RpcError.invalidParams(`upTo ${upTo} is past the last message (index ${src.messages.length - 1})`);
        }
        const messages = src.messages.slice(0, end).map((m) => structuredClone(m));
        // A fork must not end in tool calls without their results.
        while (messages.length && messages[messages.length - 1].role === 'assistant' && (messages[messages.length - 1] as { toolCalls?: unknown[] }).toolCalls?.length) messages.pop();
        const s = manager.create({
          workspace: src.meta.workspace,
          profile: src.meta.profile,
          mode: src.meta.mode,
          systemPrompt: src.meta.systemPrompt,
          title: title ?? (src.meta.title ? `${src.meta.title} (fork)` : null),
          mcpServers: src.meta.mcpServers,
          forkedFrom: src.id,
          messages,
        });
        return view(s);
      });
    });

    ctx.handle(SessionPrompt, async ({ sessionId, prompt, message }, call) => {
      const s = manager.require(sessionId);
      if (s.turn) {
        throw RpcError.conflict(`a turn is already running in session ${sessionId}; wait for it to end or cancel it with session/cancel`, { sessionId });
      }
      manager.attach(s, call.client);
      manager.activate(s);
      const controller = new AbortController();
      // $/cancelRequest of the prompt cancels the turn; a client that merely goes away does not.
      const onCallAbort = () => {
        if (!call.client.closed.aborted) controller.abort();
      };
      call.signal.addEventListener('abort', onCallAbort, { once: true });
      const turnId = `turn_${randomUUID().slice(0, 8)}`;
      let settle!: () => void;
      s.turn = { id: turnId, controller, done: new Promise<void>((r) => (settle = r)) };
      const blocks = prompt ?? [{ type: 'text', text: message ?? '' }];
      if (!s.meta.title) {
        const first = blocks.find((b) => b.type === 'text');
        if (first) s.record({ k: 'set', patch: { title: String(first.text).slice(0, 80) }, at: new Date().toISOString() });
      }
      manager.publish(sessionId, { type: 'turn_started', turnId });
      try {
        const resolved = profiles.resolve(s.meta.profile);
        const key = JSON.stringify(resolved);
        const provider = s.provider(key, () => ctx.container.createChildContainer(), () => ({
          instance: providers.create(resolved),
          contextWindow: resolved.contextWindow,
        }));
        const stopReason = await runTurn(turnDeps, s, {
          provider: provider.instance,
          contextWindow: provider.contextWindow,
          prompt: blocks,
          client: call.client,
          signal: controller.signal,
        });
        manager.publish(sessionId, { type: 'turn_ended', turnId, stopReason });
        return { stopReason };
      } catch (err) {
        if (controller.signal.aborted) {
          manager.publish(sessionId, { type: 'turn_ended', turnId, stopReason: 'cancelled' });
          return { stopReason: 'cancelled' as const };
        }
        const rpc = toRpcError(err);
        if (rpc.code === ErrorCodes.InternalError) ctx.logger.error({ err, sessionId }, 'turn failed');
        else ctx.logger.warn({ sessionId, code: rpc.code, message: rpc.message }, 'turn failed');
        if (manager.get(sessionId)) manager.publish(sessionId, { type: 'turn_ended', turnId, error: rpc.toJSON() });
        throw rpc;
      } finally {
        call.signal.removeEventListener('abort', onCallAbort);
        s.turn = undefined;
        s.log.close();
        settle();
      }
    });

    ctx.handle(SessionCancel, ({ sessionId }) => {
      const s = manager.require(sessionId);
      if (!s.turn) return { cancelled: false };
      s.turn.controller.abort();
      return { cancelled: true };
    });

    ctx.handle(SessionEvents, ({ sessionId, after }) => {
      const s = manager.require(sessionId);
      const oldestSeq = s.buffer.oldestSeq(s.seq);
      if (after !== undefined && after + 1 < oldestSeq) {
        throw new RpcError(
          ErrorCodes.Gone,
          `the client is too far behind: events after seq ${after} were evicted from the replay buffer; the oldest kept is seq ${oldestSeq}. Reload the history with session/history and resume from seq ${s.seq}.`,
          { sessionId, after, oldestSeq, lastSeq: s.seq },
        );
      }
      return { sessionId, events: s.buffer.after(after ?? 0), lastSeq: s.seq, oldestSeq };
    });
  },
};
