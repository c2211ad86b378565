import path from 'node:path';
import type { ToolDefinition } from './contract.js';

/** File tools name a path: editors follow along from the first tool_call. */
const PATH_TOOL_KINDS = new Set(['read', 'edit', 'delete', 'move']);

/**
 * The ACP fields of a tool call that depend on its arguments, as editors render them: a shell
 * call (`execute` with a `command`) carries the whole command and where it runs as
 * `rawInput {command, cwd}`; a file tool names its path in `locations`. The same for the
 * `tool_call` update and the `session/request_permission` that asks about it.
 */
export function acpCallFields(kind: string, args: unknown, workspace: string): { rawInput: unknown; locations?: { path: string }[] } {
  const a = args as { command?: unknown; path?: unknown } | undefined;
  if (typeof a !== 'object' || a === null) return { rawInput: args };
  if (kind === 'execute' && typeof a.command === 'string') return { rawInput: { ...a, cwd: workspace } };
  if (PATH_TOOL_KINDS.has(kind) && typeof a.path === 'string' && a.path) {
    return { rawInput: args, locations: [{ path: path.resolve(workspace, a.path) }] };
  }
  return { rawInput: args };
}

/**
 * How a tool call is shown, live, in its permission request and on replay: its tool's title for
 * these arguments (`describe`, when they are valid), its kind, and the fields above.
 */
export function describeCall(tool: ToolDefinition | undefined, name: string, args: unknown, workspace: string) {
  let title = tool?.title ?? name;
  const parsed = tool?.describe ? tool.parameters.safeParse(args) : undefined;
  if (tool?.describe && parsed?.success) {
    try {
      title = tool.describe(parsed.data);
    } catch {
      // a title is only cosmetic
    }
  }
  const kind = tool?.kind ?? 'other';
  return { title, kind, ...acpCallFields(kind, args, workspace) };
}
