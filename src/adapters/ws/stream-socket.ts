import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { toRpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { restRoutesOf, type MethodDecl, type RouteStream } from '../../host/method.js';
import { restPeer } from '../call-peer.js';
import { runTail } from '../stream-tail.js';
import type { UpgradeHandler } from '../upgrade.js';
import { WsCloseCodes } from './index.js';

export interface WsStreamOptions {
  host: Host;
  logger: Logger;
  /** The method whose GET stream route declares `ws`. */
  decl: MethodDecl;
  stream: RouteStream<any>;
  /** Bytes queued to one client before it is dropped as too slow. */
  maxBufferedBytes: number;
}

/**
 * A declared GET stream served over WebSocket (`stream.ws`, e.g. `/ws/hub/feed`, for web UIs
 * that want frames rather than SSE): one JSON object per text frame, the payload itself; the
 * query string gives the params and `?after=` the resume point. An evicted resume point is a
 * frame `{"error": {…}}` before going live; a client that stops reading is closed with 4008
 * rather than buffered without bound. Nothing is read from the client.
 */
export class WsStreamSocket implements UpgradeHandler {
  readonly path: string;
  readonly name: string;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  private readonly sockets = new Set<WebSocket>();
  private readonly counts = { connected: 0, total: 0, droppedSlow: 0 };

  constructor(private readonly opts: WsStreamOptions) {
    this.path = opts.stream.ws!;
    this.name = `ws:${this.path}`;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, new URL(req.url ?? '/', 'http://localhost').searchParams));
  }

  private async accept(ws: WebSocket, query: URLSearchParams): Promise<void> {
    const { host, decl, stream, logger, maxBufferedBytes } = this.opts;
    this.sockets.add(ws);
    this.counts.connected++;
    this.counts.total++;
    const gone = new AbortController();
    ws.once('close', () => {
      this.sockets.delete(ws);
      this.counts.connected--;
      gone.abort();
    });
    ws.on('error', () => undefined);
    ws.on('message', () => undefined);
    const send = (frame: unknown) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > maxBufferedBytes) {
        this.counts.droppedSlow++;
        logger.warn({ path: this.path, buffered: ws.bufferedAmount }, 'stream websocket client not reading: dropped');
        ws.close(WsCloseCodes.SlowConsumer, 'too far behind: reconnect with ?after=<last seq>');
        setTimeout(() => ws.terminate(), 5000).unref();
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const params: Record<string, unknown> = Object.fromEntries(query);
    const after = /^\d+$/.test(query.get('after') ?? '') ? Number(query.get('after')) : undefined;
    if (after !== undefined) params.after = after;
    const over = new AbortController();
    const peer = restPeer(host, over.signal, 'ws');
    try {
      await runTail({ host, decl, stream, label: `WS ${this.path}`, params, after, gone: gone.signal, peer }, () => ({
        get closed() {
          return ws.readyState !== WebSocket.OPEN;
        },
        send: (_name, payload) => send(payload),
        gone: (err) => send({ error: err.toJSON() }),
        live: () => undefined,
      }));
    } catch (err) {
      send({ error: toRpcError(err).toJSON() });
      ws.close(1008, 'the stream could not start; see the error frame');
    } finally {
      over.abort();
      await peer.dispose();
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) {
      ws.close(WsCloseCodes.GoingAway, 'the daemon is shutting down');
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.wss.close();
  }

  stats(): Record<string, unknown> {
    return { ...this.counts };
  }
}

/** One WebSocket handler per GET stream route that declares a `ws` path. */
export function streamSockets(host: Host, logger: Logger, maxBufferedBytes: number): WsStreamSocket[] {
  const out: WsStreamSocket[] = [];
  for (const decl of host.methods()) {
    for (const r of restRoutesOf(decl)) {
      if (r.verb === 'GET' && r.stream?.ws) out.push(new WsStreamSocket({ host, logger, decl, stream: r.stream, maxBufferedBytes }));
    }
  }
  return out;
}
