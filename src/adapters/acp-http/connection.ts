import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Message } from 'vscode-jsonrpc/node';
import type { Host } from '../../host/host.js';
import { FrameMessageReader } from '../jsonrpc/frame-reader.js';
import { FrameMessageWriter } from '../jsonrpc/frame-writer.js';
import { frameErrorResponse, serveConnection, type ServedConnection } from '../jsonrpc/serve-connection.js';
import { Mailbox } from './mailbox.js';

type Json = Record<string, unknown>;

/** A JSON-RPC id as a map key that keeps `1` and `"1"` apart. */
export const idKey = (id: unknown): string | undefined =>
  typeof id === 'string' ? `s:${id}` : typeof id === 'number' ? `n:${id}` : undefined;

const sessionIdIn = (m: Json): string | undefined => {
  const p = m.params as { sessionId?: unknown } | undefined;
  return typeof p?.sessionId === 'string' ? p.sessionId : undefined;
};

export interface AcpConnectionOptions {
  host: Host;
  logger: Logger;
  /** Unread output (queued plus written but not read) past which the connection is closed. */
  maxBufferedBytes: number;
  /** Most session streams one connection may hold. */
  maxSessionStreams: number;
  heartbeatMs: number;
  onClosed(): void;
}

/**
 * One ACP connection over Streamable HTTP (the RFD the official SDK's `createHttpStream`
 * speaks): client messages arrive by POST and go to the host through the same
 * `serveConnection` as stdio and WebSocket; what the host sends is routed to the connection
 * stream or to the stream of the session it concerns (`params.sessionId`, or for an answer the
 * session of its request), each read by one `GET /acp` at a time.
 */
export class AcpHttpConnection {
  readonly id = randomUUID();
  private readonly reader: FrameMessageReader;
  private readonly served: ServedConnection;
  private readonly connectionStream: Mailbox;
  private readonly sessionStreams = new Map<string, Mailbox>();
  /** Where the answer to each client request goes: a session id, or undefined for the connection stream. */
  private readonly routes = new Map<string, string | undefined>();
  private initWaiter?: { key: string; resolve: (m: Json) => void };
  private closed = false;
  /** For the idle reaper: the last POST or GET. */
  lastActive = Date.now();

  constructor(private readonly opts: AcpConnectionOptions) {
    this.connectionStream = this.mailbox();
    this.reader = new FrameMessageReader((err) => this.route(frameErrorResponse(err) as Json));
    const writer = new FrameMessageWriter((m: Message) => this.route(m as unknown as Json));
    this.served = serveConnection(opts.host, this.reader, writer, { transport: 'http', logger: opts.logger });
    void this.served.closed.then(() => this.close());
  }

  private mailbox(): Mailbox {
    return new Mailbox({ heartbeatMs: this.opts.heartbeatMs, onBacklog: () => this.checkBacklog() });
  }

  /** Feeds the `initialize` request and resolves with its answer (the body of the 200). */
  initialize(message: Json): Promise<Json> {
    const key = idKey(message.id)!;
    const answer = new Promise<Json>((resolve) => (this.initWaiter = { key, resolve }));
    this.reader.acceptFrame(JSON.stringify(message));
    return answer;
  }

  /**
   * A client message from a POST (request, notification, or the answer to a host request). The
   * `Acp-Session-Id` header must agree with `params.sessionId` when both are there.
   */
  deliver(message: Json, headerSession: string | undefined): { ok: true } | { ok: false; status: number; message: string } {
    this.lastActive = Date.now();
    const paramsSession = sessionIdIn(message);
    if (headerSession && paramsSession && headerSession !== paramsSession) {
      return { ok: false, status: 400, message: `Acp-Session-Id "${headerSession}" is not the params' sessionId "${paramsSession}"` };
    }
    const key = typeof message.method === 'string' ? idKey(message.id) : undefined;
    if (key) {
      // A session's requests are answered on its stream, session/load included (the SDK's own
      // server answers that one on the connection stream): ACP wants the whole replay before the
      // answer, and only one stream keeps that order.
      this.routes.set(key, headerSession ?? paramsSession);
    }
    this.reader.acceptFrame(JSON.stringify(message));
    return { ok: true };
  }

  /** Attaches a `GET /acp` as the receiver of the connection stream or a session's; false if it has one. */
  attach(res: ServerResponse, sessionId: string | undefined, headers: Record<string, string>): boolean | 'limit' {
    this.lastActive = Date.now();
    if (!sessionId) return this.connectionStream.attach(res, headers);
    const box = this.sessionStream(sessionId);
    return box ? box.attach(res, headers) : 'limit';
  }

  /** Whether any GET is attached (an idle connection without one is reaped). */
  get hasReceiver(): boolean {
    return this.connectionStream.hasReceiver || [...this.sessionStreams.values()].some((b) => b.hasReceiver);
  }

  get sessionCount(): number {
    return this.sessionStreams.size;
  }

  private sessionStream(sessionId: string): Mailbox | undefined {
    let box = this.sessionStreams.get(sessionId);
    if (!box) {
      if (this.sessionStreams.size >= this.opts.maxSessionStreams) return undefined;
      box = this.mailbox();
      this.sessionStreams.set(sessionId, box);
    }
    return box;
  }

  private route(m: Json): void {
    if (this.closed) return;
    const isAnswer = typeof m.method !== 'string';
    const key = idKey(m.id);
    if (isAnswer && this.initWaiter && key === this.initWaiter.key) {
      const waiter = this.initWaiter;
      this.initWaiter = undefined;
      waiter.resolve(m);
      return;
    }
    let sessionId: string | undefined;
    if (isAnswer) {
      sessionId = key ? this.routes.get(key) : undefined;
      if (key) this.routes.delete(key);
    } else sessionId = sessionIdIn(m);
    const box = (sessionId && this.sessionStream(sessionId)) || this.connectionStream;
    box.push(JSON.stringify(m));
  }

  private checkBacklog(): void {
    let total = this.connectionStream.queuedBytes + this.connectionStream.unreadBytes;
    for (const b of this.sessionStreams.values()) total += b.queuedBytes + b.unreadBytes;
    if (total <= this.opts.maxBufferedBytes) return;
    this.opts.logger.warn({ connection: this.id, buffered: total, limit: this.opts.maxBufferedBytes }, 'ACP HTTP client not reading its streams: connection closed');
    void this.close();
  }

  /** DELETE, the idle reaper, a client that stopped reading, or shutdown: everything goes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connectionStream.end();
    for (const b of this.sessionStreams.values()) b.end();
    this.sessionStreams.clear();
    this.routes.clear();
    this.reader.end();
    await this.served.dispose();
    this.opts.onClosed();
  }
}
