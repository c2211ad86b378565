import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Grant } from './schemas.js';

const GrantsFile = z.object({ version: z.literal(1), grants: z.array(Grant) });

/**
 * Remembered answers (allow_always / reject_always), persisted in `$SWITCHBOARD_HOME/grants.json`
 * (0600, written atomically: temp file + rename). Memory is the source of truth; writes are
 * chained so that two quick changes can never land out of order.
 */
export class GrantStore {
  private grants: Grant[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {
    try {
      this.grants = GrantsFile.parse(JSON.parse(readFileSync(file, 'utf8'))).grants;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err, file }, 'grants file unreadable; starting with no grants');
    }
  }

  list(filter: { sessionId?: string; workspace?: string } = {}): Grant[] {
    return this.grants.filter(
      (g) => (!filter.workspace || g.workspace === filter.workspace) && (!filter.sessionId || g.scope === 'workspace' || g.sessionId === filter.sessionId),
    );
  }

  /** Adds a grant; an identical one (same scope, place, tool, subject) is replaced, not doubled. */
  add(g: Omit<Grant, 'grantId' | 'createdAt'>): Grant {
    const same = (x: Grant) => x.scope === g.scope && x.workspace === g.workspace && x.sessionId === g.sessionId && x.tool === g.tool && x.subject === g.subject;
    const grant: Grant = { ...g, grantId: randomUUID(), createdAt: new Date().toISOString() };
    this.grants = [...this.grants.filter((x) => !same(x)), grant];
    this.save();
    return grant;
  }

  /** Removes the grants the predicate selects; returns them. */
  remove(pred: (g: Grant) => boolean): Grant[] {
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
    this.writing = this.writing.then(() => this.write(body)).catch((err) => this.logger.error({ err, file: this.file }, 'could not save grants'));
  }

  private async write(body: string): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    await fs.writeFile(tmp, body, { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }
}
