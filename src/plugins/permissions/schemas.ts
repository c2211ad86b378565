import { z } from 'zod';
import { defineClientRequest, defineEvent, defineMethod } from '../../host/method.js';
import { PermissionSessionEvent } from '../sessions/contract.js';

/**
 * Approval modes. `ask` is the default: reads and searches inside the workspace run, anything that
 * changes something (edit, delete, move, execute, fetch, other) asks. `accept-edits` also runs
 * edits, deletes and moves; `read-only` is the plan mode (nothing that changes anything runs);
 * `bypass` runs everything (never the default). Deny rules apply in every mode.
 */
export const PermissionMode = z.enum(['ask', 'accept-edits', 'read-only', 'bypass']);
export type PermissionMode = z.infer<typeof PermissionMode>;

export const RuleAction = z.enum(['allow', 'ask', 'deny']);

/** `tool` or `tool:subject`, both globs: `shell:rm *`, `read_file:src/**`, `mcp_*`. */
export const PermissionRule = z.object({
  pattern: z.string().min(1).describe('"tool" or "tool:subject" (globs); for shell the subject is the command line, for file tools the workspace-relative path'),
  action: RuleAction,
});
export type PermissionRule = z.infer<typeof PermissionRule>;

export const PermissionOptionId = z.enum(['allow_once', 'allow_always', 'reject_once', 'reject_always']);
export type PermissionOptionId = z.infer<typeof PermissionOptionId>;

export const GrantScope = z.enum(['session', 'workspace']);

export const Grant = z.object({
  grantId: z.string(),
  scope: GrantScope,
  /** Set for session grants. */
  sessionId: z.string().optional(),
  /** Always set: a grant never applies in another workspace. */
  workspace: z.string(),
  tool: z.string(),
  /** Only this subject (the exact command line for shell-like tools); absent: any subject. */
  subject: z.string().optional(),
  effect: z.enum(['allow', 'deny']),
  createdAt: z.string(),
});
export type Grant = z.infer<typeof Grant>;

export const PendingApproval = z.object({
  requestId: z.string(),
  sessionId: z.string(),
  toolCallId: z.string(),
  toolCall: z.record(z.string(), z.unknown()),
  options: z.array(z.object({ optionId: z.string(), name: z.string(), kind: z.string() })),
  createdAt: z.string(),
  expiresAt: z.string(),
});

const SessionParam = z.object({ sessionId: z.string().min(1) });

export const PermissionsGet = defineMethod({
  name: 'permissions/get',
  description: "A session's approval mode, its rules and its pending tool approvals.",
  params: SessionParam,
  result: z.object({
    sessionId: z.string(),
    mode: PermissionMode,
    rules: z.array(PermissionRule.extend({ source: z.enum(['session', 'config']) })),
    pending: z.array(PendingApproval),
  }),
  rest: { verb: 'GET', path: '/sessions/{session_id}/permissions' },
});

export const PermissionsRespond = defineMethod({
  name: 'permissions/respond',
  description:
    'Answers a pending tool approval. The first answer from any client wins; a later one gets a Conflict error. requestId (or toolCallId) may be left out when exactly one approval is pending.',
  params: SessionParam.extend({
    requestId: z.string().optional(),
    toolCallId: z.string().optional(),
    optionId: PermissionOptionId,
    /** For allow_always / reject_always: remember for this session (default) or this workspace. */
    scope: GrantScope.optional(),
  }),
  result: z.object({
    requestId: z.string(),
    optionId: PermissionOptionId,
    grant: Grant.optional(),
  }),
  rest: { verb: 'POST', path: '/sessions/{session_id}/permission' },
});

export const PermissionsSetMode = defineMethod({
  name: 'permissions/set_mode',
  description: "Sets a session's approval mode (stored by the sessions plugin, through session/set_mode).",
  params: SessionParam.extend({ mode: PermissionMode }),
  result: z.object({ sessionId: z.string(), mode: PermissionMode }),
  rest: { verb: 'POST', path: '/sessions/{session_id}/permissions/mode' },
});

export const PermissionsSetRules = defineMethod({
  name: 'permissions/set_rules',
  description: "Replaces a session's own rules (config rules from $SWITCHBOARD_HOME/permissions.json also apply).",
  params: SessionParam.extend({ rules: z.array(PermissionRule) }),
  result: z.object({ sessionId: z.string(), rules: z.array(PermissionRule) }),
});

export const PermissionsGrants = defineMethod({
  name: 'permissions/grants',
  description: 'Lists remembered answers (allow_always / reject_always), filtered by session and/or workspace.',
  params: z.object({ sessionId: z.string().optional(), workspace: z.string().optional() }).optional().nullable(),
  result: z.object({ grants: z.array(Grant) }),
});

export const PermissionsRevoke = defineMethod({
  name: 'permissions/revoke',
  description: 'Revokes grants: one by grantId, or all of a session or a workspace. The tool asks again next time.',
  params: z
    .object({ grantId: z.string().optional(), sessionId: z.string().optional(), workspace: z.string().optional() })
    .refine((p) => p.grantId || p.sessionId || p.workspace, { message: 'give grantId, sessionId or workspace' }),
  result: z.object({ revoked: z.array(Grant) }),
});

/**
 * What the permissions plugin publishes about a prompt (pending, then resolved), on its own
 * event; the sessions plugin folds it into the session's stream (with a seq) as a `permission` event.
 */
export const PermissionEvent = defineEvent({
  name: 'permissions/event',
  description: "A tool call waits for a person's answer (pending), or the answer came (resolved); the sessions plugin adds it to the session's stream.",
  payload: PermissionSessionEvent.omit({ type: true, seq: true }),
});

/** ACP `session/request_permission`: the host asks a client to approve a tool call. */
export const SessionRequestPermission = defineClientRequest({
  name: 'session/request_permission',
  description:
    'ACP: asks the client to approve a tool call, offering allow_once, allow_always, reject_once, reject_always. The first answer from any attached client wins; the others are withdrawn with $/cancel_request.',
  params: z.object({
    sessionId: z.string(),
    toolCall: z.record(z.string(), z.unknown()),
    options: z.array(z.object({ optionId: z.string(), name: z.string(), kind: z.string() })),
  }),
  result: z
    .object({
      outcome: z.discriminatedUnion('outcome', [
        z.object({ outcome: z.literal('cancelled') }).loose(),
        z.object({ outcome: z.literal('selected'), optionId: z.string() }).loose(),
      ]),
      _meta: z.record(z.string(), z.unknown()).nullable().optional(),
    })
    .loose(),
});

export const permissionMethods = [PermissionsGet, PermissionsRespond, PermissionsSetMode, PermissionsSetRules, PermissionsGrants, PermissionsRevoke];

/** ACP SessionMode entries for these modes, for the sessions plugin's `availableModes`. */
export const PERMISSION_MODES: { id: PermissionMode; name: string; description: string }[] = [
  { id: 'ask', name: 'Ask', description: 'Reads run; edits, commands and other changes ask first' },
  { id: 'accept-edits', name: 'Accept edits', description: 'Reads and file edits run; commands ask first' },
  { id: 'read-only', name: 'Read only (plan)', description: 'Nothing that changes anything runs' },
  { id: 'bypass', name: 'Bypass', description: 'Everything runs without asking (deny rules still apply)' },
];

/** Reads a session's mode string leniently: other engines' names map to ours, unknown → ask. */
export function normalizeMode(mode: string | undefined): PermissionMode {
  switch (mode) {
    case 'accept-edits':
    case 'acceptEdits':
    case 'accept_edits':
      return 'accept-edits';
    case 'read-only':
    case 'readonly':
    case 'read_only':
    case 'plan':
      return 'read-only';
    case 'bypass':
    case 'bypassPermissions':
    case 'yolo':
      return 'bypass';
    default:
      return 'ask';
  }
}
