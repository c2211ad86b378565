import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PermissionRule } from './schemas.js';

export const PermissionsConfig = z.object({
  rules: z.array(PermissionRule).default([]),
  /** How long a prompt waits for an answer before it counts as a rejection. */
  promptTimeoutMs: z.number().int().positive().optional(),
});
export type PermissionsConfig = z.infer<typeof PermissionsConfig>;

/** `$SWITCHBOARD_HOME/permissions.json`, read at start; a broken file is reported and ignored. */
export function loadPermissionsConfig(file: string, logger: Logger): PermissionsConfig {
  try {
    return PermissionsConfig.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.error({ err, file }, 'permissions.json is invalid; using no config rules');
    return { rules: [] };
  }
}

/** Rules from the config file (all sessions) plus each session's own. */
export class RuleBook {
  private readonly bySession = new Map<string, PermissionRule[]>();

  constructor(readonly config: readonly PermissionRule[]) {}

  for(sessionId: string): PermissionRule[] {
    return [...(this.bySession.get(sessionId) ?? []), ...this.config];
  }

  sessionRules(sessionId: string): PermissionRule[] {
    return this.bySession.get(sessionId) ?? [];
  }

  set(sessionId: string, rules: PermissionRule[]): void {
    if (rules.length === 0) this.bySession.delete(sessionId);
    else this.bySession.set(sessionId, rules);
  }

  forget(sessionId: string): void {
    this.bySession.delete(sessionId);
  }
}
