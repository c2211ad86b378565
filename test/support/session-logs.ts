import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Session logs written as the daemon writes them (record and key order as in
 * src/plugins/sessions: meta, set, msg, and events with `sessionId` and `seq` last, compacted
 * chunks with their `from`), for homes with many sessions without running their turns.
 */
export interface LogSpec {
  sessionId: string;
  workspace: string;
  turns: number;
  /** Set by a `set` record after the meta, as the first prompt does. */
  title?: string;
  /** A `set` of the mode after the turns. */
  mode?: string;
  /** A `clear` after this many turns. */
  clearAfter?: number;
  /** Bytes of each answer's text (so a log can be made large). */
  answerBytes?: number;
}

/** What session/list must show of a log written from a spec. */
export interface Listed {
  sessionId: string;
  cwd: string;
  title: string | null;
  mode: string;
  messageCount: number;
  lastSeq: number;
  updatedAt: string;
}

const time = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

/** The log's lines (without newlines) and what the list shows of it. */
export function sessionLogLines(spec: LogSpec): { lines: string[]; listed: Listed } {
  const { sessionId, workspace } = spec;
  const lines: string[] = [];
  const add = (r: unknown) => lines.push(JSON.stringify(r));
  let clock = 0;
  let seq = 0;
  let count = 0;
  const meta = { sessionId, workspace, profile: 'fake', mode: 'ask', systemPrompt: null, title: null, mcpServers: [], createdAt: time(clock++) };
  add({ k: 'meta', meta });
  let updatedAt = meta.createdAt;
  if (spec.title) add({ k: 'set', patch: { title: spec.title }, at: (updatedAt = time(clock++)) });
  const ev = (e: Record<string, unknown>, from?: number) => {
    seq += from === undefined ? 1 : 10;
    add({ k: 'ev', e: { ...e, sessionId, seq }, ...(from === undefined ? {} : { from: seq - 9 }) });
  };
  for (let t = 0; t < spec.turns; t++) {
    const text = `answer ${t} `.padEnd(spec.answerBytes ?? 40, 'x');
    add({ k: 'msg', m: { role: 'user', content: [{ type: 'text', text: `question ${t}` }], messageId: `msg_u${t}` }, at: (updatedAt = time(clock++)) });
    count++;
    ev({ type: 'turn_started', turnId: `turn_${t}` });
    ev({ type: 'update', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text }, messageId: `msg_a${t}` } }, 1);
    add({ k: 'msg', m: { role: 'assistant', text, messageId: `msg_a${t}` }, at: (updatedAt = time(clock++)) });
    count++;
    ev({ type: 'update', update: { sessionUpdate: 'session_info_update', title: spec.title ?? null, updatedAt } });
    ev({ type: 'turn_ended', turnId: `turn_${t}`, stopReason: 'end_turn' });
    if (spec.clearAfter === t + 1) {
      add({ k: 'clear', at: (updatedAt = time(clock++)) });
      count = 0;
    }
  }
  if (spec.mode) add({ k: 'set', patch: { mode: spec.mode }, at: (updatedAt = time(clock++)) });
  return { lines, listed: { sessionId, cwd: workspace, title: spec.title ?? null, mode: spec.mode ?? 'ask', messageCount: count, lastSeq: seq, updatedAt } };
}

/** Writes a log into `home/sessions`; returns its file and what the list shows of it. */
export function writeSessionLog(home: string, spec: LogSpec, edit?: (lines: string[]) => void): { file: string; listed: Listed } {
  const dir = path.join(home, 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { lines, listed } = sessionLogLines(spec);
  edit?.(lines);
  const file = path.join(dir, `${spec.sessionId}.jsonl`);
  writeFileSync(file, lines.map((l) => l + '\n').join(''), { mode: 0o600 });
  return { file, listed };
}
