import type { ToolKind } from './contract.js';

/**
 * What each ACP tool kind means for approval, in one table: the permission policy's defaults,
 * the MCP annotations of `tools/list` and which subjects are paths all read it.
 * - `readOnly`: changes nothing (runs without asking inside the workspace; MCP `readOnlyHint`).
 *   `fetch` is not: it reaches the network, so it asks.
 * - `edit`: changes files in the workspace (`accept-edits` runs it).
 * - `destructive`: may destroy or overwrite (MCP `destructiveHint`).
 * - `path`: the subject is a workspace path (matched with `/`-aware globs); else free text.
 */
export const KINDS: Readonly<Record<ToolKind, { readOnly: boolean; edit: boolean; destructive: boolean; path: boolean }>> = {
  read: { readOnly: true, edit: false, destructive: false, path: true },
  search: { readOnly: true, edit: false, destructive: false, path: true },
  think: { readOnly: true, edit: false, destructive: false, path: false },
  edit: { readOnly: false, edit: true, destructive: true, path: true },
  delete: { readOnly: false, edit: true, destructive: true, path: true },
  move: { readOnly: false, edit: true, destructive: false, path: true },
  execute: { readOnly: false, edit: false, destructive: true, path: false },
  fetch: { readOnly: false, edit: false, destructive: false, path: false },
  other: { readOnly: false, edit: false, destructive: false, path: false },
};

const traits = (kind: ToolKind) => KINDS[kind] ?? KINDS.other;
export const isReadOnlyKind = (kind: ToolKind): boolean => traits(kind).readOnly;
export const isEditKind = (kind: ToolKind): boolean => traits(kind).edit;
export const isDestructiveKind = (kind: ToolKind): boolean => traits(kind).destructive;
export const isPathKind = (kind: ToolKind): boolean => traits(kind).path;
