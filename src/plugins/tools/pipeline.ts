import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import { describeIssues } from '../../host/dispatcher.js';
import { RpcError, isAbortError } from '../../host/errors.js';
import type { GateDecision, PermissionGate, ToolCallContent, ToolCallFacts, ToolKind, ToolProgress, ToolRegistry, ToolResult } from './contract.js';
import { acpCallFields } from './acp-fields.js';
import { deriveFacts } from './facts.js';

/** One call, as any caller hands it over: a turn (from the model), MCP, a REST client. */
export interface ToolCallInput {
  toolCallId: string;
  name: string;
  /** The arguments as JSON text (a model's tool call) or a value (MCP `arguments`). */
  arguments: string | unknown;
  /** The registry scope and the gate's key: a session id, or the MCP caller's own id. */
  sessionId: string;
  /** Where the call is confined (absolute real path): the session's, or the command line's. */
  workspace: string;
  /** More roots the file tools may use (ACP `additionalDirectories` of the session). */
  additionalDirectories?: readonly string[];
  /** For callers without a session: the approval mode from the command line (see ToolCallRequest.mode). */
  mode?: string;
  /** False when nobody can be asked (MCP): a call that would ask is refused. */
  interactive?: boolean;
  /** Extra registry scope served beside the global one (`switchboard mcp --with-servers`). */
  scope?: string;
  signal: AbortSignal;
  client?: ClientPeer;
}

/** How the call ended, for the caller to hand on (to the model, to an MCP client). */
export interface ToolCallOutcome {
  status: 'completed' | 'failed' | 'refused' | 'cancelled';
  /** What goes back to the model, or the error an MCP client sees. */
  text: string;
  isError: boolean;
  /** The tool's own result, when it ran to the end. */
  result?: ToolResult;
}

/**
 * Where a call reports, owned by the caller: a turn publishes ACP `tool_call` /
 * `tool_call_update` session events, MCP sends progress notifications.
 */
export interface ToolCallSink {
  /** Before any check: the call as a client shows it (pending). `facts` is absent when the arguments did not validate. */
  announce?(call: { toolCallId: string; title: string; kind: ToolKind; rawInput: unknown; locations?: { path: string }[]; facts?: ToolCallFacts }): void;
  /** Allowed: the tool starts (in_progress). */
  running?(): void;
  progress?(update: ToolProgress): void;
  /** The end, whatever it was. */
  finish?(outcome: ToolCallOutcome): void;
}

const textContent = (text: string): ToolCallContent[] => [{ type: 'content', content: { type: 'text', text } }];

export function textOf(content: readonly ToolCallContent[]): string {
  return content
    .map((c) => (c.type === 'content' ? (c.content.type === 'text' ? String(c.content.text) : `[${c.content.type}]`) : c.type === 'diff' ? `edited ${c.path}` : `[terminal ${c.terminalId}]`))
    .join('\n');
}

export { textContent };

function parseArgs(value: string | unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  if (typeof value !== 'string') return { ok: true, value: value ?? {} };
  if (!value.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch (err) {
    return { ok: false, error: `the arguments are not valid JSON (${(err as Error).message})` };
  }
}

/**
 * The one tool-call pipeline, whoever asks (a turn, `switchboard mcp`, `/mcp`, `tools/call`):
 * find the tool, parse and validate the arguments once, derive the facts once, ask the gate
 * (required: with no gate nothing runs), run with the caller's signal, and report through the
 * caller's sink. Problems with the call become a failed outcome, never a throw.
 */
export class ToolPipeline {
  constructor(
    private readonly deps: {
      registry: ToolRegistry;
      /** The permission gate; undefined refuses every call (fail closed). */
      gate: () => PermissionGate | undefined;
      logger: Logger;
    },
  ) {}

  async run(input: ToolCallInput, sink: ToolCallSink = {}): Promise<ToolCallOutcome> {
    const end = (outcome: ToolCallOutcome): ToolCallOutcome => {
      sink.finish?.(outcome);
      return outcome;
    };
    const fail = (text: string, status: ToolCallOutcome['status'] = 'failed') => end({ status, text, isError: true });
    const { registry, logger } = this.deps;
    const tool = registry.get(input.name, input.sessionId) ?? (input.scope ? registry.get(input.name, input.scope) : undefined);
    const parsed = parseArgs(input.arguments);
    const checked = tool && parsed.ok ? tool.parameters.safeParse(parsed.value) : undefined;
    const facts = tool && checked?.success ? deriveFacts(tool, checked.data, input.workspace, input.sessionId) : undefined;
    const kind = tool?.kind ?? 'other';
    // As editors render it (acp-fields.ts): a shell call's command and cwd, a file tool's location.
    sink.announce?.({
      toolCallId: input.toolCallId,
      title: facts?.title ?? tool?.title ?? input.name,
      kind,
      ...(parsed.ok ? acpCallFields(kind, parsed.value, input.workspace) : { rawInput: input.arguments }),
      ...(facts ? { facts } : {}),
    });

    if (!tool) {
      const known = [...registry.list(input.sessionId), ...(input.scope ? registry.list(input.scope) : [])].map((t) => t.name);
      return fail(`unknown tool "${input.name}"; the available tools are: ${[...new Set(known)].join(', ') || '(none)'}`);
    }
    if (!parsed.ok) return fail(`invalid arguments for ${tool.name}: ${parsed.error}`);
    if (!checked!.success) return fail(`invalid arguments for ${tool.name}: ${describeIssues(checked!.error.issues)}`);
    const args = checked!.data;
    const { signal } = input;

    // Fail closed: without a gate nobody decides, so nothing runs.
    const gate = this.deps.gate();
    if (!gate) {
      logger.error({ tool: tool.name }, 'no permission gate is registered; refusing the tool call');
      return fail(`${tool.name} was refused: no permission gate is running (the permissions plugin is missing or failed to start; see host/status), so no tool call can be approved`, 'refused');
    }
    const request = {
      sessionId: input.sessionId,
      workspace: input.workspace,
      toolCallId: input.toolCallId,
      tool,
      args,
      signal,
      client: input.client,
      facts,
      ...(input.mode !== undefined ? { mode: input.mode } : {}),
      ...(input.interactive === false ? { interactive: false } : {}),
    };
    let decision: GateDecision;
    try {
      decision = await gate.check(request);
    } catch (err) {
      if (signal.aborted || isAbortError(err)) return fail('cancelled', 'cancelled');
      logger.error({ err, tool: tool.name }, 'permission gate failed');
      return fail(`the permission check failed: ${err instanceof RpcError ? err.message : 'internal error'}`, 'refused');
    }
    if (decision.outcome === 'deny') {
      // Nobody was asked over MCP: the gate's reason says it all; in a turn a person (or a rule) said no.
      return fail(input.interactive === false ? decision.reason : `the user denied this tool call: ${decision.reason}`, 'refused');
    }
    if (decision.outcome === 'cancelled') return fail('the permission request was cancelled', signal.aborted ? 'cancelled' : 'refused');
    if (signal.aborted) return fail('cancelled', 'cancelled');
    const mayRead = gate.readFilter?.(request);

    sink.running?.();
    let result: ToolResult;
    try {
      result = await untilAborted(
        tool.execute(args, {
          sessionId: input.sessionId,
          workspace: input.workspace,
          additionalDirectories: input.additionalDirectories ?? [],
          toolCallId: input.toolCallId,
          signal,
          client: input.client,
          ...(mayRead ? { mayRead } : {}),
          progress: (p) => sink.progress?.(p),
        }),
        signal,
      );
    } catch (err) {
      if (signal.aborted || isAbortError(err)) return fail('cancelled', 'cancelled');
      // A tool's own error message is meant for the model (e.g. "path escapes the workspace").
      const message = err instanceof Error ? err.message : String(err);
      logger.debug({ tool: tool.name, message }, 'tool failed');
      return fail(`${tool.name} failed: ${message}`);
    }
    return end({ status: 'completed', text: result.modelText ?? textOf(result.content), isError: result.isError ?? false, result });
  }
}

/**
 * A tool that ignores its signal (stuck in a system call, a plugin that never checks) must not
 * hold up cancel, delete or shutdown: on abort the caller moves on and the late result is dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason ?? new Error('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(signal.reason ?? new Error('aborted'));
    };
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
