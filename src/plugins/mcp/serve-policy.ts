import path from 'node:path';
import type { Logger } from 'pino';
import { factsOf } from '../permissions/gate.js';
import { GrantStore } from '../permissions/grant-store.js';
import { decide, readFilter } from '../permissions/policy.js';
import { PermissionsFile } from '../permissions/rule-book.js';
import type { ToolDefinition } from '../tools/contract.js';

/** The permission modes `switchboard mcp` runs in: the sessions' modes. */
export const SERVE_MODES = ['ask', 'accept-edits', 'read-only', 'bypass'] as const;
export type ServeMode = (typeof SERVE_MODES)[number];

/** Decides whether a call over MCP may run; undefined when it may, else why not. */
export interface ServePolicy {
  refusal(tool: ToolDefinition, args: unknown, workspace: string, sessionId: string): string | undefined;
  /** Which files a many-file reader (search_files) may read; see ToolContext.mayRead. */
  readFilter(tool: ToolDefinition): ((rel: string) => boolean) | undefined;
}

/**
 * The same decision a session's turn gets (the permissions plugin's `decide`: deny rules,
 * read-only, bypass, remembered grants for the workspace, allow rules, the mode's default),
 * from `$SWITCHBOARD_HOME/permissions.json` and `grants.json`. Where a session would ask a
 * person, MCP has nobody to ask: the call is refused with what would let it run.
 */
export function createServePolicy(home: string, mode: ServeMode, logger: Logger): ServePolicy {
  const file = new PermissionsFile(path.join(home, 'permissions.json'), logger);
  const grants = new GrantStore(path.join(home, 'grants.json'), logger);
  return {
    readFilter: (tool) => readFilter(file.config.rules, tool.name),
    refusal(tool, args, workspace, sessionId) {
      file.refresh();
      if (file.error) return `"${tool.name}" was refused: ${file.error}.`;
      const rules = file.config.rules;
      const facts = factsOf({ sessionId, workspace, toolCallId: '', tool, args, signal: AbortSignal.abort() });
      const verdict = decide(facts, mode, rules, grants.list({ workspace }).filter((g) => g.scope === 'workspace'));
      if (verdict.action === 'allow') return undefined;
      if (verdict.action === 'deny') return `"${tool.name}" was refused: ${verdict.why}.`;
      const edit = tool.kind === 'edit' || tool.kind === 'delete' || tool.kind === 'move';
      const flags = mode === 'ask' && edit ? '--mode accept-edits or --mode bypass' : '--mode bypass';
      const why = facts.inside ? verdict.why : `${facts.subject} is outside the workspace`;
      return `"${tool.name}" (${tool.kind}) needs approval (${why}), and there is no one to ask over MCP, so it was refused. Restart the server with ${flags}, or allow it with a rule in permissions.json.`;
    },
  };
}
