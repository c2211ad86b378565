import net from 'node:net';
import { RpcError } from '../../../host/errors.js';
import { stalled, unreachable, upstream, type VoiceRole } from '../errors.js';
import { WyomingDecoder, encodeEvent, type WyomingEvent } from './framing.js';

export interface WyomingTarget {
  /** `tcp://host:port`, for messages. */
  url: string;
  role: VoiceRole;
  connectTimeoutMs: number;
  stallTimeoutMs: number;
}

/**
 * Events read ahead of the consumer before the socket is paused: a slow reader (a REST client
 * on a slow link) holds back the server through TCP instead of filling our memory.
 */
const HIGH_WATER = 256;
const LOW_WATER = 32;

/** Host and port of a `tcp://host:port` URL. */
export function tcpAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (u.protocol !== 'tcp:' || !u.hostname || !u.port) throw RpcError.invalidParams(`a Wyoming url is tcp://host:port, not ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/**
 * One Wyoming request's TCP connection (servers expect one per request). Reads while we write;
 * `next()` waits for the next event, failing after `stallTimeoutMs` of silence, when the server
 * closes, or when the signal aborts (which destroys the socket at once, closing upstream).
 */
export class WyomingConnection {
  private readonly decoder = new WyomingDecoder();
  private readonly queue: WyomingEvent[] = [];
  private failure: Error | undefined;
  private ended = false;
  private waiter: { resolve: (e: WyomingEvent) => void; reject: (err: Error) => void; what: string } | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly target: WyomingTarget,
    private readonly signal: AbortSignal,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', (err) => this.fail(upstream(target.role, target.url, `failed mid-request (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Connects within `connectTimeoutMs`, or fails with -32005 naming the URL and what to check. */
  static open(target: WyomingTarget, signal: AbortSignal): Promise<WyomingConnection> {
    const { host, port } = tcpAddress(target.url);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(RpcError.cancelled());
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => done(unreachable(target.role, target.url, `no connection within ${target.connectTimeoutMs / 1000} s`)), target.connectTimeoutMs);
      const onAbort = () => done(RpcError.cancelled());
      const onError = (err: NodeJS.ErrnoException) => done(unreachable(target.role, target.url, err.code ?? err.message));
      const done = (err?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve(new WyomingConnection(socket, target, signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => done());
    });
  }

  send(event: WyomingEvent): void {
    if (this.failure) throw this.failure;
    if (this.socket.destroyed || this.ended) throw upstream(this.target.role, this.target.url, `closed the connection before Switchboard could send ${event.type}`);
    this.socket.write(encodeEvent(event));
  }

  /** The next event; `what` names what we wait for, in the stall and early-close messages. */
  next(what: string): Promise<WyomingEvent> {
    const e = this.queue.shift();
    if (this.socket.isPaused() && this.queue.length <= LOW_WATER) this.socket.resume();
    if (e) return Promise.resolve(e);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.reject(this.closedEarly(what));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject, what };
      this.armStall();
    });
  }

  /** Closes the socket at once (both directions); safe to call twice. */
  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    clearTimeout(this.stallTimer);
    this.socket.destroy();
  }

  private readonly onAbort = () => {
    this.socket.destroy();
    this.fail(RpcError.cancelled());
  };

  private armStall(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      const what = this.waiter?.what ?? 'an answer';
      this.socket.destroy();
      this.fail(stalled(this.target.role, this.target.url, this.target.stallTimeoutMs, what));
    }, this.target.stallTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let events: WyomingEvent[];
    try {
      events = this.decoder.push(chunk);
    } catch (err) {
      this.socket.destroy();
      return this.fail(upstream(this.target.role, this.target.url, `broke the Wyoming protocol: ${(err as Error).message}`));
    }
    if (this.waiter) this.armStall();
    for (const e of events) {
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        clearTimeout(this.stallTimer);
        w.resolve(e);
      } else this.queue.push(e);
    }
    if (this.queue.length >= HIGH_WATER) this.socket.pause();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    if (w && !this.failure) {
      this.waiter = undefined;
      clearTimeout(this.stallTimer);
      w.reject(this.closedEarly(w.what));
    }
  }

  private closedEarly(what: string): Error {
    return upstream(this.target.role, this.target.url, `closed the connection before sending ${what}`);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearTimeout(this.stallTimer);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }
}
