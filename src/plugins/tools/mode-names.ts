/**
 * The approval modes' names, without zod: `switchboard --help` prints them without loading the
 * schemas (see modes.ts, where `ApprovalMode` is declared from this list).
 */
export const MODE_NAMES = ['ask', 'accept-edits', 'read-only', 'bypass'] as const;
