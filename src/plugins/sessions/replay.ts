import type { ChatMessage } from '../providers/contract.js';

/** An ACP SessionUpdate: its kind, and the fields of that kind. */
export type AcpUpdate = { sessionUpdate: string } & Record<string, unknown>;

/**
 * The history as the ACP session/update notifications `session/load` replays: user and agent
 * chunks, thoughts, and each tool call with its final state.
 */
export function historyUpdates(messages: readonly ChatMessage[]): AcpUpdate[] {
  const out: AcpUpdate[] = [];
  const results = new Map<string, { content: string; isError?: boolean }>();
  for (const m of messages) if (m.role === 'tool') results.set(m.toolCallId, m);
  for (const m of messages) {
    if (m.role === 'user') {
      for (const block of m.content) out.push({ sessionUpdate: 'user_message_chunk', content: block });
    } else if (m.role === 'assistant') {
      if (m.thinking) out.push({ sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: m.thinking } });
      if (m.text) out.push({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: m.text } });
      for (const call of m.toolCalls ?? []) {
        const result = results.get(call.id);
        let rawInput: unknown = call.arguments;
        try {
          rawInput = JSON.parse(call.arguments);
        } catch {
          /* keep the text */
        }
        out.push({
          sessionUpdate: 'tool_call',
          toolCallId: call.id,
          title: call.name,
          kind: 'other',
          status: !result ? 'failed' : result.isError ? 'failed' : 'completed',
          rawInput,
          ...(result ? { content: [{ type: 'content', content: { type: 'text', text: result.content } }] } : {}),
        });
      }
    }
  }
  return out;
}
