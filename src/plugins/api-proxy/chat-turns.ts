import type { PluginContext } from '../../host/plugin.js';
import { RpcError } from '../../host/errors.js';
import { SessionEventBus, type SessionEvent } from '../sessions/contract.js';
import { SessionCancel, SessionGet, SessionNew, SessionPrompt } from '../sessions/schemas.js';
import type { ChatTurnRequest, ChatTurnResult, ChatTurns, OpenedChat, RunningChatTurn } from './contract.js';
import { taskPeer } from './task-peer.js';

/** The text of the turn's prompt and, for a new session, its system prompt and history. */
function splitConversation(req: ChatTurnRequest) {
  const last = req.messages[req.messages.length - 1];
  if (!last) throw RpcError.invalidParams('`messages` is empty: send at least one user message');
  if (last.role !== 'user') throw RpcError.invalidParams(`the last message must be the user's (it is "${last.role}"): it is the one prompted`);
  if (!last.content) throw RpcError.invalidParams('the last user message is empty');
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const history = req.messages.slice(0, -1).filter((m) => m.role !== 'system') as { role: 'user' | 'assistant'; content: string }[];
  return { prompt: last.content, systemPrompt: system.length ? system.join('\n\n') : undefined, history };
}

/** ChatTurns over the host's session methods (see the contract). */
export function chatTurns(ctx: PluginContext): ChatTurns {
  // Never aborted by a request: a turn ends by itself, by session/cancel, or at shutdown.
  const signal = new AbortController().signal;
  return {
    async open(req): Promise<OpenedChat> {
      const { prompt, systemPrompt, history } = splitConversation(req);
      const peer = taskPeer(ctx.container.createChildContainer());
      try {
        const call = { signal, client: peer };
        if (req.sessionId) return { sessionId: (await ctx.call(SessionGet, { sessionId: req.sessionId }, call)).sessionId, prompt };
        const created = await ctx.call(SessionNew, { profile: req.profile, systemPrompt, history }, call);
        return { sessionId: created.sessionId, prompt };
      } finally {
        await peer.close();
      }
    },

    async run({ sessionId, prompt }, onEvent): Promise<RunningChatTurn> {
      const peer = taskPeer(ctx.container.createChildContainer());
      const call = { signal, client: peer };
      let reply = '';
      const usage = { inputTokens: 0, outputTokens: 0 };
      let inTurn = false;
      let markStarted!: () => void;
      const started = new Promise<void>((r) => (markStarted = r));
      const sub = ctx.events.on(SessionEventBus, (e: SessionEvent) => {
        if (e.sessionId !== sessionId) return;
        if (e.type === 'turn_started') {
          inTurn = true;
          markStarted();
        }
        if (!inTurn) return;
        if (e.type === 'update' && e.update.sessionUpdate === 'agent_message_chunk') {
          const content = e.update.content as { type?: string; text?: string } | undefined;
          if (content?.type === 'text' && typeof content.text === 'string') reply += content.text;
        }
        if (e.type === 'update' && e.update.sessionUpdate === 'usage_update') {
          const meta = e.update._meta as { inputTokens?: number; outputTokens?: number } | undefined;
          usage.inputTokens += meta?.inputTokens ?? 0;
          usage.outputTokens += meta?.outputTokens ?? 0;
        }
        onEvent?.(e);
        if (e.type === 'turn_ended') inTurn = false;
      });
      const done: Promise<ChatTurnResult> = ctx
        .call(SessionPrompt, { sessionId, message: prompt }, call)
        .then((r) => ({ sessionId, reply, stopReason: r.stopReason, usage: { ...usage } }))
        .finally(() => {
          sub.dispose();
          void peer.close();
        });
      // A prompt refused before the turn starts (409, 404) is the caller's error, not the turn's.
      await Promise.race([started, done]);
      return {
        sessionId,
        done,
        cancel: async () => (await ctx.call(SessionCancel, { sessionId }, { signal, client: peer })).cancelled,
      };
    },
  };
}
