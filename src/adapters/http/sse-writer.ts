import type { ServerResponse } from 'node:http';
import { BASE_HEADERS } from './respond.js';

export interface SseWriterOptions {
  /** A comment line this often keeps idle streams alive through proxies. */
  heartbeatMs?: number;
  /** A client whose unread output exceeds this is dropped (it resumes with Last-Event-ID). */
  maxBufferedBytes?: number;
  headers?: Record<string, string>;
  /** Called once when the stream ends or the client goes away. */
  onClosed?: () => void;
}

/**
 * Writes one Server-Sent Events stream. Frames written in the same tick go out in one write, so
 * a burst of token events costs one syscall; a heartbeat comment keeps the stream alive.
 */
export class SseWriter {
  private pending: string[] = [];
  private scheduled = false;
  private heartbeat?: NodeJS.Timeout;
  private ended = false;
  private readonly maxBuffered: number;
  private onClosed?: () => void;

  constructor(
    private readonly res: ServerResponse,
    opts: SseWriterOptions = {},
  ) {
    this.maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
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
    let frame = id === undefined ? '' : `id: ${id}\n`;
    frame += `event: ${event}\n`;
    const json = JSON.stringify(data ?? null);
    // JSON.stringify never emits raw newlines, so one data line is always enough.
    frame += `data: ${json}\n\n`;
    this.push(frame);
  }

  comment(text: string): void {
    this.push(`: ${text}\n\n`);
  }

  /** Flushes what is pending and ends the response. */
  end(): void {
    if (this.ended) return;
    this.flush();
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
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.closed) {
      this.pending = [];
      return;
    }
    const out = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.res.write(out);
    if (this.res.writableLength > this.maxBuffered) {
      // Not reading: drop it rather than grow without bound; Last-Event-ID resumes it.
      this.stop();
      this.res.destroy();
    }
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
