import { randomUUID } from 'node:crypto';
import type { ClientPeer } from '../../host/client.js';
import { toJsonSchema } from '../../host/json-schema.js';
import type { PromptBlock, Provider, ToolCallPart, ToolSpec } from '../providers/contract.js';
import type { StopReason } from './contract.js';
import type { Session } from './session.js';
import { runToolCall, type ToolRunDeps } from './tool-call.js';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface TurnDeps extends ToolRunDeps {
  maxTurnRequests: number;
}

export interface TurnInput {
  provider: Provider;
  contextWindow?: number;
  prompt: PromptBlock[];
  client?: ClientPeer;
  signal: AbortSignal;
}

/**
 * One turn: model → tool calls → tool results → model, until the model ends the turn, a step
 * limit is hit, or the signal aborts. Streams every delta as an ACP session/update; throws the
 * provider's RpcError when a request fails (what was already said stays in the history).
 */
export async function runTurn(deps: TurnDeps, s: Session, input: TurnInput): Promise<StopReason> {
  const { manager } = deps;
  const { signal } = input;
  // Every chunk of one message carries its messageId; the stored message keeps it for replay.
  const newMessageId = () => `msg_${randomUUID().replace(/-/g, '')}`;
  let messageId = newMessageId();
  const chunk = (sessionUpdate: string, text: string) =>
    manager.publish(s.id, { type: 'update', update: { sessionUpdate, content: { type: 'text', text }, messageId } });
  s.addMessage({ role: 'user', content: input.prompt, messageId });

  for (let step = 0; step < deps.maxTurnRequests; step++) {
    if (signal.aborted) return 'cancelled';
    const tools: ToolSpec[] = deps.tools.list(s.id).map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema ?? toJsonSchema(t.parameters),
    }));
    messageId = newMessageId();
    let text = '';
    let thinking = '';
    let signature = '';
    const calls: ToolCallPart[] = [];
    let finish: string | undefined;
    const saveAssistant = () => {
      if (!text && !thinking && !calls.length) return;
      s.addMessage({
        role: 'assistant',
        messageId,
        text,
        ...(thinking ? { thinking } : {}),
        ...(signature ? { thinkingSignature: signature } : {}),
        ...(calls.length ? { toolCalls: calls } : {}),
      });
    };
    try {
      const stream = input.provider.stream({ system: s.meta.systemPrompt ?? undefined, messages: s.messages, tools }, signal);
      for await (const batch of stream) {
        for (const ev of batch) {
          switch (ev.type) {
            case 'text':
              text += ev.text;
              chunk('agent_message_chunk', ev.text);
              break;
            case 'thinking':
              thinking += ev.text;
              chunk('agent_thought_chunk', ev.text);
              break;
            case 'thinking_signature':
              signature += ev.signature;
              break;
            case 'tool_call':
              calls.push(ev.call);
              break;
            case 'usage':
              manager.publish(s.id, {
                type: 'update',
                update: {
                  sessionUpdate: 'usage_update',
                  used: ev.inputTokens + ev.outputTokens,
                  size: input.contextWindow ?? 0,
                  _meta: { inputTokens: ev.inputTokens, outputTokens: ev.outputTokens },
                },
              });
              break;
            case 'finish':
              finish = ev.reason;
              break;
          }
        }
        // Let transports flush what was just published (they write once per event-loop turn)
        // before the next network read is parsed: a fast stream must not delay the first token.
        await yieldToLoop();
      }
    } catch (err) {
      // Keep what the client already saw, without half-formed tool calls.
      calls.length = 0;
      saveAssistant();
      if (signal.aborted) return 'cancelled';
      throw err;
    }
    saveAssistant();
    if (signal.aborted) return 'cancelled';
    if (finish === 'tool_calls' && calls.length) {
      for (let i = 0; i < calls.length; i++) {
        const call = calls[i];
        const outcome = await runToolCall(deps, s, call, signal, input.client);
        s.addMessage({ role: 'tool', toolCallId: call.id, name: call.name, content: outcome.text, ...(outcome.isError ? { isError: true } : {}) });
        if (signal.aborted) {
          // Every tool call needs a result in the history, or the next request is refused.
          for (const rest of calls.slice(i + 1)) {
            s.addMessage({ role: 'tool', toolCallId: rest.id, name: rest.name, content: 'cancelled', isError: true });
          }
          return 'cancelled';
        }
      }
      continue;
    }
    return finish === 'length' ? 'max_tokens' : finish === 'refusal' ? 'refusal' : 'end_turn';
  }
  return 'max_turn_requests';
}
