import type { ClientPeer } from '../../host/client.js';
import type { ToolCallPart } from '../providers/contract.js';
import type { ToolCallContent, ToolRegistry } from '../tools/contract.js';
import { textContent, type ToolPipeline } from '../tools/pipeline.js';
import type { SessionManager } from './manager.js';
import type { Session } from './session.js';

export interface ToolRunDeps {
  manager: Pick<SessionManager, 'publish'>;
  /** The one tool-call pipeline (the tools plugin's): it validates, asks the gate and runs. */
  pipeline: ToolPipeline;
  tools: ToolRegistry;
}

/** What goes back to the model for one tool call. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
  cancelled: boolean;
}

/** Text a tool_call_update carries at most per content block; the history keeps the whole output. */
export const UPDATE_TEXT_CAP = 32 * 1024;

/** Caps the text blocks of an update's content, saying plainly what was cut and where the rest is. */
export function capUpdateContent(content: readonly ToolCallContent[], cap = UPDATE_TEXT_CAP): ToolCallContent[] {
  return content.map((c) => {
    if (c.type !== 'content' || c.content.type !== 'text' || typeof c.content.text !== 'string' || c.content.text.length <= cap) return c;
    const text = c.content.text;
    const note = `\n[output truncated in this update: ${text.length - cap} of ${text.length} characters not shown; the full output is in the session history (session/history)]`;
    return { type: 'content', content: { ...c.content, text: text.slice(0, cap) + note } };
  });
}

/**
 * Runs one tool call the model asked for through the pipeline, with the session's workspace and
 * mode, reporting as ACP session updates: `tool_call` (pending), then `tool_call_update`
 * (in_progress, progress) and completed or failed. Problems with the call become a failed tool
 * call whose text goes back to the model, never a crashed turn.
 */
export async function runToolCall(deps: ToolRunDeps, s: Session, call: ToolCallPart, signal: AbortSignal, client: ClientPeer | undefined): Promise<ToolOutcome> {
  const { manager } = deps;
  const update = (fields: Record<string, unknown>) => {
    const content = fields.content as ToolCallContent[] | undefined;
    manager.publish(s.id, {
      type: 'update',
      update: { sessionUpdate: 'tool_call_update', toolCallId: call.id, ...fields, ...(content ? { content: capUpdateContent(content) } : {}) },
    });
  };
  const outcome = await deps.pipeline.run(
    {
      toolCallId: call.id,
      name: call.name,
      arguments: call.arguments,
      sessionId: s.id,
      workspace: s.meta.workspace,
      additionalDirectories: s.meta.additionalDirectories ?? [],
      signal,
      client,
    },
    {
      announce: ({ facts: _facts, toolCallId: _id, ...shown }) =>
        manager.publish(s.id, { type: 'update', update: { sessionUpdate: 'tool_call', toolCallId: call.id, ...shown, status: 'pending' } }),
      running: () => update({ status: 'in_progress' }),
      progress: (p) => update({ status: 'in_progress', ...p }),
      finish: (o) => {
        const result = o.result;
        if (!result) return void update({ status: 'failed', content: textContent(o.text) });
        update({
          status: result.isError ? 'failed' : 'completed',
          content: result.content,
          ...(result.locations ? { locations: result.locations } : {}),
          ...(result.rawOutput !== undefined ? { rawOutput: result.rawOutput } : {}),
        });
      },
    },
  );
  return { text: outcome.text, isError: outcome.isError, cancelled: outcome.status === 'cancelled' };
}
