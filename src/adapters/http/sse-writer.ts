import type { ServerResponse } from 'node:http';
import { BASE_HEADERS } from './respond.js';

export interface SseWriterOptions {
  /** A comment line this often keeps idle streams alive through proxies. */
  heartbeatMs?: number;
  /**
   * A client is dropped (it resumes with Last-Event-ID) when the events waiting behind what it
   * has not read yet grow past this, not counting the largest one: one big event is not a slow
   * client, a backlog that keeps growing is.
   */
  maxBufferedBytes?: number;
  /** An event larger than this is replaced by a `truncated` event (same id) saying so. */
  maxEventBytes?: number;
  headers?: Record<string, string>;
  /** Called once when the stream ends or the client goes away. */
  onClosed?: () => void;
}

export const DEFAULT_SSE_MAX_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * Writes one Server-Sent Events stream. Frames written in the same tick go out in one write, so
 * a burst of token events costs one syscall; a heartbeat comment keeps the stream alive. While
 * the socket has not drained, frames wait here; only their growth can drop the client.
 */
export class SseWriter {
  private pending: string[] = [];
  private pendingSize = 0;
  private largestPending = 0;
  private waitingForDrain = false;
  private scheduled = false;
  private heartbeat?: NodeJS.Timeout;
  private ended = false;
  private readonly maxBuffered: number;
  private readonly maxEvent: number;
  private onClosed?: () => void;

  constructor(
    private readonly res: ServerResponse,
    opts: SseWriterOptions = {},
  ) {
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.maxEvent = opts.maxEventBytes ?? DEFAULT_SSE_MAX_EVENT_BYTES;
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...opts.headers,
    });
    res.flushHeaders();
    this.onClosed = opts.onClosed;
    res.once('close', () => this.stop());
    if (res.destroyed) {
      this.stop();
      return;
    }
    const every = opts.heartbeatMs ?? 15000;
    if (every > 0) {
      this.heartbeat = setInterval(() => this.comment('heartbeat'), every);
      this.heartbeat.unref();
    }
  }

  /** True once the stream has ended or the client went away. */
  get closed(): boolean {
    return this.ended || this.res.destroyed;
  }

  /** One event: `id:` (the seq), `event:` (its kind), `data:` (JSON). */
  send(event: string, data: unknown, id?: number | string): void {
    let json: string;
    try {
      json = JSON.stringify(data ?? null);
    } catch (err) {
      json = this.truncated(event, id, `the event cannot be encoded (${(err as Error).message})`);
      event = 'truncated';
    }
    // The length in UTF-16 units is at most the UTF-8 size and a third of it at least.
    if (json.length * 3 > this.maxEvent) {
      const bytes = Buffer.byteLength(json);
      if (bytes > this.maxEvent) {
        json = this.truncated(event, id, `the event is ${bytes} bytes, over the ${this.maxEvent}-byte limit of an SSE event`, bytes);
        event = 'truncated';
      }
    }
    let frame = id === undefined ? '' : `id: ${id}\n`;
    frame += `event: ${event}\n`;
    // JSON.stringify never emits raw newlines, so one data line is always enough.
    frame += `data: ${json}\n\n`;
    this.push(frame);
  }

  /**
   * What stands in for an event too large to send: it keeps the event's id, so a client resumes
   * after it instead of asking for it again and again, and it says where to read the whole.
   */
  private truncated(event: string, id: number | string | undefined, why: string, bytes?: number): string {
    return JSON.stringify({
      truncated: true,
      event,
      ...(id === undefined ? {} : { id }),
      ...(bytes === undefined ? {} : { bytes }),
      limit: this.maxEvent,
      message: `${why}; read it over the WebSocket or with session/history`,
    });
  }

  comment(text: string): void {
    this.push(`: ${text}\n\n`);
  }

  /** Flushes what is pending and ends the response. */
  end(): void {
    if (this.ended) return;
    this.flush(true);
    this.stop();
    if (!this.res.destroyed) this.res.end();
  }

  /** Ends the stream; resolves once the response is flushed or the client is gone. */
  endAndWait(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      if (this.res.writableFinished || this.res.destroyed) return resolve();
      this.res.once('finish', () => resolve());
      this.res.once('close', () => resolve());
    });
    this.end();
    return done;
  }

  private push(frame: string): void {
    if (this.closed) return;
    this.pending.push(frame);
    this.pendingSize += frame.length;
    if (frame.length > this.largestPending) this.largestPending = frame.length;
    if (this.waitingForDrain) {
      // Not reading: drop it rather than grow without bound; Last-Event-ID resumes it.
      if (this.pendingSize - this.largestPending > this.maxBuffered) this.drop();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is pending, unless the socket still holds earlier output (then on 'drain'). */
  private flush(force = false): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.closed) {
      this.clearPending();
      return;
    }
    if (this.waitingForDrain && !force) return;
    const out = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.clearPending();
    if (!this.res.write(out) && !force) {
      this.waitingForDrain = true;
      this.res.once('drain', () => {
        this.waitingForDrain = false;
        this.flush();
      });
    }
  }

  private clearPending(): void {
    this.pending = [];
    this.pendingSize = 0;
    this.largestPending = 0;
  }

  private drop(): void {
    this.clearPending();
    this.stop();
    this.res.destroy();
  }

  private stop(): void {
    const first = !this.ended;
    this.ended = true;
    if (first) {
      const cb = this.onClosed;
      this.onClosed = undefined;
      cb?.();
    }
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
