import type { ChatMessage } from '../providers/contract.js';
import { capUpdateContent } from './tool-call.js';

/** An ACP SessionUpdate: its kind, and the fields of that kind. */
export type AcpUpdate = { sessionUpdate: string } & Record<string, unknown>;

/**
 * The ACP messageId of a stored message: the one its chunks carried live, or (for messages stored
 * before ids existed) one derived from the session and the message's place, the same every replay.
 */
export function messageIdOf(sessionId: string, m: ChatMessage, index: number): string {
  return ('messageId' in m && m.messageId) || `msg_${sessionId.slice(-12)}_${index}`;
}

/**
 * The history as the ACP session/update notifications `session/load` replays: user and agent
 * chunks (with their messageId), thoughts, and each tool call with its final state.
 */
/** How a replayed tool call is shown: what its tool says of these arguments (title, kind, rawInput, locations). */
export type CallDescriber = (name: string, args: unknown) => { title: string; kind: string; rawInput: unknown; locations?: { path: string }[] } | undefined;

export function historyUpdates(sessionId: string, messages: readonly ChatMessage[], describe?: CallDescriber): AcpUpdate[] {
  const out: AcpUpdate[] = [];
  const results = new Map<string, { content: string; isError?: boolean }>();
  for (const m of messages) if (m.role === 'tool') results.set(m.toolCallId, m);
  for (const [index, m] of messages.entries()) {
    if (m.role === 'user') {
      const messageId = messageIdOf(sessionId, m, index);
      for (const block of m.content) out.push({ sessionUpdate: 'user_message_chunk', content: block, messageId });
    } else if (m.role === 'assistant') {
      const messageId = messageIdOf(sessionId, m, index);
      if (m.thinking) out.push({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: m.thinking }, messageId });
      if (m.text) out.push({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: m.text }, messageId });
      for (const call of m.toolCalls ?? []) {
        const result = results.get(call.id);
        let rawInput: unknown = call.arguments;
        try {
          rawInput = JSON.parse(call.arguments);
        } catch {
          /* keep the text */
        }
        // Shown as it was live (when its tool is still there), its output capped like a live update.
        const shown = describe?.(call.name, rawInput) ?? { title: call.name, kind: 'other', rawInput };
        out.push({
          sessionUpdate: 'tool_call',
          toolCallId: call.id,
          ...shown,
          status: !result ? 'failed' : result.isError ? 'failed' : 'completed',
          ...(result ? { content: capUpdateContent([{ type: 'content', content: { type: 'text', text: result.content } }]) } : {}),
        });
      }
    }
  }
  return out;
}
