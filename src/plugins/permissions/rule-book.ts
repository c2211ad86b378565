import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PermissionRule } from './schemas.js';

export const PermissionsConfig = z.object({
  rules: z.array(PermissionRule).default([]),
  /** How long a prompt waits for an answer before it counts as a rejection. */
  promptTimeoutMs: z.number().int().positive().optional(),
});
export type PermissionsConfig = z.infer<typeof PermissionsConfig>;

/** What `host/status` says about permissions.json under `permissions`. */
export interface ConfigState {
  file: string;
  state: 'absent' | 'ok' | 'invalid';
  rules: number;
  error?: string;
}

/**
 * `$SWITCHBOARD_HOME/permissions.json`: the config rules of every session. The file is re-read
 * when it changes (checked by stat before each decision, so an edit applies to the next call).
 * A file that does not parse fails closed: `error` is set and the gate refuses every tool call,
 * since any of them might be one its rules deny, until the file is fixed.
 */
export class PermissionsFile {
  private stamp = '';
  private current: PermissionsConfig = { rules: [] };
  private problem: string | undefined;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {
    this.refresh();
  }

  get config(): PermissionsConfig {
    return this.current;
  }

  /** Why the file cannot be used, or undefined when it is fine (or absent). */
  get error(): string | undefined {
    return this.problem;
  }

  /** Re-reads the file when its inode, size or mtime changed; true when it did. */
  refresh(): boolean {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      stamp = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : `error:${(err as Error).message}`;
    }
    if (stamp === this.stamp) return false;
    this.stamp = stamp;
    this.problem = undefined;
    if (stamp === 'absent') {
      this.current = { rules: [] };
      return true;
    }
    try {
      this.current = PermissionsConfig.parse(JSON.parse(readFileSync(this.file, 'utf8')));
      this.logger.info({ file: this.file, rules: this.current.rules.length }, 'permissions.json loaded');
    } catch (err) {
      this.current = { rules: [] };
      const why = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') : (err as Error).message;
      this.problem = `${this.file} is invalid (${why.slice(0, 300)}); every tool call is refused until it is fixed`;
      this.logger.error({ file: this.file, err }, 'permissions.json is invalid; refusing tool calls until it is fixed');
    }
    return true;
  }

  state(): ConfigState {
    this.refresh();
    const state = this.problem ? 'invalid' : this.stamp === 'absent' ? 'absent' : 'ok';
    return { file: this.file, state, rules: this.current.rules.length, ...(this.problem ? { error: this.problem } : {}) };
  }
}

/** Rules from the config file (all sessions) plus each session's own. */
export class RuleBook {
  private readonly bySession = new Map<string, PermissionRule[]>();

  constructor(private readonly source: { readonly config: PermissionsConfig }) {}

  get config(): readonly PermissionRule[] {
    return this.source.config.rules;
  }

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
