/**
 * The two facts the session list needs of most lines of a log, read off the line's last bytes
 * without decoding or parsing the line: a message's time (`…},"at":"<time>"}`) and an event's seq
 * (`…"sessionId":"<id>","seq":N}}`, or `…,"seq":N},"from":M}` once compacted). They match only
 * the exact shape this version writes (JSON.stringify, keys in its order): anything else is for
 * the caller to parse whole. Bytes only, so a 50 MB line costs what a short one does.
 */

const QUOTE = 0x22;
const BRACE = 0x7d;
const BACKSLASH = 0x5c;
const AT_KEY = Buffer.from('},"at":"');
const FROM_KEY = Buffer.from(',"from":');

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/** `b` has `p` just before `end`. (A byte loop: Buffer#compare with offsets costs a native call and its checks.) */
export function endsAt(b: Buffer, end: number, p: Buffer): boolean {
  const at = end - p.length;
  if (at < 0) return false;
  for (let i = 0; i < p.length; i++) if (b[at + i] !== p[i]) return false;
  return true;
}

/** `b` starts with `p`. */
export function startsWith(b: Buffer, p: Buffer): boolean {
  return endsAt(b, p.length, p) && b.length >= p.length;
}

/** A positive integer (no leading zero, at most 15 digits) ending at `end`: its start and value. */
function numberBefore(b: Buffer, end: number): { start: number; value: number } | undefined {
  let start = end;
  while (start > 0 && end - start < 16 && isDigit(b[start - 1])) start--;
  if (start === end || end - start > 15 || b[start] === 0x30 || isDigit(b[start - 1])) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (b[i] - 0x30);
  return { start, value };
}

/** The `at` of a message line (`tail` ends where the line ends), if it is plain ASCII. */
export function messageAt(tail: Buffer): string | undefined {
  const end = tail.length - 1;
  if (end < AT_KEY.length + 2 || tail[end] !== BRACE || tail[end - 1] !== QUOTE) return undefined;
  const open = tail.lastIndexOf(QUOTE, end - 2);
  if (open < 0 || end - 1 - open > 64 || !endsAt(tail, open + 1, AT_KEY)) return undefined;
  for (let i = open + 1; i < end - 1; i++) if (tail[i] < 0x20 || tail[i] > 0x7e || tail[i] === BACKSLASH) return undefined;
  return tail.toString('latin1', open + 1, end - 1);
}

/** `"sessionId":"<id>","seq":` as this version writes it for a session. */
export const ownSeqKey = (sessionId: string) => Buffer.from(`"sessionId":${JSON.stringify(sessionId)},"seq":`);

/** The seq of an event line of the session whose `ownSeqKey` is given (`from` ≤ seq, when there). */
export function eventSeq(tail: Buffer, own: Buffer): number | undefined {
  let end = tail.length - 1;
  if (tail[end] !== BRACE) return undefined;
  let from: number | undefined;
  if (isDigit(tail[end - 1])) {
    const f = numberBefore(tail, end);
    if (!f || !endsAt(tail, f.start, FROM_KEY)) return undefined;
    from = f.value;
    end = f.start - FROM_KEY.length;
  }
  if (tail[end - 1] !== BRACE) return undefined;
  const seq = numberBefore(tail, end - 1);
  if (!seq || !endsAt(tail, seq.start, own) || (from !== undefined && from > seq.value)) return undefined;
  return seq.value;
}
