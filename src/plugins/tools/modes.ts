import { z } from 'zod';
import { MODE_NAMES } from './mode-names.js';

/**
 * The approval modes, declared once: a session's mode (ACP `session/set_mode`,
 * `permissions/set_mode`), `switchboard mcp --mode` and `SWITCHBOARD_MCP_MODE` all take these.
 * `ask` is the default: reads and searches inside the workspace run, anything that changes
 * something (edit, delete, move, execute, fetch, other) asks. `accept-edits` also runs edits,
 * deletes and moves; `read-only` is the plan mode (nothing that changes anything runs); `bypass`
 * runs everything (never the default). Deny rules apply in every mode.
 */
export const ApprovalMode = z.enum(MODE_NAMES);
export type ApprovalMode = z.infer<typeof ApprovalMode>;

/** The modes as ACP SessionMode entries (`availableModes`). */
export const APPROVAL_MODES: readonly { id: ApprovalMode; name: string; description: string }[] = [
  { id: 'ask', name: 'Ask', description: 'Reads inside the workspace run; edits and commands ask first.' },
  { id: 'accept-edits', name: 'Accept edits', description: 'Edits inside the workspace run; commands ask first.' },
  { id: 'read-only', name: 'Read only (plan)', description: 'Nothing that changes anything runs.' },
  { id: 'bypass', name: 'Bypass', description: 'Everything runs without asking (deny rules still apply).' },
];

/** Reads a mode string leniently: other engines' names map to ours, unknown → ask. */
export function normalizeMode(mode: string | undefined): ApprovalMode {
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
