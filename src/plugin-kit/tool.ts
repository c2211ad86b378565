import type { z } from 'zod';
import { ErrorCodes, RpcError } from '../host/errors.js';
import type { Fence } from '../plugins/tools/fence.js';
import type { ToolDefinition, ToolKind, ToolResult } from '../plugins/tools/contract.js';

/** What a plugin tool's `run` gets beside its arguments. */
export interface ToolRunContext {
  readonly sessionId: string;
  /** The session's workspace (absolute, real path). The tool must stay inside it. */
  readonly workspace: string;
  readonly toolCallId: string;
  /** Aborted when the turn is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Resolves a path against the workspace and refuses (Forbidden, -32001) one that lands
   * outside it, through `..`, an absolute path or a symlink. Params named in `paths` are
   * already checked this way before `run` is called; use this for paths found later.
   */
  resolve(path: string): Promise<string>;
  /** A progress line the client shows while the tool runs. */
  progress(text: string): void;
}

/**
 * A tool a plugin adds to the registry, behind the same permission gate and confinement as the
 * built-in tools. `kind` is what the permission modes key on (`read`/`search` run in `ask`
 * mode inside the workspace; `edit`, `execute`, `fetch`, `other` ask).
 */
export interface ToolSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** The name the model calls it by: letters, digits, `_` and `-`, at most 64. */
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly kind: ToolKind;
  readonly params: P;
  /** The result's schema; the value `run` returns is checked against it. */
  readonly result?: R;
  /**
   * Params that are workspace paths: each is confined before `run` (a path outside the
   * workspace is refused and `run` never sees it); the first is the permission rules' subject.
   */
  readonly paths?: readonly (keyof z.output<P> & string)[];
  /** A short human title for one call, e.g. `Count words in a.txt`. */
  describe?(args: z.output<P>): string;
  /** Returns a string (the model reads it) or a value (sent as JSON). */
  run(args: z.output<P>, ctx: ToolRunContext): unknown | Promise<unknown>;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function defineTool<P extends z.ZodType, R extends z.ZodType = z.ZodType>(spec: ToolSpec<P, R>): ToolSpec<P, R> {
  if (!TOOL_NAME.test(spec.name)) throw new Error(`tool name "${spec.name}" must be 1-64 letters, digits, "_" or "-"`);
  return Object.freeze(spec);
}

/**
 * The registry's ToolDefinition for a plugin tool: its path params go through the built-in
 * tools' fence (the workspace, and never the daemon's home), its result is checked.
 */
export function toToolDefinition(spec: ToolSpec, owner: string, fence: Fence): ToolDefinition {
  const paths = spec.paths ?? [];
  const pathOf = (args: unknown, key: string) => (args as Record<string, unknown> | undefined)?.[key];
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    kind: spec.kind,
    parameters: spec.params,
    subject: paths.length ? (args) => stringOr(pathOf(args, paths[0])) : undefined,
    describe: spec.describe ? (args) => spec.describe!(args) : undefined,
    async execute(args, ctx): Promise<ToolResult> {
      for (const key of paths) {
        const value = pathOf(args, key);
        if (typeof value === 'string') await fence.confine(ctx.workspace, value);
      }
      const value = await spec.run(args, {
        sessionId: ctx.sessionId,
        workspace: ctx.workspace,
        toolCallId: ctx.toolCallId,
        signal: ctx.signal,
        resolve: async (p) => (await fence.confine(ctx.workspace, p)).abs,
        progress: (text) => ctx.progress({ title: text }),
      });
      if (spec.result) {
        const checked = spec.result.safeParse(value);
        if (!checked.success) {
          throw new RpcError(ErrorCodes.InternalError, `plugin "${owner}" tool ${spec.name} returned a result that does not match its schema`);
        }
      }
      return toolResultOf(value);
    },
  };
}

/** A plain value as a tool result: text as it is, anything else as JSON. */
export function toolResultOf(value: unknown, isError = false): ToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return { content: [{ type: 'content', content: { type: 'text', text } }], modelText: text, rawOutput: value, isError };
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
