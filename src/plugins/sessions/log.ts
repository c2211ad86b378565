import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../providers/contract.js';
import type { SessionEvent } from './contract.js';

/** What a session was created with (the first line of its log). */
export interface SessionMeta {
  sessionId: string;
  workspace: string;
  profile: string;
  mode: string;
  systemPrompt: string | null;
  title: string | null;
  mcpServers: unknown[];
  /** ACP `additionalDirectories` (real paths): roots beside the workspace. */
  additionalDirectories?: string[];
  /** A model the profile's provider lists, chosen through the `model` config option (else the profile's own). */
  model?: string | null;
  /** The `thought_level` config option, where the provider supports reasoning effort. */
  thoughtLevel?: string;
  createdAt: string;
  forkedFrom?: string;
}

/** One line of a session log. Later `set` lines override the meta; `clear` empties the history. */
export type LogRecord =
  | { k: 'meta'; meta: SessionMeta }
  | { k: 'msg'; m: ChatMessage; at: string }
  | { k: 'ev'; e: SessionEvent }
  | { k: 'set'; patch: Partial<Pick<SessionMeta, 'mode' | 'systemPrompt' | 'title' | 'mcpServers' | 'profile' | 'model' | 'additionalDirectories' | 'thoughtLevel'>>; at: string }
  | { k: 'clear'; at: string };

export interface LoadedLog {
  records: LogRecord[];
  /** Lines that could not be parsed (a torn last line after a crash), skipped. */
  skipped: number;
}

/**
 * An append-only JSONL log per session. Each record is written with one `write` on an fd held
 * open, so it reaches the kernel before `append` returns: a killed daemon loses at most the line
 * being written, and a torn last line is skipped on load.
 */
export class SessionLog {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  append(record: LogRecord): void {
    this.fd ??= openSync(this.file, 'a', 0o600);
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
  }

  static load(file: string): LoadedLog {
    const text = readFileSync(file, 'utf8');
    const records: LogRecord[] = [];
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as LogRecord;
        if (r && typeof r === 'object' && typeof r.k === 'string') records.push(r);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    return { records, skipped };
  }
}

/** `$SWITCHBOARD_HOME/sessions`: one `<sessionId>.jsonl` per session. */
export class SessionDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  fileOf(sessionId: string): string {
    return path.join(this.dir, `${sessionId}.jsonl`);
  }

  exists(sessionId: string): boolean {
    return existsSync(this.fileOf(sessionId));
  }

  ids(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length));
  }
}
