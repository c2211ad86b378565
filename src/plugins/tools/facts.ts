import { realSubject, relativeSubject } from './confine.js';
import type { ToolCallFacts, ToolDefinition } from './contract.js';
import { isPathKind } from './kinds.js';

/** One of a tool's cosmetic hooks; a hook that throws gives nothing rather than failing the call. */
function safely<T>(fn: (() => T) | undefined): T | undefined {
  if (!fn) return undefined;
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * The facts of a call whose arguments the tool's schema accepted (`args` is the parsed value):
 * its subject (workspace-relative for path kinds, and where a symlink leads), whether it stays
 * inside the workspace, its title and its preview. Derived once per call, by the pipeline.
 */
export function deriveFacts(tool: ToolDefinition, args: unknown, workspace: string, sessionId: string): ToolCallFacts {
  let subject = safely(tool.subject && (() => tool.subject!(args)));
  let inside = true;
  let real: string | undefined;
  if (subject !== undefined && isPathKind(tool.kind)) {
    const raw = subject;
    ({ rel: subject, inside } = relativeSubject(workspace, raw));
    // Rules also see where a symlink leads: `config.txt → .env` is `.env` to `deny read_file:.env`.
    const r = realSubject(workspace, raw);
    if (r && r.rel !== subject) real = r.rel;
    if (r && !r.inside) inside = false;
  }
  const title = safely(tool.describe && (() => tool.describe!(args))) ?? tool.title ?? tool.name;
  const preview = safely(tool.preview && (() => tool.preview!(args)));
  return {
    tool: tool.name,
    kind: tool.kind,
    subject,
    ...(real !== undefined ? { realSubject: real } : {}),
    inside,
    workspace,
    sessionId,
    title,
    ...(preview !== undefined ? { preview } : {}),
  };
}

/** The facts of a call as a gate asked directly sees it (arguments not yet validated). */
export function factsOfRequest(call: { tool: ToolDefinition; args: unknown; workspace: string; sessionId: string }): ToolCallFacts {
  const parsed = call.tool.parameters.safeParse(call.args);
  if (parsed.success) return deriveFacts(call.tool, parsed.data, call.workspace, call.sessionId);
  return { tool: call.tool.name, kind: call.tool.kind, inside: true, workspace: call.workspace, sessionId: call.sessionId, title: call.tool.title ?? call.tool.name };
}
