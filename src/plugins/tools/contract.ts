import type { InjectionToken } from 'tsyringe';
import type { z } from 'zod';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import type { ToolPipeline } from './pipeline.js';

/** ACP tool kinds: how a client shows a tool call, and what the permission modes key on. */
export type ToolKind = 'read' | 'edit' | 'delete' | 'move' | 'search' | 'execute' | 'think' | 'fetch' | 'other';

/** ACP ContentBlock (text, image, audio, resource_link, resource), kept open for passthrough. */
export type ContentBlock = { type: string; [key: string]: unknown };

/** ACP ToolCallContent: content, a diff, or a terminal. */
export type ToolCallContent =
  | { type: 'content'; content: ContentBlock }
  | { type: 'diff'; path: string; oldText?: string | null; newText: string }
  | { type: 'terminal'; terminalId: string };

export interface ToolLocation {
  path: string;
  line?: number;
}

/** What a running tool may report before it finishes (becomes an ACP `tool_call_update`). */
export interface ToolProgress {
  content?: ToolCallContent[];
  locations?: ToolLocation[];
  title?: string;
}

export interface ToolContext {
  readonly sessionId: string;
  /** The session's workspace (absolute, real path): tools must stay inside it. */
  readonly workspace: string;
  /**
   * ACP `additionalDirectories` (absolute real paths): more roots the file tools may use. Relative
   * paths stay relative to `workspace`; shell commands may write there too.
   */
  readonly additionalDirectories?: readonly string[];
  readonly toolCallId: string;
  readonly signal: AbortSignal;
  /** The client that sent the prompt, for ACP `fs/*` and `terminal/*` routing. */
  readonly client?: ClientPeer;
  /**
   * Whether the rules let this session read a workspace-relative path; tools that read many
   * files (search) skip the ones a `deny read_file:…` rule covers. Absent: no such rules.
   */
  readonly mayRead?: (rel: string) => boolean;
  progress(update: ToolProgress): void;
}

export interface ToolResult {
  /** What the client shows. */
  content: ToolCallContent[];
  /** What goes back to the model (text); defaults to the text of `content`. */
  modelText?: string;
  rawOutput?: unknown;
  isError?: boolean;
  locations?: ToolLocation[];
}

/**
 * A tool, as built-in tools, MCP servers and custom plugins all define it.
 * `parameters` is the zod schema (validated before `execute`); `inputSchema` is what the model
 * sees, derived from it unless given (MCP tools pass their server's JSON Schema through).
 */
export interface ToolDefinition<A = any> {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly kind: ToolKind;
  readonly parameters: z.ZodType<A>;
  readonly inputSchema?: Record<string, unknown>;
  /** The text a permission rule pattern is matched against (a path, a command line). */
  subject?(args: A): string | undefined;
  /** A short human title for the call, e.g. `Read src/index.ts`. */
  describe?(args: A): string;
  /**
   * The whole of what will run, for an approval prompt (a shell command, control characters
   * escaped); a title may be shortened, this never is.
   */
  preview?(args: A): string;
  execute(args: A, ctx: ToolContext): Promise<ToolResult>;
}

export interface RegisterOptions {
  /** Only this session sees the tool (MCP servers connected by a session). */
  sessionId?: string;
  /** Who adds it (`plugin "x"`), named when another source asks for the same name. */
  source?: string;
}

/** The registry every tool source adds to and the turn loop reads from. */
export interface ToolRegistry {
  /** Fails when the name is taken in that scope. */
  register(tool: ToolDefinition, opts?: RegisterOptions): Disposable;
  /** Global tools plus the session's own. */
  list(sessionId?: string): ToolDefinition[];
  get(name: string, sessionId?: string): ToolDefinition | undefined;
  onDidChange(listener: (e: { sessionId?: string }) => void): Disposable;
}

export const ToolRegistryToken = Symbol('ToolRegistry') as InjectionToken<ToolRegistry>;

/**
 * What the pipeline derives once about a call, before the gate decides: the same facts reach the
 * rules, the grants, the approval prompt and the client's `tool_call`.
 */
export interface ToolCallFacts {
  tool: string;
  kind: ToolKind;
  /** Workspace-relative path for path kinds (see kinds.ts), the command line for execute… */
  subject?: string;
  /**
   * For path kinds, where the subject really is (symlinks resolved), workspace-relative; set when
   * it differs from `subject`. Deny and ask rules match either; allow rules must match both.
   */
  realSubject?: string;
  /** False when a path subject lies outside the workspace (lexically or really). */
  inside: boolean;
  workspace: string;
  sessionId: string;
  /** A short human title (`Read src/a.ts`), the tool's title when it has no `describe`. */
  title: string;
  /** The whole of what will run, for an approval prompt (see ToolDefinition.preview). */
  preview?: string;
}

/** A call to run a tool, arguments parsed and validated; what the gate is asked about. */
export interface ToolCallRequest {
  sessionId: string;
  workspace: string;
  toolCallId: string;
  tool: ToolDefinition;
  args: unknown;
  signal: AbortSignal;
  client?: ClientPeer;
  /** Derived once by the pipeline; a gate asked directly derives them itself. */
  facts?: ToolCallFacts;
  /**
   * The approval mode of a caller without a session (`switchboard mcp --mode`, `/mcp`): from the
   * command line or the daemon's config, never from a client. Absent: the session's mode.
   */
  mode?: string;
  /**
   * False when nobody can be asked (MCP): a call that would ask a person is refused, with
   * what would let it run. Default true.
   */
  interactive?: boolean;
}

export type GateDecision =
  | { outcome: 'allow' }
  | { outcome: 'deny'; reason: string }
  | { outcome: 'cancelled' };

/**
 * Decides whether a tool call may run (modes, rules, grants, asking a person). The tool-call
 * pipeline (pipeline.ts) asks it before every call and refuses every call when there is none;
 * the permissions plugin provides it.
 */
export interface PermissionGate {
  check(call: ToolCallRequest): Promise<GateDecision>;
  /** For an allowed call: which workspace-relative paths the rules let it read (see ToolContext.mayRead). */
  readFilter?(call: ToolCallRequest): ((rel: string) => boolean) | undefined;
}

export const PermissionGateToken = Symbol('PermissionGate') as InjectionToken<PermissionGate>;

/**
 * Where and how calls without a session run (`tools/call`, `switchboard mcp`, `/mcp`): the
 * workspace and approval mode come from the command line (`switchboard mcp --workspace --mode`)
 * or the daemon's environment (`SWITCHBOARD_MCP_WORKSPACE`, `SWITCHBOARD_MCP_MODE`), never from
 * a client's params.
 */
export interface ServedTools {
  readonly workspace: string;
  readonly mode: string;
  /** The registry scope served beside the global tools (the `--with-servers` proxied tools). */
  readonly scope: string;
}

/** The one tool-call pipeline (pipeline.ts) and what callers without a session are served. */
export interface ToolCalls {
  readonly pipeline: ToolPipeline;
  readonly served: ServedTools;
}

export const ToolCallsToken = Symbol('ToolCalls') as InjectionToken<ToolCalls>;
