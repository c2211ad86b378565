import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Grant } from './schemas.js';

const GrantsFile = z.object({ version: z.literal(1), grants: z.array(Grant) });

/**
 * Remembered answers (allow_always / reject_always), persisted in `$SWITCHBOARD_HOME/grants.json`
 * (0600, written atomically: temp file + rename). One store per process, owned by the permissions
 * plugin. Writes are chained so that two quick changes can never land out of order. The file is
 * re-read when another process changed it (checked by stat before each look-up, while none of our
 * own writes is pending), so a `switchboard mcp` beside a daemon sees the grants the daemon makes.
 */
export class GrantStore {
  private grants: Grant[] = [];
  private writing: Promise<void> = Promise.resolve();
  private pendingWrites = 0;
  private stamp = '';

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    this.refresh();
  }

  /** Re-reads the file when its inode, size or mtime changed since we last read or wrote it. */
  refresh(): void {
    if (this.pendingWrites > 0) return;
    const stamp = this.stampNow();
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    if (stamp === 'absent') {
      this.grants = [];
      return;
    }
    try {
      this.grants = GrantsFile.parse(JSON.parse(readFileSync(this.file, 'utf8'))).grants;
    } catch (err) {
      // Grants only ever allow what would otherwise ask, or deny: an unreadable file keeps none.
      this.grants = [];
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, file: this.file }, 'grants file unreadable; using no grants');
    }
  }

  private stampNow(): string {
    try {
      const st = statSync(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : `error:${(err as Error).message}`;
    }
  }

  list(filter: { sessionId?: string; workspace?: string } = {}): Grant[] {
    this.refresh();
    return this.grants.filter(
      (g) => (!filter.workspace || g.workspace === filter.workspace) && (!filter.sessionId || g.scope === 'workspace' || g.sessionId === filter.sessionId),
    );
  }

  /** Adds a grant; an identical one (same scope, place, tool, subject) is replaced, not doubled. */
  add(g: Omit<Grant, 'grantId' | 'createdAt'>): Grant {
    this.refresh();
    const same = (x: Grant) => x.scope === g.scope && x.workspace === g.workspace && x.sessionId === g.sessionId && x.tool === g.tool && x.subject === g.subject;
    const grant: Grant = { ...g, grantId: randomUUID(), createdAt: new Date().toISOString() };
    this.grants = [...this.grants.filter((x) => !same(x)), grant];
    this.save();
    return grant;
  }

  /** Removes the grants the predicate selects; returns them. */
  remove(pred: (g: Grant) => boolean): Grant[] {
    this.refresh();
    const gone = this.grants.filter(pred);
    if (gone.length === 0) return gone;
    this.grants = this.grants.filter((g) => !pred(g));
    this.save();
    return gone;
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): void {
    const body = JSON.stringify({ version: 1, grants: this.grants }, null, 2);
    this.pendingWrites++;
    this.writing = this.writing
      .then(() => this.write(body))
      .catch((err) => this.logger.error({ err, file: this.file }, 'could not save grants'))
      .finally(() => {
        // What we wrote is what we hold: the next change on disk is someone else's.
        if (--this.pendingWrites === 0) this.stamp = this.stampNow();
      });
  }

  private async write(body: string): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, body, { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }
}
