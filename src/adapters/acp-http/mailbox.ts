import type { ServerResponse } from 'node:http';
import { BASE_HEADERS } from '../http/respond.js';

/**
 * One outbound stream of an ACP HTTP connection (the connection stream, or one session's): the
 * JSON text of each message, queued until a `GET /acp` receiver is attached and then written as
 * SSE `data:` events. At most one receiver at a time (another gets 409); when it goes away,
 * messages queue again until the next one attaches.
 */
export class Mailbox {
  private queue: string[] = [];
  private receiver?: ServerResponse;
  private heartbeat?: NodeJS.Timeout;
  private scheduled = false;
  /** Bytes queued and not yet handed to a receiver. */
  queuedBytes = 0;

  constructor(
    private readonly opts: {
      heartbeatMs: number;
      /** Called after queued bytes change, so the connection can enforce its limit. */
      onBacklog: () => void;
    },
  ) {}

  get hasReceiver(): boolean {
    return this.receiver !== undefined;
  }

  push(json: string): void {
    this.queue.push(json);
    this.queuedBytes += json.length;
    this.schedule();
    this.opts.onBacklog();
  }

  /** Attaches a GET's response as the receiver; false when one is attached already. */
  attach(res: ServerResponse, headers: Record<string, string>): boolean {
    if (this.receiver) return false;
    this.receiver = res;
    res.writeHead(200, {
      ...BASE_HEADERS,
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const onGone = () => this.detach(res);
    res.once('close', onGone);
    // A client gone before this point never fires 'close' again: free the stream for the next GET.
    if (res.destroyed) {
      this.detach(res);
      return true;
    }
    if (this.opts.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.receiver === res && !res.destroyed && res.write(':\n\n'), this.opts.heartbeatMs);
      this.heartbeat.unref();
    }
    this.schedule();
    return true;
  }

  /** Ends the receiver's stream (connection closed); queued messages are dropped. */
  end(): void {
    const res = this.receiver;
    this.detach(res);
    this.queue = [];
    this.queuedBytes = 0;
    if (res && !res.destroyed) res.end();
  }

  private detach(res: ServerResponse | undefined): void {
    if (!res || this.receiver !== res) return;
    this.receiver = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Messages written in one tick go out in one write. */
  private schedule(): void {
    if (this.scheduled || !this.receiver || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const res = this.receiver;
      if (!res || res.destroyed || this.queue.length === 0) return;
      const out = this.queue.map((json) => `data: ${json}\n\n`).join('');
      this.queue = [];
      this.queuedBytes = 0;
      res.write(out);
      this.opts.onBacklog();
    });
  }

  /** Bytes written to the receiver that its client has not read yet. */
  get unreadBytes(): number {
    return this.receiver?.writableLength ?? 0;
  }
}
