import type { InjectionToken } from 'tsyringe';
import type { z } from 'zod';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';

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

/** A model's request to run a tool, before any checks. */
export interface ToolCallRequest {
  sessionId: string;
  workspace: string;
  toolCallId: string;
  tool: ToolDefinition;
  args: unknown;
  signal: AbortSignal;
  client?: ClientPeer;
}

export type GateDecision =
  | { outcome: 'allow' }
  | { outcome: 'deny'; reason: string }
  | { outcome: 'cancelled' };

/**
 * Decides whether a tool call may run (modes, rules, grants, asking a person). The turn loop
 * asks the gate, if one is registered, before every tool call; the permissions plugin provides it.
 */
export interface PermissionGate {
  check(call: ToolCallRequest): Promise<GateDecision>;
  /** For an allowed call: which workspace-relative paths the rules let it read (see ToolContext.mayRead). */
  readFilter?(call: ToolCallRequest): ((rel: string) => boolean) | undefined;
}

export const PermissionGateToken = Symbol('PermissionGate') as InjectionToken<PermissionGate>;
