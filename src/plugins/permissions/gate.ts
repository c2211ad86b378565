import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import type { SessionService } from '../sessions/contract.js';
import type { GateDecision, PermissionGate, ToolCallRequest } from '../tools/contract.js';
import { describeCall } from '../tools/acp-fields.js';
import { realSubject, relativeSubject } from '../tools/confine.js';
import type { GrantStore } from './grant-store.js';
import { PATH_KINDS, decide, grantSubject, readFilter, type CallFacts } from './policy.js';
import type { PendingPrompt, PromptAnswer, PromptBroker } from './prompt-broker.js';
import type { PermissionsFile, RuleBook } from './rule-book.js';
import { normalizeMode, type Grant, type PermissionMode } from './schemas.js';

export interface GateDeps {
  sessions(): SessionService | undefined;
  grants: GrantStore;
  rules: RuleBook;
  /** permissions.json: re-read when it changes; while it is invalid every call is refused. */
  file: PermissionsFile;
  broker: PromptBroker;
  timeoutMs: number;
  logger: Logger;
}

/**
 * The PermissionGate the turn loop asks before every tool call: decides from the session's mode,
 * the rules and the grants, and when it must ask, pauses the call on a prompt that any attached
 * client (or `permissions/respond`) answers.
 */
export class Gate implements PermissionGate {
  constructor(private readonly deps: GateDeps) {}

  modeOf(sessionId: string): PermissionMode {
    return normalizeMode(this.deps.sessions()?.get(sessionId)?.mode);
  }

  async check(call: ToolCallRequest): Promise<GateDecision> {
    if (this.deps.file.refresh()) queueMicrotask(() => this.redecidePending());
    // Fail closed: a rule in the broken file might have denied this call.
    if (this.deps.file.error) return { outcome: 'deny', reason: `${call.tool.name}: ${this.deps.file.error}` };
    const facts = factsOf(call);
    const verdict = decide(facts, this.modeOf(call.sessionId), this.deps.rules.for(call.sessionId), this.deps.grants.list({ workspace: call.workspace }));
    this.deps.logger.debug({ sessionId: call.sessionId, tool: facts.tool, subject: facts.subject, verdict }, 'permission check');
    if (verdict.action === 'allow') return { outcome: 'allow' };
    if (verdict.action === 'deny') return { outcome: 'deny', reason: `${facts.tool}: ${verdict.why}` };
    if (call.signal.aborted) return { outcome: 'cancelled' };
    const answer = await this.deps.broker.ask({
      sessionId: call.sessionId,
      toolCallId: call.toolCallId,
      toolCall: toolCallOf(call),
      signal: call.signal,
      timeoutMs: this.deps.timeoutMs,
      clients: this.askable(call),
      facts,
    });
    return decisionOf(answer, facts.tool, this.deps.timeoutMs);
  }

  /**
   * Runs inside the broker's settle (synchronously, so `permissions/respond` can return the
   * grant): records allow_always / reject_always, then re-decides the other pending prompts,
   * which a new grant may now answer.
   */
  onResolved(p: PendingPrompt, answer: PromptAnswer): Grant | undefined {
    if (answer.outcome !== 'selected' || (answer.optionId !== 'allow_always' && answer.optionId !== 'reject_always')) return undefined;
    const facts = p.request.facts as CallFacts;
    const scope = answer.scope ?? 'session';
    const grant = this.deps.grants.add({
      scope,
      sessionId: scope === 'session' ? facts.sessionId : undefined,
      workspace: facts.workspace,
      tool: facts.tool,
      subject: grantSubject(facts),
      effect: answer.optionId === 'allow_always' ? 'allow' : 'deny',
    });
    queueMicrotask(() => this.redecidePending());
    return grant;
  }

  readFilter(call: ToolCallRequest): ((rel: string) => boolean) | undefined {
    return readFilter(this.deps.rules.for(call.sessionId), call.tool.name);
  }

  /** A mode, rule or grant changed: pending prompts it now decides are answered by it. */
  redecidePending(sessionId?: string): void {
    for (const p of this.deps.broker.list(sessionId)) {
      if (this.deps.file.error) {
        this.deps.broker.respond(p.requestId, { outcome: 'selected', optionId: 'reject_once', by: `policy: ${this.deps.file.error}` });
        continue;
      }
      const facts = p.request.facts as CallFacts;
      const v = decide(facts, this.modeOf(facts.sessionId), this.deps.rules.for(facts.sessionId), this.deps.grants.list({ workspace: facts.workspace }));
      if (v.action === 'ask') continue;
      this.deps.broker.respond(p.requestId, { outcome: 'selected', optionId: v.action === 'allow' ? 'allow_once' : 'reject_once', by: `policy: ${v.why}` });
    }
  }

  /** Every attached client that can take a request, the prompting one included. */
  private askable(call: ToolCallRequest): ClientPeer[] {
    const out = new Map<string, ClientPeer>();
    for (const c of this.deps.sessions()?.clients(call.sessionId) ?? []) if (c.canRequest && !c.closed.aborted) out.set(c.id, c);
    if (call.client?.canRequest && !call.client.closed.aborted) out.set(call.client.id, call.client);
    return [...out.values()];
  }
}

export function factsOf(call: ToolCallRequest): CallFacts {
  const { tool } = call;
  let subject: string | undefined;
  const parsed = tool.parameters.safeParse(call.args);
  if (parsed.success) {
    try {
      subject = tool.subject?.(parsed.data);
    } catch {
      subject = undefined;
    }
  }
  let inside = true;
  let real: string | undefined;
  if (subject !== undefined && PATH_KINDS.has(tool.kind)) {
    const raw = subject;
    ({ rel: subject, inside } = relativeSubject(call.workspace, raw));
    // Rules also see where a symlink leads: `config.txt → .env` is `.env` to `deny read_file:.env`.
    const r = realSubject(call.workspace, raw);
    if (r && r.rel !== subject) real = r.rel;
    if (r && !r.inside) inside = false;
  }
  return { tool: tool.name, kind: tool.kind, subject, ...(real !== undefined ? { realSubject: real } : {}), inside, workspace: call.workspace, sessionId: call.sessionId };
}

function toolCallOf(call: ToolCallRequest): Record<string, unknown> {
  // The whole of what will run, control characters escaped: a title may be shortened, this never is.
  let preview: string | undefined;
  const parsed = call.tool.preview ? call.tool.parameters.safeParse(call.args) : undefined;
  if (parsed?.success && call.tool.preview) {
    try {
      preview = call.tool.preview(parsed.data);
    } catch {
      preview = undefined;
    }
  }
  const content = preview !== undefined ? [{ type: 'content', content: { type: 'text', text: preview } }] : undefined;
  return { toolCallId: call.toolCallId, ...describeCall(call.tool, call.tool.name, call.args, call.workspace), status: 'pending', ...(content ? { content } : {}) };
}

function decisionOf(answer: PromptAnswer, tool: string, timeoutMs: number): GateDecision {
  if (answer.outcome === 'cancelled') return { outcome: 'cancelled' };
  if (answer.outcome === 'timeout') return { outcome: 'deny', reason: `${tool}: no answer to the permission prompt within ${Math.round(timeoutMs / 1000)} s; rejected` };
  if (answer.optionId === 'allow_once' || answer.optionId === 'allow_always') return { outcome: 'allow' };
  return { outcome: 'deny', reason: `${tool}: the user rejected this tool call${answer.by.startsWith('policy: ') ? ` (${answer.by.slice(8)})` : ''}` };
}

