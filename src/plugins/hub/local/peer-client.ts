import net from 'node:net';
import { CancellationTokenSource, ResponseError, SocketMessageReader, SocketMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { RpcError } from '../../../host/errors.js';
import { agentGone } from '../calls.js';
import type { AgentRecord } from '../member.js';
import { PeerCall, PeerEvent, PeerHello, PeerHelloResult, PeerLeaving, PeerRecord, PeerSession, PeerWant } from '../peer-protocol.js';
import type { HubSink } from '../view.js';

/** How a connection to another agent ended: it said it was leaving, or it just went away. */
export type PeerEnd = { leaving: boolean };

/**
 * This process's connection to one other agent's socket: says hello with the owner token, then
 * feeds that agent's events into the view, and carries hub calls to it. Calls in flight when the
 * agent goes away fail at once with -32005.
 */
export class PeerClient {
  private conn?: MessageConnection;
  private socket?: net.Socket;
  private leaving = false;
  private readonly pending = new Set<(err: Error) => void>();
  readonly ended: Promise<PeerEnd>;
  private endIt!: (end: PeerEnd) => void;
  record?: AgentRecord;

  constructor(
    readonly agentId: string,
    private readonly socketPath: string,
    private readonly sink: HubSink,
  ) {
    this.ended = new Promise((r) => (this.endIt = r));
  }

  /** Connects and says hello; rejects (and ends) if the agent is not there or refuses. */
  async connect(selfId: string, token: string, sessions: boolean, timeoutMs = 2000): Promise<AgentRecord> {
    const socket = net.createConnection(this.socketPath);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connect timed out')), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    }).catch((err) => {
      socket.destroy();
      this.endIt({ leaving: false });
      throw err;
    });
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    this.conn = conn;
    socket.on('error', () => undefined);
    socket.once('close', () => {
      for (const fail of this.pending) fail(agentGone(this.agentId));
      this.pending.clear();
      conn.dispose();
      this.endIt({ leaving: this.leaving });
    });
    conn.onNotification(PeerEvent.name, (raw: unknown) => {
      const p = PeerEvent.params.safeParse(raw);
      if (p.success && p.data.record.agentId === this.agentId) {
        this.record = p.data.record;
        this.sink.event(p.data.event, p.data.record);
      }
    });
    conn.onNotification(PeerRecord.name, (raw: unknown) => {
      const p = PeerRecord.params.safeParse(raw);
      if (p.success && p.data.record.agentId === this.agentId) this.sink.record((this.record = p.data.record));
    });
    conn.onNotification(PeerSession.name, (raw: unknown) => {
      // Session events are the hot path (one per token): validated by the member that made them.
      const event = (raw as { event?: unknown })?.event;
      if (event && typeof event === 'object') this.sink.session(this.agentId, event as never);
    });
    conn.onNotification(PeerLeaving.name, () => void (this.leaving = true));
    conn.onError(() => undefined);
    conn.listen();
    try {
      const res = PeerHelloResult.parse(await this.withTimeout(conn.sendRequest(PeerHello.name, { token, agentId: selfId, sessions }), timeoutMs));
      if (res.record.agentId !== this.agentId) throw new Error(`the socket answered as ${res.record.agentId}`);
      this.record = res.record;
      return res.record;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('hello timed out')), ms);
      p.then(
        (v) => (clearTimeout(timer), resolve(v)),
        (e) => (clearTimeout(timer), reject(e)),
      );
    });
  }

  /** One call on the other agent; its errors come back as they were raised there. */
  call(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    const conn = this.conn;
    if (!conn || !this.socket || this.socket.destroyed) return Promise.reject(agentGone(this.agentId));
    const cts = new CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    let fail!: (err: Error) => void;
    return new Promise<unknown>((resolve, reject) => {
      fail = reject;
      this.pending.add(fail);
      conn.sendRequest(PeerCall.name, { method, params }, cts.token).then(resolve, (err: unknown) => {
        if (err instanceof ResponseError) reject(new RpcError(err.code, err.message, err.data));
        else if (signal.aborted) reject(RpcError.cancelled());
        else reject(agentGone(this.agentId));
      });
    }).finally(() => {
      this.pending.delete(fail);
      signal.removeEventListener('abort', onAbort);
      cts.dispose();
    });
  }

  /** Asks the agent for its session events from now on. */
  wantSessions(): void {
    void this.conn?.sendNotification(PeerWant.name, { sessions: true }).catch(() => undefined);
  }

  close(): void {
    this.socket?.destroy();
  }
}

