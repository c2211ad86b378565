import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ErrorCodes, toRpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { readJsonBody, sendError, sendJson } from '../http/respond.js';
import { AcpHttpConnection } from './connection.js';

/** The RFD's headers (the SDK's `HEADER_CONNECTION_ID` / `HEADER_SESSION_ID`). */
export const ACP_CONNECTION_HEADER = 'Acp-Connection-Id';
export const ACP_SESSION_HEADER = 'Acp-Session-Id';

export interface AcpHttpOptions {
  host: Host;
  logger: Logger;
  /** Largest POST body. */
  maxBodyBytes: number;
  /** Unread output per connection before it is closed (default 8 MiB). */
  maxBufferedBytes?: number;
  /** A connection with no GET attached and no request for this long is closed (default 5 min). */
  idleMs?: number;
  /** Most open connections (default 256); more get 503. */
  maxConnections?: number;
  heartbeatMs?: number;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' && v ? v : undefined;
};

/**
 * ACP over Streamable HTTP at `/acp` (the "Streamable HTTP & WebSocket" RFD, as the official
 * TypeScript SDK's `createHttpStream` speaks it): `POST` carries client messages (`initialize`
 * answers 200 with `Acp-Connection-Id`; the rest 202, answered on the streams), `GET` with
 * `Accept: text/event-stream` opens the connection stream or, with `Acp-Session-Id`, a session's
 * stream, and `DELETE` ends the connection. The HTTP adapter has checked Host, Origin and the token.
 * (The WebSocket profile of `/acp` is the WebSocket adapter, mounted at `/acp` too.)
 */
export class AcpHttpAdapter {
  private readonly connections = new Map<string, AcpHttpConnection>();
  private readonly reaper: NodeJS.Timeout;
  readonly counters = { total: 0, reaped: 0 };

  constructor(private readonly opts: AcpHttpOptions) {
    const idle = opts.idleMs ?? 5 * 60_000;
    this.reaper = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections.values()) {
        if (!c.hasReceiver && now - c.lastActive > idle) {
          this.counters.reaped++;
          void c.close();
        }
      }
    }, Math.min(idle, 30_000));
    this.reaper.unref();
  }

  stats(): Record<string, unknown> {
    return { ...this.counters, connections: this.connections.size };
  }

  async handle(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
    const fail = (status: number, message: string, code: number = ErrorCodes.InvalidRequest) =>
      sendJson(res, status, { error: { code, message } }, cors);
    try {
      if (req.method === 'POST') return await this.post(req, res, cors, fail);
      if (req.method === 'GET') return this.get(req, res, cors, fail);
      if (req.method === 'DELETE') {
        const c = this.connectionOf(req, fail);
        if (!c) return;
        await c.close();
        res.writeHead(202, cors).end();
        return;
      }
      fail(405, `${req.method} is not a method of /acp; it answers POST, GET and DELETE`, ErrorCodes.MethodNotFound);
    } catch (err) {
      sendError(res, toRpcError(err), cors);
    }
  }

  private connectionOf(req: IncomingMessage, fail: (status: number, message: string, code?: number) => void): AcpHttpConnection | undefined {
    const id = header(req, ACP_CONNECTION_HEADER);
    if (!id) return void fail(400, `missing ${ACP_CONNECTION_HEADER}: POST initialize first; its answer carries the header`);
    const c = this.connections.get(id);
    // 404 tells the SDK client the connection is gone: it reconnects (initialize + session/load).
    if (!c) return void fail(404, `unknown ${ACP_CONNECTION_HEADER} "${id.slice(0, 64)}": the connection ended; initialize again`, ErrorCodes.NotFound);
    return c;
  }

  private async post(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>, fail: (status: number, message: string, code?: number) => void): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return fail(415, 'POST /acp takes one JSON-RPC message with Content-Type: application/json');
    const body = await readJsonBody(req, this.opts.maxBodyBytes);
    if (Array.isArray(body)) return fail(400, 'batch requests are not supported: POST one JSON-RPC message at a time');
    if (typeof body !== 'object' || body === null) return fail(400, 'the body must be one JSON-RPC message (an object)');
    const message = body as Record<string, unknown>;
    const connectionId = header(req, ACP_CONNECTION_HEADER);
    if (message.method === 'initialize') {
      if (connectionId) return fail(400, `initialize opens a connection: send it without ${ACP_CONNECTION_HEADER}`);
      if (typeof message.id !== 'string' && typeof message.id !== 'number') return fail(400, 'initialize must be a request (with an id)');
      if (this.connections.size >= (this.opts.maxConnections ?? 256)) {
        return fail(503, 'too many open ACP connections; DELETE unused ones or try again later', ErrorCodes.Unavailable);
      }
      const c = this.open();
      const answer = await c.initialize(message);
      if (answer.error) {
        // A refused initialize opens nothing: no connection, the JSON-RPC error as the body.
        await c.close();
        sendJson(res, 400, answer, cors);
        return;
      }
      sendJson(res, 200, answer, { ...cors, [ACP_CONNECTION_HEADER]: c.id });
      return;
    }
    const c = this.connectionOf(req, fail);
    if (!c) return;
    const delivered = c.deliver(message, header(req, ACP_SESSION_HEADER));
    if (!delivered.ok) return fail(delivered.status, delivered.message);
    res.writeHead(202, cors).end();
  }

  private get(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>, fail: (status: number, message: string, code?: number) => void): void {
    const c = this.connectionOf(req, fail);
    if (!c) return;
    if (!(req.headers.accept ?? '').toLowerCase().includes('text/event-stream')) {
      return fail(406, 'GET /acp opens an event stream: send Accept: text/event-stream (or upgrade to a WebSocket)');
    }
    const sessionId = header(req, ACP_SESSION_HEADER);
    if (sessionId && sessionId.length > 200) return fail(400, `${ACP_SESSION_HEADER} is too long`);
    const attached = c.attach(res, sessionId, cors);
    if (attached === 'limit') return fail(429, 'too many session streams on this connection', ErrorCodes.RateLimited);
    if (!attached) return fail(409, `this ${sessionId ? 'session' : 'connection'} stream already has a reader`, ErrorCodes.Conflict);
  }

  private open(): AcpHttpConnection {
    const c: AcpHttpConnection = new AcpHttpConnection({
      host: this.opts.host,
      logger: this.opts.logger,
      maxBufferedBytes: this.opts.maxBufferedBytes ?? 8 * 1024 * 1024,
      maxSessionStreams: 256,
      heartbeatMs: this.opts.heartbeatMs ?? 15_000,
      onClosed: () => {
        this.connections.delete(c.id);
        this.opts.logger.debug({ connection: c.id }, 'ACP HTTP connection closed');
      },
    });
    this.connections.set(c.id, c);
    this.counters.total++;
    return c;
  }

  /** Ends every connection and its streams (the daemon is stopping). */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}


