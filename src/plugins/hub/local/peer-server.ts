import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { CancellationToken, ResponseError, SocketMessageReader, SocketMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { ErrorCodes, toRpcError } from '../../../host/errors.js';
import { hubPeer, serveRemoteCall, type Dispatch } from '../calls.js';
import type { HubMember } from '../member.js';
import { PeerCall, PeerEvent, PeerHello, PeerLeaving, PeerRecord, PeerSession, PeerWant } from '../peer-protocol.js';
import type { HubFiles } from './files.js';

export interface PeerServerOptions {
  files: HubFiles;
  member: HubMember;
  dispatch: Dispatch;
  container: DependencyContainer;
  logger: Logger;
  /** Messages queued to one peer that does not read before it is cut off (it reconnects and resyncs). */
  maxQueue: number;
}

/** An AbortSignal that follows a vscode-jsonrpc cancellation token. */
function signalOf(token: CancellationToken): AbortSignal {
  const ctl = new AbortController();
  if (token.isCancellationRequested) ctl.abort();
  else token.onCancellationRequested(() => ctl.abort());
  return ctl.signal;
}

function toResponseError(err: unknown): ResponseError<unknown> {
  const rpc = toRpcError(err);
  return new ResponseError(rpc.code, rpc.message, rpc.data);
}

/**
 * This agent's Unix socket: JSON-RPC for hub peers on this machine. A peer must first present
 * the owner's token (`hub.hello`); then it gets this agent's hub events and session events as
 * notifications, and may make allowlisted calls. A peer that stops reading is cut off once its
 * queue passes `maxQueue` messages, never buffered without bound.
 */
export class PeerServer {
  private readonly server: net.Server;
  private readonly conns = new Set<{ conn: MessageConnection; socket: net.Socket }>();
  readonly socketPath: string;
  dropped = 0;

  constructor(private readonly opts: PeerServerOptions) {
    this.socketPath = opts.files.socketOf(opts.member.id.agentId);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        chmodSync(this.socketPath, 0o600);
        resolve();
      });
    });
  }

  get peers(): number {
    return this.conns.size;
  }

  private accept(socket: net.Socket): void {
    const { member, logger, maxQueue } = this.opts;
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const entry = { conn, socket };
    const closed = new AbortController();
    const peer = hubPeer(this.opts.container, closed.signal, 'local');
    const subs: { dispose(): void }[] = [];
    let authed = false;
    let wantSessions = false;
    // vscode-jsonrpc writes the error answer a few ticks later: end after it, then cut if the
    // peer does not close its side.
    const refuse = () =>
      setTimeout(() => {
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      }, 100).unref();
    // vscode-jsonrpc queues what the socket has not taken yet; count it, so a peer that stops
    // reading is cut off at `maxQueue` messages instead of growing our memory without bound.
    let queued = 0;
    const send = (method: string, params: unknown) => {
      if (socket.destroyed) return;
      if (queued >= maxQueue) {
        this.dropped++;
        logger.warn({ queued, limit: maxQueue }, 'hub peer too far behind (not reading): disconnected; it resyncs when it reconnects');
        socket.destroy();
        return;
      }
      queued++;
      void conn.sendNotification(method, params).then(
        () => void queued--,
        () => void queued--,
      );
    };
    conn.onRequest(PeerHello.name, (raw: unknown) => {
      const p = PeerHello.params.safeParse(raw);
      if (!p.success || !this.opts.files.tokenMatches(p.data.token)) {
        refuse();
        throw new ResponseError(ErrorCodes.Unauthorized, 'hub peers must present the owner token (from $SWITCHBOARD_HOME/token)');
      }
      if (!authed) {
        authed = true;
        wantSessions = p.data.sessions === true;
        subs.push(
          member.onEvent((event) => send(PeerEvent.name, { event, record: member.record() })),
          member.onChange(() => send(PeerRecord.name, { record: member.record() })),
          // Token-level traffic only to peers that follow sessions (a serve daemon, or after hub/follow).
          member.onSessionEvent((event) => wantSessions && send(PeerSession.name, { event })),
        );
      }
      return { record: member.record() };
    });
    conn.onRequest(PeerCall.name, async (raw: unknown, token: CancellationToken) => {
      if (!authed) {
        refuse();
        throw new ResponseError(ErrorCodes.Unauthorized, 'say hub.hello with the owner token first');
      }
      const p = PeerCall.params.safeParse(raw);
      if (!p.success) throw new ResponseError(ErrorCodes.InvalidParams, 'hub.call needs {method, params}');
      try {
        return await serveRemoteCall(this.opts.dispatch, peer, p.data.method, p.data.params, signalOf(token));
      } catch (err) {
        throw toResponseError(err);
      }
    });
    conn.onNotification(PeerWant.name, (raw: unknown) => {
      const p = PeerWant.params.safeParse(raw);
      if (authed && p.success) wantSessions = p.data.sessions;
    });
    conn.onRequest((method: string) => {
      if (!authed) refuse();
      throw new ResponseError(ErrorCodes.MethodNotFound, `hub peers speak hub.hello and hub.call; not "${method}"`);
    });
    conn.onError(() => undefined);
    socket.on('error', (err) => logger.debug({ err: err.message }, 'hub peer socket error'));
    socket.once('close', () => {
      this.conns.delete(entry);
      for (const s of subs.splice(0)) s.dispose();
      closed.abort();
      conn.dispose();
      void peer.dispose();
    });
    this.conns.add(entry);
    conn.listen();
  }

  /** Tells every peer a clean exit is coming, then closes the socket and every connection. */
  async close(): Promise<void> {
    const agentId = this.opts.member.id.agentId;
    await Promise.all(
      [...this.conns].map(async ({ conn, socket }) => {
        await conn.sendNotification(PeerLeaving.name, { agentId }).catch(() => undefined);
        await new Promise<void>((r) => {
          if (socket.writableLength === 0 || socket.destroyed) return r();
          socket.once('drain', () => r());
          socket.once('close', () => r());
          setTimeout(r, 200).unref();
        });
        socket.end();
        setTimeout(() => socket.destroy(), 200).unref();
      }),
    );
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.socketPath, { force: true });
  }
}

