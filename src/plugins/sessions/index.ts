import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { positiveSetting } from '../../host/config.js';
import { notifyClient } from '../../host/client-calls.js';
import { ErrorCodes, RpcError, toRpcError } from '../../host/errors.js';
import type { Disposable } from '../../host/disposable.js';
import type { Plugin } from '../../host/plugin.js';
import { ProfileServiceToken } from '../profiles/contract.js';
import { ProviderFactoryToken } from '../providers/contract.js';
import { PermissionEvent } from '../permissions/schemas.js';
import { ToolCallsToken, ToolRegistryToken } from '../tools/contract.js';
import { SessionEventBus, SessionServiceToken, type StopReason } from './contract.js';
import type { Logger } from 'pino';
import { SessionDir } from './log.js';
import { LogCompactions, type CompactOptions } from './log-compaction.js';
import { SessionManager } from './manager.js';
import { runSlashCommand, slashCommandOf, titleOf } from './commands.js';
import { SessionConfig } from './config-options.js';
import { registerLifecycle, viewOf } from './lifecycle.js';
import {
  SessionCancel,
  SessionClear,
  SessionDelete,
  SessionEvents,
  SessionFork,
  SessionGet,
  SessionHistory,
  SessionMethods,
  SessionPrompt,
  SessionRename,
  SessionSetSystemPrompt,
  SessionUpdate,
} from './schemas.js';
import { runTurn } from './turn.js';

/**
 * `SWITCHBOARD_TEST_HOLD_COMPACTION=1`, for the crash tests only: every compaction stops once its
 * temp file is written and fsynced, before the rename, until the daemon stops; the log line
 * names the temp file, so a test can kill -9 the daemon at exactly that point.
 */
function holdHook(env: Record<string, string | undefined>, logger: Logger): CompactOptions['hold'] {
  if (env.SWITCHBOARD_TEST_HOLD_COMPACTION !== '1') return undefined;
  return (tmp, signal) => {
    logger.warn({ tmp }, 'session log compaction held before its rename (SWITCHBOARD_TEST_HOLD_COMPACTION)');
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  };
}

/** ACP sessions, their persistence, and the streaming turn loop. */
export const sessionsPlugin: Plugin = {
  name: 'sessions',
  description: 'ACP sessions, JSONL persistence, replay by seq, the turn loop',
  dependsOn: ['tools', 'profiles', 'providers'],
  provides: [SessionServiceToken],
  requires: [ToolRegistryToken, ToolCallsToken, ProfileServiceToken, ProviderFactoryToken],
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
      positiveSetting(env.SWITCHBOARD_REPLAY_EVENTS, 10_000),
      env.SWITCHBOARD_SESSION_COMPACTION === 'off' ? undefined : new LogCompactions(ctx.logger, holdHook(env, ctx.logger)),
    );
    manager.loadAll();
    ctx.subscriptions.defer(() => manager.closeAll());
    ctx.provide(SessionServiceToken, manager);
    const profiles = ctx.require(ProfileServiceToken);
    const providers = ctx.require(ProviderFactoryToken);
    const tools = ctx.require(ToolRegistryToken);
    // Tool calls go through the tools plugin's pipeline, which asks the permission gate.
    const { pipeline } = ctx.require(ToolCallsToken);
    // The permissions plugin publishes its prompts on its own event; they join the session's stream.
    ctx.subscriptions.add(
      ctx.events.on(PermissionEvent, (e) => {
        if (manager.get(e.sessionId)) manager.publish(e.sessionId, { ...e, type: 'permission' });
      }),
    );
    const turnDeps = {
      pipeline,
      manager,
      tools,
      maxTurnRequests: positiveSetting(env.SWITCHBOARD_MAX_TURN_REQUESTS, 50),
    };
    ctx.status.add('sessions', () => {
      const all = manager.sessionsList();
      return { count: all.length, activeTurns: all.filter((s) => s.turn).length };
    });

    const profileOf = (name: string | undefined) => {
      const chosen = name ?? profiles.defaultName();
      if (!chosen) {
        throw new RpcError(ErrorCodes.Unavailable, 'no profile is configured: create one with profiles/create (REST: POST /profiles)');
      }
      if (!profiles.has(chosen)) throw RpcError.notFound(`profile "${chosen}"`, { profile: chosen });
      return chosen;
    };
    const config = new SessionConfig(manager, profiles, async (profile, signal) => {
      const instance = providers.create(profiles.resolve(profile));
      try {
        return (await instance.listModels(signal)).models;
      } finally {
        await (instance as Partial<Disposable>).dispose?.();
      }
    });
    registerLifecycle(ctx, { manager, config, profileOf, tools, pageSize: positiveSetting(env.SWITCHBOARD_SESSION_PAGE_SIZE, 100) });

    ctx.handle(SessionGet, ({ sessionId }) => viewOf(manager.require(sessionId)));

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

    ctx.handle(SessionRename, ({ sessionId, title }) => {
      const s = manager.require(sessionId);
      return s.lock.run(() => {
        if (title !== s.meta.title) {
          s.record({ k: 'set', patch: { title }, at: new Date().toISOString() });
          // Every attached client (and the hub's view of this agent) learns the new name.
          manager.publish(sessionId, { type: 'update', update: { sessionUpdate: 'session_info_update', title, updatedAt: s.updatedAt } });
        }
        return viewOf(s);
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
          additionalDirectories: src.meta.additionalDirectories,
          profile: src.meta.profile,
          mode: src.meta.mode,
          systemPrompt: src.meta.systemPrompt,
          title: title ?? (src.meta.title ? `${src.meta.title} (fork)` : null),
          mcpServers: src.meta.mcpServers,
          forkedFrom: src.id,
          messages,
        });
        return viewOf(s);
      });
    });

    ctx.handle(SessionPrompt, async ({ sessionId, prompt, message }, call) => {
      const s = manager.require(sessionId);
      if (s.turn) {
        throw RpcError.conflict(`a turn is already running in session ${sessionId}; wait for it to end or cancel it with session/cancel`, { sessionId });
      }
      manager.attach(s, call.client);
      manager.activate(s);
      const blocks = prompt ?? [{ type: 'text', text: message ?? '' }];
      const command = slashCommandOf(blocks);
      if (command) {
        const text = await runSlashCommand(ctx, command, sessionId, call);
        const messageId = `msg_${randomUUID().replace(/-/g, '')}`;
        manager.publish(sessionId, { type: 'update', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text }, messageId } });
        return { stopReason: 'end_turn' as const };
      }
      const controller = new AbortController();
      // $/cancelRequest of the prompt cancels the turn; a client that merely goes away does not.
      const onCallAbort = () => {
        if (!call.client.closed.aborted) controller.abort();
      };
      call.signal.addEventListener('abort', onCallAbort, { once: true });
      const turnId = `turn_${randomUUID().slice(0, 8)}`;
      let settle!: () => void;
      s.turn = { id: turnId, controller, done: new Promise<void>((r) => (settle = r)) };
      const title = s.meta.title ? undefined : titleOf(blocks);
      if (title) s.record({ k: 'set', patch: { title }, at: new Date().toISOString() });
      manager.publish(sessionId, { type: 'turn_started', turnId });
      const endTurn = (end: { stopReason?: StopReason; error?: ReturnType<RpcError['toJSON']> }) => {
        // Editors keep their session lists current from this: the title (set by the first turn)
        // and the last activity. It precedes turn_ended, which ends a turn's SSE stream.
        manager.publish(sessionId, { type: 'update', update: { sessionUpdate: 'session_info_update', title: s.meta.title, updatedAt: s.updatedAt } });
        manager.publish(sessionId, { type: 'turn_ended', turnId, ...end });
      };
      try {
        const profile = profiles.resolve(s.meta.profile);
        const effort = config.effortOf(s, profile.kind);
        const model = config.modelOf(s);
        const resolved = { ...profile, ...(model ? { model } : {}), ...(effort ? { reasoningEffort: effort } : {}) };
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
        endTurn({ stopReason });
        return { stopReason };
      } catch (err) {
        if (controller.signal.aborted) {
          endTurn({ stopReason: 'cancelled' });
          return { stopReason: 'cancelled' as const };
        }
        const rpc = toRpcError(err);
        if (rpc.code === ErrorCodes.InternalError) ctx.logger.error({ err, sessionId }, 'turn failed');
        else ctx.logger.warn({ sessionId, code: rpc.code, message: rpc.message }, 'turn failed');
        if (manager.get(sessionId)) endTurn({ error: rpc.toJSON() });
        throw rpc;
      } finally {
        call.signal.removeEventListener('abort', onCallAbort);
        s.turn = undefined;
        s.log.close();
        settle();
        if (manager.get(sessionId)) manager.compact(s);
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
      const oldestSeq = s.oldestSeq();
      const part = after === undefined ? undefined : s.compactedAround(after);
      if (part) {
        throw new RpcError(
          ErrorCodes.Gone,
          `events after seq ${after} are no longer kept one by one: seqs ${part.from} to ${part.seq} of a finished turn were compacted into one event (seq ${part.seq}), of which the client has seen only a part. Reload the history with session/load or session/history and resume from seq ${s.seq}.`,
          { sessionId, after, compacted: part, oldestSeq, lastSeq: s.seq },
        );
      }
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
