import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import { describeIssues } from '../../host/dispatcher.js';
import { RpcError, isAbortError } from '../../host/errors.js';
import type { ToolCallPart } from '../providers/contract.js';
import {
  type PermissionGate,
  type ToolCallContent,
  type ToolDefinition,
  type ToolRegistry,
  type ToolResult,
} from '../tools/contract.js';
import { describeCall } from '../tools/acp-fields.js';
import type { SessionManager } from './manager.js';
import type { Session } from './session.js';

export interface ToolRunDeps {
  manager: SessionManager;
  tools: ToolRegistry;
  container: DependencyContainer;
  logger: Logger;
  /** The permission gate, when the permissions plugin is active (found in the ready phase). */
  gate?: () => PermissionGate | undefined;
}

const textContent = (text: string): ToolCallContent[] => [{ type: 'content', content: { type: 'text', text } }];

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


function textOf(content: readonly ToolCallContent[]): string {
  return content
    .map((c) => (c.type === 'content' ? (c.content.type === 'text' ? String(c.content.text) : `[${c.content.type}]`) : c.type === 'diff' ? `edited ${c.path}` : `[terminal ${c.terminalId}]`))
    .join('\n');
}

function parseArgs(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `the arguments are not valid JSON (${(err as Error).message})` };
  }
}

/** What goes back to the model for one tool call. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
  cancelled: boolean;
}

/**
 * Runs one tool call the model asked for: announce (pending), validate, ask the permission gate
 * when there is one, execute (in_progress, progress), and report completed or failed. Problems
 * with the call become a failed tool call whose text goes back to the model, never a crashed turn.
 */
export async function runToolCall(
  deps: ToolRunDeps,
  s: Session,
  call: ToolCallPart,
  signal: AbortSignal,
  client: ClientPeer | undefined,
): Promise<ToolOutcome> {
  const { manager } = deps;
  const tool: ToolDefinition | undefined = deps.tools.get(call.name, s.id);
  const parsed = parseArgs(call.arguments);
  const shown = parsed.ok ? describeCall(tool, call.name, parsed.value, s.meta.workspace) : { title: tool?.title ?? call.name, kind: tool?.kind ?? 'other', rawInput: call.arguments };
  const update = (fields: Record<string, unknown>) => {
    const content = fields.content as ToolCallContent[] | undefined;
    manager.publish(s.id, {
      type: 'update',
      update: { sessionUpdate: 'tool_call_update', toolCallId: call.id, ...fields, ...(content ? { content: capUpdateContent(content) } : {}) },
    });
  };
  manager.publish(s.id, {
    type: 'update',
    update: { sessionUpdate: 'tool_call', toolCallId: call.id, ...shown, status: 'pending' },
  });
  const fail = (text: string, cancelled = false): ToolOutcome => {
    update({ status: 'failed', content: textContent(text) });
    return { text, isError: true, cancelled };
  };

  if (!tool) {
    const known = deps.tools.list(s.id).map((t) => t.name);
    return fail(`unknown tool "${call.name}"; the available tools are: ${known.join(', ') || '(none)'}`);
  }
  if (!parsed.ok) return fail(`invalid arguments for ${tool.name}: ${parsed.error}`);
  const checked = tool.parameters.safeParse(parsed.value);
  if (!checked.success) return fail(`invalid arguments for ${tool.name}: ${describeIssues(checked.error.issues)}`);
  const args = checked.data;

  // Fail closed: without a gate nobody decides, so nothing runs.
  const gate = deps.gate?.();
  if (!gate) {
    deps.logger.error({ tool: tool.name }, 'no permission gate is registered; refusing the tool call');
    return fail(`${tool.name} was refused: no permission gate is running (the permissions plugin is missing or failed to start; see host/status), so no tool call can be approved`);
  }
  const request = { sessionId: s.id, workspace: s.meta.workspace, toolCallId: call.id, tool, args, signal, client };
  let decision;
  try {
    decision = await gate.check(request);
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return fail('cancelled', true);
    deps.logger.error({ err, tool: tool.name }, 'permission gate failed');
    return fail(`the permission check failed: ${err instanceof RpcError ? err.message : 'internal error'}`);
  }
  if (decision.outcome === 'deny') return fail(`the user denied this tool call: ${decision.reason}`);
  if (decision.outcome === 'cancelled') return fail('the permission request was cancelled', signal.aborted);
  if (signal.aborted) return fail('cancelled', true);
  const mayRead = gate.readFilter?.(request);

  update({ status: 'in_progress' });
  let result: ToolResult;
  try {
    result = await untilAborted(
      tool.execute(args, {
        sessionId: s.id,
        workspace: s.meta.workspace,
        additionalDirectories: s.meta.additionalDirectories ?? [],
        toolCallId: call.id,
        signal,
        client,
        ...(mayRead ? { mayRead } : {}),
        progress: (p) => update({ status: 'in_progress', ...p }),
      }),
      signal,
    );
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return fail('cancelled', true);
    // A tool's own error message is meant for the model (e.g. "path escapes the workspace").
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.debug({ tool: tool.name, message }, 'tool failed');
    return fail(`${tool.name} failed: ${message}`);
  }
  update({
    status: result.isError ? 'failed' : 'completed',
    content: result.content,
    ...(result.locations ? { locations: result.locations } : {}),
    ...(result.rawOutput !== undefined ? { rawOutput: result.rawOutput } : {}),
  });
  return { text: result.modelText ?? textOf(result.content), isError: result.isError ?? false, cancelled: false };
}

/**
 * A tool that ignores its signal (stuck in a system call, a plugin that never checks) must not
 * hold up cancel, delete or shutdown: on abort the turn moves on and the late result is dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason ?? new Error('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
