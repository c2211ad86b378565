import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { LogFeed, type LogFeedOptions, type LogSource } from '../../../src/plugins/logs/log-feed.js';
import type { LogLine } from '../../../src/plugins/logs/schemas.js';

export function tempDir(prefix = 'sb-logs-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A feed over real files, with everything it hears collected and waitable. */
export class FeedUnderTest {
  readonly feed: LogFeed;
  readonly lines: LogLine[] = [];
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(sources: LogSource[], opts: Partial<LogFeedOptions> = {}) {
    this.feed = new LogFeed({
      sources,
      logger: pino({ level: 'silent' }),
      maxLine: 64 * 1024,
      keepLines: 100,
      replayLines: 1000,
      pollMs: 200,
      literals: () => [],
      ...opts,
    });
    this.feed.listen((line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
    });
  }

  texts(): string[] {
    return this.lines.map((l) => l.text);
  }

  /** Resolves once `check` holds (checked at each new line, and now). */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  untilCount(n: number): Promise<void> {
    return this.until(() => this.lines.length >= n);
  }

  /** Resolves when the file's status satisfies `check` (states change without lines). */
  async untilFile(name: string, check: (s: ReturnType<LogFeed['files']>[number]) => boolean): Promise<void> {
    for (;;) {
      const s = this.feed.files().find((f) => f.name === name)!;
      if (check(s)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export const numbered = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix} ${from + i}`).join('\n') + '\n';
