/**
 * What a finished turn's lines of a session log become when it is compacted: each run of
 * streamed chunks of one message is one event, and each tool call is one `tool_call` event with
 * its final state. Everything else stays as it was written, byte for byte (meta, messages, set
 * and clear records, turn markers, usage, permissions, and any line this version cannot read:
 * compaction merges what it understands and never drops what it does not).
 *
 * A merged event keeps the seq of the last event it stands for (so `Last-Event-ID` = "everything
 * up to here") and records the first one as `from`: a client that resumes from a seq inside
 * [from, seq) saw part of it, and gets an explicit Gone rather than the text twice.
 */

/** The seqs a merged event stands for: from `from` to its own `seq`. */
export interface CompactedRange {
  from: number;
  seq: number;
}

export interface CompactedLines {
  /** The lines to write, in order, without their newlines. */
  lines: string[];
  /** How many of `lines`, from the start, are final: a later pass need not read them again. */
  stable: number;
  /** Input lines merged away (0: the lines are unchanged). */
  merged: number;
}

interface EvRecord {
  k: 'ev';
  e: { type: 'update'; sessionId: string; seq: number; update: Record<string, unknown> & { sessionUpdate: string } };
  from?: number;
}

/** An input line and, when it is an update event compaction may merge, that event. */
interface Entry {
  raw: string;
  ev?: EvRecord;
  /** Set once merged: the record written instead of `raw`. */
  merged?: EvRecord;
}

const CHUNKS = new Set(['agent_message_chunk', 'agent_thought_chunk', 'user_message_chunk']);
const TOOLS = new Set(['tool_call', 'tool_call_update']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The update event of a line, if it is one of the kinds compaction merges and well formed. */
function updateOf(raw: string): { ev?: EvRecord; turn?: { start: boolean; id: string } } {
  let r: unknown;
  try {
    r = JSON.parse(raw);
  } catch {
    return {};
  }
  if (!isObject(r) || r.k !== 'ev' || !isObject(r.e)) return {};
  const e = r.e;
  if (!Number.isInteger(e.seq) || (e.seq as number) <= 0 || typeof e.sessionId !== 'string') return {};
  if ((e.type === 'turn_started' || e.type === 'turn_ended') && typeof e.turnId === 'string') return { turn: { start: e.type === 'turn_started', id: e.turnId } };
  if (e.type !== 'update' || !isObject(e.update) || typeof e.update.sessionUpdate !== 'string') return {};
  if (r.from !== undefined && !(Number.isInteger(r.from) && (r.from as number) > 0 && (r.from as number) <= (e.seq as number))) return {};
  return { ev: r as unknown as EvRecord };
}

/** A text chunk with nothing beside its kind, text and messageId: the only shape merged. */
function textChunk(ev: EvRecord | undefined): { text: string } | undefined {
  const u = ev?.e.update;
  if (!u || !CHUNKS.has(u.sessionUpdate)) return undefined;
  if (Object.keys(u).some((k) => k !== 'sessionUpdate' && k !== 'content' && k !== 'messageId')) return undefined;
  const c = u.content;
  if (!isObject(c) || c.type !== 'text' || typeof c.text !== 'string' || Object.keys(c).length !== 2) return undefined;
  return { text: c.text };
}

const fromOf = (ev: EvRecord) => ev.from ?? ev.e.seq;

/** Merges the chunks and tool calls of one finished turn, `entries[start..end)`, in place. */
function compactTurn(entries: (Entry | null)[], start: number, end: number): number {
  let merged = 0;
  const calls = new Map<string, number>();
  for (let i = start; i < end; i++) {
    const cur = entries[i]!;
    const ev = cur.ev;
    if (!ev) continue;
    const prev = i > start ? entries[i - 1] : null;
    const prevEv = prev?.merged ?? prev?.ev;
    const text = textChunk(ev);
    // A chunk right after a chunk of the same message: one event with both texts.
    if (text && prev && prevEv && textChunk(prevEv) && prevEv.e.update.sessionUpdate === ev.e.update.sessionUpdate &&
      prevEv.e.update.messageId === ev.e.update.messageId && prevEv.e.sessionId === ev.e.sessionId && prevEv.e.seq < ev.e.seq) {
      const content = { type: 'text', text: textChunk(prevEv)!.text + text.text };
      cur.merged = { k: 'ev', e: { ...ev.e, update: { ...ev.e.update, content } }, from: fromOf(prevEv) };
      entries[i - 1] = null;
      merged++;
      continue;
    }
    const u = ev.e.update;
    if (!TOOLS.has(u.sessionUpdate) || typeof u.toolCallId !== 'string') continue;
    // A later state of a call seen before in this turn: the call moves here, with every field
    // the updates set (an ACP tool_call_update replaces the fields it carries).
    const at = calls.get(u.toolCallId);
    const earlier = at === undefined ? undefined : entries[at];
    const earlierEv = earlier?.merged ?? earlier?.ev;
    calls.set(u.toolCallId, i);
    if (!earlierEv || earlierEv.e.sessionId !== ev.e.sessionId || earlierEv.e.seq >= ev.e.seq) continue;
    const { sessionUpdate: _kind, ...fields } = u;
    cur.merged = { k: 'ev', e: { ...ev.e, update: { ...earlierEv.e.update, ...fields } }, from: fromOf(earlierEv) };
    entries[at!] = null;
    merged++;
  }
  return merged;
}

/**
 * Compacts the finished turns among `lines` (a tail of a log that starts outside any turn). A
 * turn is finished at its `turn_ended`, or at the next `turn_started` (a turn cut by a crash
 * never ends); the last turn, if still open, is copied as it is and is where `stable` stops.
 */
export function compactLines(lines: readonly string[]): CompactedLines {
  const entries: (Entry | null)[] = [];
  let merged = 0;
  let open: { at: number; id: string } | undefined;
  lines.forEach((raw, i) => {
    const { ev, turn } = updateOf(raw);
    entries.push({ raw, ev });
    if (!turn) return;
    if (open && (turn.start || turn.id === open.id)) merged += compactTurn(entries, open.at, turn.start ? i : i + 1);
    if (turn.start) open = { at: i, id: turn.id };
    else if (open?.id === turn.id) open = undefined;
  });
  const out: string[] = [];
  let stable = 0;
  entries.forEach((e, i) => {
    if (open && i === open.at) stable = out.length;
    if (e) out.push(e.merged ? JSON.stringify(e.merged) : e.raw);
  });
  return { lines: out, stable: open ? stable : out.length, merged };
}
