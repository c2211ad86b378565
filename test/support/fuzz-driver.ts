import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { STORED_SESSION_ID, expectedAnswerId, idKey, type HostileFrame } from './hostile-frames.js';

/** A transport under fuzz: it sends frames and reports every message the daemon answers. */
export interface FuzzTarget {
  readonly name: string;
  /** Largest message the daemon accepts on it (--max-message-bytes or the WebSocket limit). */
  readonly limit: number;
  send(frame: HostileFrame): void;
  /** Messages received so far (answers); the runner reads from `seen` on. */
  readonly received: any[];
  /** Resolves at the next message received. */
  next(): Promise<void>;
  /** Why the daemon (or this client's connection) is gone, or undefined while it is up. */
  gone(): string | undefined;
}

/** Splits a byte stream of NDJSON or Content-Length framed messages into parsed messages. */
export class AnswerParser {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly received: any[] = [];
  constructor(private readonly framing: 'ndjson' | 'content-length') {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      let body: Buffer;
      if (this.framing === 'ndjson') {
        const nl = this.buf.indexOf(0x0a);
        if (nl === -1) break;
        body = this.buf.subarray(0, nl);
        this.buf = this.buf.subarray(nl + 1);
      } else {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end === -1) break;
        const length = Number(/Content-Length: (\d+)/.exec(this.buf.subarray(0, end).toString())?.[1]);
        if (this.buf.length < end + 4 + length) break;
        body = this.buf.subarray(end + 4, end + 4 + length);
        this.buf = this.buf.subarray(end + 4 + length);
      }
      this.received.push(JSON.parse(body.toString('utf8')));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
}

/** Content-Length framing of a hostile frame, honest or lying; raw bytes go as they are. */
export function contentLengthBytes(frame: HostileFrame): Buffer {
  const body = Buffer.isBuffer(frame.body) ? frame.body : Buffer.from(frame.body);
  if (frame.kind === 'random bytes' || frame.kind === 'random text') return body;
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length + (frame.lie ?? 0)}\r\n\r\n`), body]);
}

const within = <T>(p: Promise<T>, ms: number, what: () => string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(what())), ms).unref())]);

let probes = 0;

/**
 * One batch of the property: send every frame, then every request with a usable id must get an
 * answer with that id (an error, unless it was a host/ping), then a probe is answered, and the
 * daemon is still there.
 */
export async function runBatch(t: FuzzTarget, frames: HostileFrame[], waitMs = 30_000): Promise<void> {
  expect(t.gone(), `${t.name} before the batch`).to.equal(undefined);
  const from = t.received.length;
  const expected = new Map<string, { count: number; maySucceed: boolean; kinds: string[] }>();
  for (const frame of frames) {
    const id = expectedAnswerId(frame, t.limit);
    if (id === undefined) continue;
    const key = idKey(id);
    const entry = expected.get(key) ?? { count: 0, maySucceed: false, kinds: [] };
    entry.count++;
    entry.kinds.push(`${frame.kind}: ${String(frame.body).slice(0, 120)}`);
    entry.maySucceed ||= frame.kind === 'a 5 MB line' || /"method":"host\/ping"/.test(String(frame.body).slice(0, 200));
    expected.set(key, entry);
  }
  for (const frame of frames) t.send(frame);
  if (process.env.SWITCHBOARD_FUZZ_DEBUG) console.log(`${t.name}: ${frames.length} frames (${[...new Set(frames.map((f) => f.kind))].join(', ')}), ${[...expected.values()].reduce((n, e) => n + e.count, 0)} to answer`);
  const outstanding = (check = true) => {
    const left = new Map([...expected].map(([k, v]) => [k, v.count]));
    for (const m of t.received.slice(from)) {
      if (!('result' in m) && !('error' in m)) continue;
      const key = idKey(m.id);
      const e = expected.get(key);
      if (!e) continue;
      left.set(key, (left.get(key) ?? 0) - 1);
      if (check && !e.maySucceed) expect(m.error, `${t.name}: answer to ${key} (${e.kinds.join(', ')}) must be an error`).to.be.an('object');
      if (m.error) expect(m.error.message, 'no stack trace').to.be.a('string').and.not.match(/\bat .*\.js:\d+/);
    }
    return [...left].filter(([, n]) => n > 0).map(([k]) => `${k} (${expected.get(k)!.kinds.join(', ')})`);
  };
  const answered = (async () => {
    while (outstanding().length > 0) {
      if (t.gone()) throw new Error(`${t.name} is gone: ${t.gone()}`);
      await t.next();
    }
  })();
  await within(answered, waitMs, () => `${t.name}: no answer to ${outstanding(false).join('; ')} (gone: ${t.gone() ?? 'no'})`);
  const probeId = `probe-${++probes}`;
  const probeFrom = t.received.length;
  t.send({ kind: 'probe', body: JSON.stringify({ jsonrpc: '2.0', id: probeId, method: 'host/ping', params: { data: probeId } }) });
  const probe = (async () => {
    for (;;) {
      const m = t.received.slice(probeFrom).find((x) => x.id === probeId);
      if (m) return m;
      if (t.gone()) throw new Error(`${t.name} is gone: ${t.gone()}`);
      await t.next();
    }
  })();
  const answer = await within(probe, waitMs, () => `${t.name}: the probe after the batch was not answered`);
  expect(answer.result).to.deep.equal({ pong: true, data: probeId });
  expect(t.gone(), `${t.name} after the batch`).to.equal(undefined);
}

/** A valid session log put in the home before the daemon starts; the fuzz must leave it as it is. */
export function seedStoredSession(home: string): () => void {
  const dir = path.join(home, 'sessions');
  const ws = path.join(home, 'ws');
  mkdirSync(dir, { recursive: true });
  mkdirSync(ws, { recursive: true });
  const file = path.join(dir, `${STORED_SESSION_ID}.jsonl`);
  const at = '2026-01-01T00:00:00.000Z';
  writeFileSync(
    file,
    [
      { k: 'meta', meta: { sessionId: STORED_SESSION_ID, workspace: ws, profile: 'local', mode: 'ask', systemPrompt: 'be brief', title: 'stored', mcpServers: [], createdAt: at } },
      { k: 'msg', m: { role: 'user', content: [{ type: 'text', text: 'hello' }] }, at },
      { k: 'ev', e: { type: 'turn_started', sessionId: STORED_SESSION_ID, seq: 1, turnId: 't' } },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  copyFileSync(file, `${file}.orig`);
  return () => expect(readFileSync(file, 'utf8'), 'the stored session log is untouched').to.equal(readFileSync(`${file}.orig`, 'utf8'));
}

/** After the runs: the stored session is still there, as it was. */
export async function checkStoredSession(t: FuzzTarget): Promise<void> {
  const from = t.received.length;
  t.send({ kind: 'check', body: JSON.stringify({ jsonrpc: '2.0', id: 'stored', method: 'session/get', params: { sessionId: STORED_SESSION_ID } }) });
  while (!t.received.slice(from).some((m) => m.id === 'stored')) await t.next();
  const got = t.received.slice(from).find((m) => m.id === 'stored');
  expect(got.result).to.include({ sessionId: STORED_SESSION_ID, messageCount: 1, lastSeq: 1, systemPrompt: 'be brief', mode: 'ask' });
}
