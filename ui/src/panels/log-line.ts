// One log line as a row: time, level, file (when several are shown), the message and, for a JSON
// (pino) line, its other fields in brief. Built from text nodes only; errors are marked for CSS.
import { h } from '../dom.js';

/** A line as logs/tail and logs/line carry it (already redacted by the daemon). */
export interface LogLine {
  seq: number;
  file: string;
  time: number;
  level: number;
  levelName: string;
  msg: string;
  text: string;
  isError: boolean;
  json: boolean;
  clipped?: true;
}

// pino's own fields, already shown (or the same on every line of a one-machine page).
const SHOWN = new Set(['time', 'level', 'msg', 'message', 'pid', 'hostname', 'v', 'name']);
// What the search looks at, per row, kept out of the DOM.
const SEARCH = new WeakMap<HTMLElement, string>();

export function searchText(row: HTMLElement): string {
  return SEARCH.get(row) ?? '';
}

export function lineRow(l: LogLine, withFile: boolean): HTMLElement {
  const when = new Date(l.time);
  const extra = l.json ? extraFields(l.text) : '';
  const row = h(
    'div',
    { class: 'log-line', 'data-level': l.levelName, 'data-seq': String(l.seq), 'data-error': String(l.isError) },
    h('time', { class: 'log-time', datetime: when.toISOString(), text: clock(when) }),
    h('span', { class: 'log-level', text: l.levelName }),
    withFile ? h('span', { class: 'log-file', text: l.file }) : null,
    h('span', { class: 'log-msg', text: l.msg || l.text }),
    extra ? h('span', { class: 'log-extra', text: extra }) : null,
    l.clipped ? h('span', { class: 'log-clipped', text: '(clipped)' }) : null,
  );
  if (extra) row.title = extra;
  SEARCH.set(row, `${l.levelName} ${l.file} ${l.text}`.toLowerCase());
  return row;
}

function clock(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `key=value` for the fields of a JSON line beyond time, level and message. */
function extraFields(text: string): string {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return '';
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return '';
  return Object.entries(obj as Record<string, unknown>)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
