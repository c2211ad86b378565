import type { ToolKind } from '../tools/contract.js';
import { matchGlob } from '../tools/glob.js';
import type { Grant, PermissionMode, PermissionRule } from './schemas.js';

/** What the gate knows about a call when it decides, before asking anyone. */
export interface CallFacts {
  tool: string;
  kind: ToolKind;
  /** Workspace-relative path for file kinds, the command line for execute… */
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
  const matching = (action: PermissionRule['action']) =>
    rules.find((r) => r.action === action && ruleMatches(r.pattern, call, action === 'allow' ? 'all' : 'any', action === 'deny' ? coveredTools(call.tool) : [call.tool]));
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

/** A `read_file` deny rule also covers searching that file's text. */
function coveredTools(tool: string): string[] {
  return tool === 'search_files' ? [tool, 'read_file'] : [tool];
}

/**
 * `tool` or `tool:subject`; for path kinds `*` stays within a folder, for commands it spans all.
 * With a real subject beside the lexical one, `any` (deny, ask) matches either and `all` (allow)
 * needs both: a symlink can neither walk around a deny rule nor borrow an allow rule.
 */
export function ruleMatches(
  pattern: string,
  call: Pick<CallFacts, 'tool' | 'kind' | 'subject' | 'realSubject'>,
  need: 'any' | 'all' = 'any',
  tools: readonly string[] = [call.tool],
): boolean {
  const colon = pattern.indexOf(':');
  const toolPart = colon < 0 ? pattern : pattern.slice(0, colon);
  if (!tools.some((t) => matchGlob(toolPart, t))) return false;
  if (colon < 0) return true;
  if (call.subject === undefined) return false;
  const subjects = call.realSubject !== undefined && call.realSubject !== call.subject ? [call.subject, call.realSubject] : [call.subject];
  const hit = (s: string) => matchGlob(pattern.slice(colon + 1), s, { crossSlash: !PATH_KINDS.has(call.kind) });
  return need === 'all' ? subjects.every(hit) : subjects.some(hit);
}

/**
 * For a tool that reads many files (search_files): the workspace-relative paths its deny rules
 * (and `read_file` deny rules) forbid, as a filter; undefined when no such rule exists.
 */
export function readFilter(rules: readonly PermissionRule[], tool: string): ((rel: string) => boolean) | undefined {
  const patterns = rules
    .filter((r) => r.action === 'deny' && r.pattern.includes(':'))
    .filter((r) => [tool, 'read_file'].some((t) => matchGlob(r.pattern.slice(0, r.pattern.indexOf(':')), t)))
    .map((r) => r.pattern.slice(r.pattern.indexOf(':') + 1));
  if (patterns.length === 0) return undefined;
  return (rel) => !patterns.some((p) => matchGlob(p, rel));
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
