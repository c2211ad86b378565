import type { ToolKind } from '../tools/contract.js';

/** The permission modes `switchboard mcp` runs in (there is nobody to ask over MCP). */
export const SERVE_MODES = ['ask', 'accept-edits', 'read-only', 'bypass'] as const;
export type ServeMode = (typeof SERVE_MODES)[number];

/** Kinds that change nothing on disk or elsewhere: never need approval. */
const READ_KINDS: ReadonlySet<ToolKind> = new Set(['read', 'search', 'think', 'fetch']);
const EDIT_KINDS: ReadonlySet<ToolKind> = new Set(['edit', 'move']);

/**
 * Why a call is refused in this mode, or undefined when it may run. `ask` would ask a person
 * before anything but reads; over MCP nobody can answer, so such calls are refused, with what
 * to do instead. `accept-edits` lets file edits through but not commands or deletes;
 * `read-only` allows reads only; `bypass` allows everything.
 */
export function refusalFor(mode: ServeMode, tool: { name: string; kind: ToolKind }): string | undefined {
  if (mode === 'bypass' || READ_KINDS.has(tool.kind)) return undefined;
  if (mode === 'accept-edits' && EDIT_KINDS.has(tool.kind)) return undefined;
  if (mode === 'read-only') {
    return `"${tool.name}" (${tool.kind}) is refused: this Switchboard MCP server runs in read-only mode, which allows only tools that read. Restart it with --mode accept-edits or --mode bypass to allow it.`;
  }
  const allow = EDIT_KINDS.has(tool.kind) ? '--mode accept-edits or --mode bypass' : '--mode bypass';
  return `"${tool.name}" (${tool.kind}) needs approval in ${mode} mode, and there is no one to ask over MCP, so it was refused. Restart the server with ${allow} to allow it.`;
}
