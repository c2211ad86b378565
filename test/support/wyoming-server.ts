/**
 * A real Wyoming voice server for tests, backed by Debian's flite / espeak-ng (TTS) and
 * pocketsphinx (ASR), written from the protocol (see shared/VOICE.md), not from our client.
 *
 *   const srv = await startWyomingServer({ streaming: true, throttle: 1 });
 *   // SWITCHBOARD_VOICE_TTS_URL=srv.url
 *   srv.faults = { error: 'voice not found' };   // the next requests fail that way
 *   srv.connections                               // every connection: the event types received
 *   await srv.waitForClose(n)                      // the nth connection closed (cancel checks)
 *
 * Options: `streaming` (info advertises supports_synthesize_streaming / transcript streaming,
 * and the server honours synthesize-start/chunk/stop, answering per sentence and ending with
 * synthesize-stopped; without it those events are ignored, as an old server does), `throttle`
 * (audio leaves at N× real time, like a Pi), `inlineHeaders` (old pre-1.1 framing: data inside
 * the header line), `voice` `espeak` for espeak-ng's progressive output. Faults: `error` (an
 * `error` event instead of the answer), `closeEarly` (the socket is destroyed after the first
 * audio chunk, or before the transcript), `stall` (the first chunk, then silence), `silent`
 * (accepts, never answers anything, describe included), `skipAudioStart`.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WyomingSession, type Ev } from './wyoming-session.js';

export interface WyomingFaults {
  error?: string;
  closeEarly?: boolean;
  stall?: boolean;
  silent?: boolean;
  /** Audio chunks without the audio-start before them (some servers do). */
  skipAudioStart?: boolean;
}

export interface WyomingServerOptions {
  streaming?: boolean;
  throttle?: number;
  inlineHeaders?: boolean;
  /** Synthesize each (text, voice) once and replay it: the engine's own time drops out (benchmarks). */
  cacheAudio?: boolean;
}


export interface ConnectionLog {
  events: string[];
  /** The data of each event received, beside `events`. */
  data: Record<string, unknown>[];
  closed: boolean;
  /** ms since the server started, when the client closed its side. */
  closedAt?: number;
}

export interface WyomingTestServer {
  readonly url: string;
  readonly port: number;
  faults: WyomingFaults;
  readonly connections: ConnectionLog[];
  /** Resolves when connection number n (1-based) has been closed by either side. */
  waitForClose(n: number): Promise<ConnectionLog>;
  /** Resolves when connection n has received an event of `type`. */
  waitForEvent(n: number, type: string): Promise<void>;
  /** Resolves with the number (1-based) of the first connection after the first `after` that receives `type`. */
  waitForAny(type: string, after: number): Promise<number>;
  /** ms timestamps (since start) of each audio-chunk sent, and of the end of synthesis. */
  readonly timeline: { firstChunkAt?: number; synthesisDoneAt?: number }[];
  close(): Promise<void>;
}


export async function startWyomingServer(opts: WyomingServerOptions = {}): Promise<WyomingTestServer> {
  const t0 = performance.now();
  const connections: ConnectionLog[] = [];
  const sockets = new Set<net.Socket>();
  const timeline: WyomingTestServer['timeline'] = [];
  let watchers: (() => void)[] = [];
  const changed = () => {
    const w = watchers;
    watchers = [];
    for (const f of w) f();
  };
  const until = <T>(check: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const test = () => {
        const v = check();
        if (v !== undefined) resolve(v);
        else watchers.push(test);
      };
      test();
    });
  const state = { faults: {} as WyomingFaults };

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    const log: ConnectionLog = { events: [], data: [], closed: false };
    connections.push(log);
    changed();
    socket.on('close', () => {
      sockets.delete(socket);
      log.closed = true;
      log.closedAt = performance.now() - t0;
      changed();
    });
    socket.on('error', () => undefined);
    const session = new WyomingSession(socket, opts, state.faults, timeline, t0);
    let buf = Buffer.alloc(0);
    let pending: { type: string; data: Record<string, any>; dataLength: number; payloadLength: number } | undefined;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!pending) {
          const nl = buf.indexOf(10);
          if (nl < 0) return;
          const header = JSON.parse(buf.subarray(0, nl).toString('utf8'));
          buf = buf.subarray(nl + 1);
          pending = { type: header.type, data: header.data ?? {}, dataLength: header.data_length ?? 0, payloadLength: header.payload_length ?? 0 };
        }
        if (buf.length < pending.dataLength + pending.payloadLength) return;
        const data = pending.dataLength ? { ...pending.data, ...JSON.parse(buf.subarray(0, pending.dataLength).toString('utf8')) } : pending.data;
        const payload = pending.payloadLength ? buf.subarray(pending.dataLength, pending.dataLength + pending.payloadLength) : undefined;
        buf = buf.subarray(pending.dataLength + pending.payloadLength);
        const ev: Ev = { type: pending.type, data, payload };
        pending = undefined;
        log.events.push(ev.type);
        log.data.push(ev.data);
        changed();
        session.handle(ev);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `tcp://127.0.0.1:${port}`,
    port,
    get faults() {
      return state.faults;
    },
    set faults(f) {
      state.faults = f;
    },
    connections,
    timeline,
    waitForClose: (n) => until(() => (connections[n - 1]?.closed ? connections[n - 1] : undefined)),
    waitForAny: (type, after) =>
      until(() => {
        const i = connections.findIndex((c, i) => i >= after && c.events.includes(type));
        return i >= 0 ? i + 1 : undefined;
      }),
    waitForEvent: (n, type) => until(() => (connections[n - 1]?.events.includes(type) ? true : undefined)).then(() => undefined),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
