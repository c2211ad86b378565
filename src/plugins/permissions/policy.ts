import type { ToolKind } from '../tools/contract.js';
import { matchGlob } from '../tools/glob.js';
import type { Grant, PermissionMode, PermissionRule } from './schemas.js';

/** What the gate knows about a call when it decides, before asking anyone. */
export interface CallFacts {
  tool: string;
  kind: ToolKind;
  /** Workspace-relative path for file kinds, the command line for execute… */
  subject?: string;
  /** False when a path subject lies outside the workspace (lexically). */
  inside: boolean;
  workspace: string;
  sessionId: string;
}

export type Verdict = { action: 'allow'; why: string } | { action: 'deny'; why: string } | { action: 'ask'; why: string };

const READS: ReadonlySet<ToolKind> = new Set(['read', 'search', 'think']);
const EDITS: ReadonlySet<ToolKind> = new Set(['edit', 'delete', 'move']);
/** Kinds whose subject is a path (matched with `/`-aware globs); others are free text. */
export const PATH_KINDS: ReadonlySet<ToolKind> = new Set(['read', 'search', 'edit', 'delete', 'move']);

/**
 * The decision, in order: deny rules → read-only refuses changes → bypass runs → remembered
 * rejections → ask rules → remembered approvals → allow rules → the mode's default.
 * Pure, so it is tested on its own and re-run when a mode or grant changes under a pending prompt.
 */
export function decide(call: CallFacts, mode: PermissionMode, rules: readonly PermissionRule[], grants: readonly Grant[]): Verdict {
  const matching = (action: PermissionRule['action']) => rules.find((r) => r.action === action && ruleMatches(r.pattern, call));
  const denyRule = matching('deny');
  if (denyRule) return { action: 'deny', why: `denied by the rule "deny ${denyRule.pattern}"` };
  if (mode === 'read-only' && !READS.has(call.kind)) {
    return {
      action: 'deny',
      why: `the session is in read-only (plan) mode: ${call.tool} (${call.kind}) could change things and does not run; switch the mode (permissions/set_mode) to let it run`,
    };
  }
  if (mode === 'bypass') return { action: 'allow', why: 'bypass mode' };
  const grant = (effect: Grant['effect']) => grants.find((g) => g.effect === effect && grantMatches(g, call));
  const rejected = grant('deny');
  if (rejected) return { action: 'deny', why: `rejected earlier for this ${rejected.scope} (reject_always, grant ${rejected.grantId})` };
  const askRule = matching('ask');
  if (askRule) return { action: 'ask', why: `the rule "ask ${askRule.pattern}"` };
  const allowed = grant('allow');
  if (allowed) return { action: 'allow', why: `allowed earlier for this ${allowed.scope} (grant ${allowed.grantId})` };
  const allowRule = matching('allow');
  if (allowRule) return { action: 'allow', why: `the rule "allow ${allowRule.pattern}"` };
  if (READS.has(call.kind) && call.inside) return { action: 'allow', why: 'reads inside the workspace run' };
  if (mode === 'accept-edits' && EDITS.has(call.kind) && call.inside) return { action: 'allow', why: 'accept-edits mode' };
  return { action: 'ask', why: `${call.kind} tools ask in ${mode} mode` };
}

/** `tool` or `tool:subject`; for path kinds `*` stays within a folder, for commands it spans all. */
export function ruleMatches(pattern: string, call: Pick<CallFacts, 'tool' | 'kind' | 'subject'>): boolean {
  const colon = pattern.indexOf(':');
  const toolPart = colon < 0 ? pattern : pattern.slice(0, colon);
  if (!matchGlob(toolPart, call.tool)) return false;
  if (colon < 0) return true;
  if (call.subject === undefined) return false;
  return matchGlob(pattern.slice(colon + 1), call.subject, { crossSlash: !PATH_KINDS.has(call.kind) });
}

export function grantMatches(g: Grant, call: CallFacts): boolean {
  if (g.workspace !== call.workspace || g.tool !== call.tool) return false;
  if (g.scope === 'session' && g.sessionId !== call.sessionId) return false;
  return g.subject === undefined || g.subject === call.subject;
}

/**
 * What an `allow_always` covers: the whole tool for file tools (inside this workspace), but only
 * the exact command line for commands and other free-text subjects, so approving `npm test`
 * does not approve `rm -rf .`.
 */
export function grantSubject(call: Pick<CallFacts, 'kind' | 'subject'>): string | undefined {
  return PATH_KINDS.has(call.kind) ? undefined : call.subject;
}
