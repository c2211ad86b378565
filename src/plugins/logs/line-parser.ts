import { mayHoldSecretKeys, redactObject, redactText } from '../../host/redaction.js';
import { levelFromField, levelFromText, levelName, LEVELS } from './levels.js';
import type { LogLine } from './schemas.js';

export type { LogLine };

/** One line as the splitter cut it: decoded, and whether it was longer than the limit. */
export interface RawLine {
  text: string;
  clipped: boolean;
}

// Terminal colours say nothing once the line is JSON; other control characters (NUL, BEL, the
// bytes of a binary file) are replaced so a line is always printable text.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

function sanitize(text: string): string {
  let out = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (out.includes('\u001b')) out = out.replace(ANSI, '');
  CONTROL.lastIndex = 0;
  return CONTROL.test(out) ? out.replace(CONTROL, '\uFFFD') : out;
}

function timeOf(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? Math.round(value * 1000) : value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    if (Number.isFinite(t)) return t;
  }
  return fallback;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (text.charCodeAt(0) !== 0x7b /* { */) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses one line, once: sanitises it, redacts secrets with the daemon's rules (text rules,
 * then secret keys at any depth of a JSON line), and takes level, time and message from a
 * pino-style JSON line or reads the level from a plain line's words.
 */
export function parseLine(raw: RawLine, file: string, seq: number, now: number, literals: readonly string[]): LogLine {
  let text = redactText(sanitize(raw.text), literals);
  let obj = raw.clipped ? undefined : jsonObject(text);
  if (obj && mayHoldSecretKeys(text)) {
    obj = redactObject(obj) as Record<string, unknown>;
    text = JSON.stringify(obj);
  }
  let level: number;
  let msg: string;
  let time = now;
  if (obj) {
    const m = obj.msg ?? obj.message;
    msg = typeof m === 'string' ? m : m === undefined ? '' : JSON.stringify(m);
    level = levelFromField(obj.level) ?? levelFromField(obj.severity) ?? levelFromText(msg);
    time = timeOf(obj.time ?? obj.timestamp ?? obj.ts, now);
  } else {
    msg = text;
    level = levelFromText(text);
  }
  const isError = level >= LEVELS.error || (obj !== undefined && levelFromText(msg) >= LEVELS.error);
  const line: LogLine = { seq, file, time, level, levelName: levelName(level), msg, text, isError, json: obj !== undefined };
  if (raw.clipped) line.clipped = true;
  return line;
}
