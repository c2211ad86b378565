/**
 * Wyoming framing (Home Assistant's voice protocol): one header line of JSON ending in `\n`,
 * then `data_length` bytes of JSON (the event's data), then `payload_length` bytes of raw audio.
 * Nothing separates events, and all lengths are bytes. Old servers (before v1.1) put the data
 * inline in the header as `data`; block data is merged over it.
 */

/** One Wyoming event as it travels. */
export interface WyomingEvent {
  type: string;
  data: Record<string, unknown>;
  payload?: Buffer;
}

/** The protocol version we write; servers ignore it, but the reference library sends one. */
export const WYOMING_VERSION = '1.7.0';

/**
 * A header line longer than this is refused: a peer that never sends `\n` must not make us
 * buffer without end. (The reference Python server closes silently on headers over 64 KiB.)
 */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Data blocks and payloads above this are refused as a protocol error, not buffered. */
export const MAX_BLOCK_BYTES = 32 * 1024 * 1024;

export class WyomingProtocolError extends Error {
  override name = 'WyomingProtocolError';
}

/**
 * Encodes an event as one buffer (header, data, payload), so a socket write never interleaves
 * two events. The data goes in the block and the header stays tiny.
 */
export function encodeEvent(event: WyomingEvent): Buffer {
  const hasData = Object.keys(event.data).length > 0;
  const data = hasData ? Buffer.from(JSON.stringify(event.data), 'utf8') : undefined;
  const header: Record<string, unknown> = { type: event.type, version: WYOMING_VERSION };
  if (data) header.data_length = data.length;
  if (event.payload && event.payload.length > 0) header.payload_length = event.payload.length;
  const line = Buffer.from(JSON.stringify(header) + '\n', 'utf8');
  const parts: Buffer[] = [line];
  if (data) parts.push(data);
  if (event.payload && event.payload.length > 0) parts.push(event.payload);
  return parts.length === 1 ? line : Buffer.concat(parts);
}

type Stage =
  | { kind: 'header' }
  | { kind: 'data'; type: string; inline: Record<string, unknown>; dataLength: number; payloadLength: number }
  | { kind: 'payload'; type: string; data: Record<string, unknown>; payloadLength: number };

/**
 * Incremental decoder: feed it whatever the socket gives (any split, down to single bytes) and
 * it returns the events completed so far. Throws WyomingProtocolError on a malformed stream;
 * after that the connection cannot be trusted and must be closed.
 */
export class WyomingDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stage: Stage = { kind: 'header' };

  push(chunk: Buffer): WyomingEvent[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: WyomingEvent[] = [];
    for (;;) {
      const event = this.step();
      if (event === undefined) break;
      if (event !== null) out.push(event);
    }
    return out;
  }

  /** Bytes received but not yet part of a complete event. */
  get pending(): number {
    return this.buffered;
  }

  /** undefined: need more bytes; null: progressed without completing an event. */
  private step(): WyomingEvent | null | undefined {
    const st = this.stage;
    if (st.kind === 'header') {
      const nl = this.indexOfNewline();
      if (nl < 0) {
        if (this.buffered > MAX_HEADER_BYTES) throw new WyomingProtocolError(`header line longer than ${MAX_HEADER_BYTES} bytes`);
        return undefined;
      }
      const line = this.take(nl + 1).subarray(0, nl).toString('utf8').trim();
      if (line === '') return null; // tolerate blank lines between events
      const header = parseJson(line, 'header');
      const type = header.type;
      if (typeof type !== 'string' || type === '') throw new WyomingProtocolError('header has no event type');
      const inline = isRecord(header.data) ? header.data : {};
      const dataLength = length(header.data_length, 'data_length');
      const payloadLength = length(header.payload_length, 'payload_length');
      if (dataLength > 0) this.stage = { kind: 'data', type, inline, dataLength, payloadLength };
      else if (payloadLength > 0) this.stage = { kind: 'payload', type, data: inline, payloadLength };
      else return { type, data: inline };
      return null;
    }
    if (st.kind === 'data') {
      if (this.buffered < st.dataLength) return undefined;
      const block = parseJson(this.take(st.dataLength).toString('utf8'), `data of ${st.type}`);
      const data = { ...st.inline, ...block };
      if (st.payloadLength > 0) {
        this.stage = { kind: 'payload', type: st.type, data, payloadLength: st.payloadLength };
        return null;
      }
      this.stage = { kind: 'header' };
      return { type: st.type, data };
    }
    if (this.buffered < st.payloadLength) return undefined;
    const payload = this.take(st.payloadLength);
    this.stage = { kind: 'header' };
    return { type: st.type, data: st.data, payload };
  }

  private indexOfNewline(): number {
    let offset = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(0x0a);
      if (i >= 0) return offset + i;
      offset += c.length;
    }
    return -1;
  }

  /** Removes and returns the first n buffered bytes (copying only when they span chunks). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WyomingProtocolError(`${what} is not JSON: ${text.slice(0, 80)}`);
  }
  if (!isRecord(v)) throw new WyomingProtocolError(`${what} is not a JSON object`);
  return v;
}

function length(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new WyomingProtocolError(`${what} is not a byte count: ${JSON.stringify(v)}`);
  if (v > MAX_BLOCK_BYTES) throw new WyomingProtocolError(`${what} ${v} is over the ${MAX_BLOCK_BYTES}-byte limit`);
  return v;
}
