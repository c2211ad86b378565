import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { ErrorCodes } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { FrameMessageReader } from '../jsonrpc/frame-reader.js';
import { FrameMessageWriter } from '../jsonrpc/frame-writer.js';
import { frameErrorResponse, serveConnection, type ServedConnection } from '../jsonrpc/serve-connection.js';
import { writableFlow } from '../jsonrpc/writable-flow.js';
import type { UpgradeHandler } from '../upgrade.js';
import { WS_SUBPROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../ws-protocol.js';

/** Close codes the daemon uses on `/ws`; the reason text says what to do. */
export const WsCloseCodes = {
  /** The daemon is stopping. */
  GoingAway: 1001,
  /** A frame over the per-connection message size limit (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** The client stopped reading and its send queue went over the limit; reconnect and resume by seq. */
  SlowConsumer: 4008,
} as const;

export interface WsAdapterOptions {
  host: Host;
  logger: Logger;
  /** Largest frame accepted from a client. */
  maxMessageBytes: number;
  /** Most bytes queued to one client before it is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /**
   * Extra headers for the `101 Switching Protocols` answer, per connection (ACP's `/acp` names
   * the connection in `Acp-Connection-Id`).
   */
  upgradeHeaders?: () => Record<string, string>;
  /** Where it is served (default `/ws`) and its key in `host/status` (default `ws`). */
  path?: string;
  name?: string;
}

/**
 * JSON-RPC over WebSocket: one message per text frame, served by the same `serveConnection` as
 * stdio, so every host method, `session/update` notification and `session/request_permission`
 * request works as on stdio. Authentication happened in the upgrade (the HTTP adapter).
 */
export class WsAdapter implements UpgradeHandler {
  readonly path: string;
  readonly name: string;
  private readonly wss: WebSocketServer;
  private readonly served = new Set<ServedConnection>();
  private readonly sockets = new Set<WebSocket>();
  /** For `host/status`: clients now and ever, slow clients dropped, the largest send queue seen. */
  readonly counters = { connected: 0, total: 0, droppedSlow: 0, peakQueuedBytes: 0 };

  constructor(private readonly opts: WsAdapterOptions) {
    this.path = opts.path ?? '/ws';
    this.name = opts.name ?? 'ws';
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
      // Browsers require the server to pick one of the protocols they offered, if it picks any;
      // the token entry is never picked: the 101 answer would echo the token.
      handleProtocols: (offered) => {
        if (offered.has(WS_SUBPROTOCOL)) return WS_SUBPROTOCOL;
        return [...offered].find((p) => !p.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) ?? false;
      },
    });
  }

  stats(): Record<string, unknown> {
    return { ...this.counters };
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const extra = this.opts.upgradeHeaders?.();
    if (extra) {
      // `ws` emits 'headers' synchronously while it writes this upgrade's 101.
      const onHeaders = (headers: string[], r: IncomingMessage) => {
        if (r !== req) return;
        this.wss.off('headers', onHeaders);
        for (const [k, v] of Object.entries(extra)) headers.push(`${k}: ${v}`);
      };
      this.wss.on('headers', onHeaders);
      socket.once('close', () => this.wss.off('headers', onHeaders));
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const log = this.opts.logger;
    const max = this.opts.maxBufferedBytes;
    let dropped = false;
    let corked = false;
    // ws has no public cork: batching frames per tick needs its underlying socket.
    const socket = (ws as unknown as { _socket?: import('node:net').Socket })._socket;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      this.counters.droppedSlow++;
      log.warn({ buffered: ws.bufferedAmount, limit: max }, 'websocket client not reading: dropped');
      ws.close(WsCloseCodes.SlowConsumer, 'send queue full: the client is not reading; reconnect and resume by seq');
      // The close frame waits behind what the client has not read; give it a while, then cut.
      setTimeout(() => ws.terminate(), 10_000).unref();
    };
    const send = (message: object) => {
      if (dropped || ws.readyState !== WebSocket.OPEN) return;
      const text = JSON.stringify(message);
      const backlog = ws.bufferedAmount;
      const queued = backlog + text.length;
      // What the client has not read yet, this message not counted: large answers to a client
      // that keeps up are fine, however big; a backlog that stays over the limit is not.
      if (backlog > max) return drop();
      if (queued > this.counters.peakQueuedBytes) this.counters.peakQueuedBytes = queued;
      // Frames sent before the next check phase leave in one write (a burst of updates or of
      // answers costs one syscall). Measured: higher throughput than flushing on nextTick.
      if (socket && !corked) {
        corked = true;
        socket.cork();
        setImmediate(() => {
          corked = false;
          socket.uncork();
        });
      }
      ws.send(text);
    };
    const reader = new FrameMessageReader({
      onFrameError: (err) => send(frameErrorResponse(err)),
      onDropped: (reason) => log.warn({ reason }, 'message dropped'),
      // A defect met while handling this client's message closes this client, never the daemon.
      onHandlerError: (err) => {
        log.error({ err }, 'handling a message threw; closing that connection');
        ws.close(1011, 'internal error while handling a message; reconnect');
      },
    });
    const writer = new FrameMessageWriter((m) => send(m));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        reader.rejectFrame({ id: null, code: ErrorCodes.InvalidRequest, message: 'binary frames are not supported: send each JSON-RPC message as one text frame' });
        return;
      }
      reader.acceptFrame(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8'));
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'websocket error'));
    // bufferedAmount is the socket's queue plus frames ws holds before it.
    const flow = writableFlow(() => socket, () => ws.bufferedAmount - (socket?.writableLength ?? 0));
    const served = serveConnection(this.opts.host, reader, writer, { transport: 'ws', logger: log, flow });
    this.served.add(served);
    this.sockets.add(ws);
    this.counters.connected++;
    this.counters.total++;
    ws.once('close', (code) => {
      log.debug({ code }, 'websocket closed');
      this.counters.connected--;
      this.sockets.delete(ws);
      this.served.delete(served);
      reader.end();
    });
  }

  /** Closes every client with 1001 and releases its connection. */
  async close(): Promise<void> {
    for (const ws of this.sockets) {
      ws.close(WsCloseCodes.GoingAway, 'the daemon is shutting down');
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    await Promise.all([...this.served].map((s) => s.dispose()));
    this.wss.close();
  }
}
