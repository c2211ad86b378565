import { mayHoldSecretKeys, mayHoldSecrets, redactObject, redactText } from '../../host/redaction.js';
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
  let out = text;
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

const PINO_LEVEL = '{"level":';
const PINO_TIME = ',"time":';
const MSG_KEY = ',"msg":"';

/** The decimal number at `from` (up to 16 digits), and where it ends; -1 when there is none. */
function digitsAt(text: string, from: number): number {
  let end = from;
  while (end < text.length && end - from <= 16) {
    const c = text.charCodeAt(end);
    if (c < 48 || c > 57) break;
    end++;
  }
  return end > from && end - from <= 16 ? end : -1;
}

/** Filled by pinoFields: one reused record, so the hot path allocates only the line itself. */
const fields = { level: 0, time: 0, msg: '' };

/**
 * pino writes every line the same way: `{"level":N,"time":T,` first, `"msg":"…"}` last, and
 * JSON escaping means `,"msg":"` cannot occur inside a string. Reading those three fields
 * straight from the text costs a fraction of a full JSON.parse, which only lines that may hold
 * a secret key (and other JSON shapes) need. Fills `fields` and says whether it could.
 */
function pinoFields(text: string): boolean {
  if (!text.startsWith(PINO_LEVEL) || !text.endsWith('"}')) return false;
  const levelEnd = digitsAt(text, PINO_LEVEL.length);
  if (levelEnd === -1 || !text.startsWith(PINO_TIME, levelEnd)) return false;
  const timeEnd = digitsAt(text, levelEnd + PINO_TIME.length);
  if (timeEnd === -1 || text.charCodeAt(timeEnd) !== 0x2c /* , */) return false;
  const at = text.lastIndexOf(MSG_KEY);
  if (at < timeEnd) return false;
  const inner = text.slice(at + MSG_KEY.length, -2);
  let msg = inner;
  // Escapes or a quote inside: let JSON read the string (and refuse what is not one).
  if (inner.includes('\\') || inner.includes('"')) {
    try {
      const parsed: unknown = JSON.parse(`"${inner}"`);
      if (typeof parsed !== 'string') return false;
      msg = parsed;
    } catch {
      return false;
    }
  }
  fields.level = Number(text.slice(PINO_LEVEL.length, levelEnd));
  fields.time = Number(text.slice(levelEnd + PINO_TIME.length, timeEnd));
  fields.msg = msg;
  return true;
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
 * Parses one line, once: takes level, time and message from a pino-style JSON line or reads the
 * level from a plain line's words, and redacts secrets with the daemon's rules (text rules,
 * then secret keys at any depth of a JSON line). A line that parses as JSON holds no raw
 * control characters, so only plain lines need sanitising.
 */
export function parseLine(raw: RawLine, file: string, seq: number, now: number, literals: readonly string[]): LogLine {
  let text = raw.text.endsWith('\r') ? raw.text.slice(0, -1) : raw.text;
  if (!raw.clipped && pinoFields(text) && !mayHoldSecrets(text, literals)) {
    return { seq, file, time: fields.time, level: fields.level, levelName: levelName(fields.level), msg: fields.msg, text, isError: fields.level >= LEVELS.error, json: true };
  }
  let obj = raw.clipped ? undefined : jsonObject(text);
  if (obj) {
    const redacted = redactText(text, literals);
    if (redacted !== text) {
      text = redacted;
      obj = jsonObject(text);
    }
    if (obj && mayHoldSecretKeys(text)) {
      obj = redactObject(obj) as Record<string, unknown>;
      text = JSON.stringify(obj);
    }
  }
  if (!obj) text = redactText(sanitize(text), literals);
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
  // A JSON line says its level; a plain line's words were just read for it.
  const line: LogLine = { seq, file, time, level, levelName: levelName(level), msg, text, isError: level >= LEVELS.error, json: obj !== undefined };
  if (raw.clipped) line.clipped = true;
  return line;
}
