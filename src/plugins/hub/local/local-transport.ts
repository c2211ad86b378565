import { watch, type FSWatcher } from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import { agentGone, unknownAgent, type Dispatch } from '../calls.js';
import type { HubMember } from '../member.js';
import type { HubSink, HubTransport } from '../view.js';
import { HubFiles, pidAlive, type RecordFile } from './files.js';
import { PeerClient } from './peer-client.js';
import { PeerServer } from './peer-server.js';

export interface LocalTransportOptions {
  home: string;
  member: HubMember;
  sink: HubSink;
  dispatch: Dispatch;
  container: DependencyContainer;
  logger: Logger;
  /** Messages queued to a peer that does not read before it is cut off. */
  maxQueue: number;
  /** How often the agents folder is rescanned besides watching it (ms). */
  rescanMs: number;
  /** Whether to ask every agent for its session events from the start (serve: its clients follow). */
  wantSessions: boolean;
}

/**
 * The hub on one machine, with no server to run: this agent's record and socket under
 * `$SWITCHBOARD_HOME/hub/`, and a connection to every other agent's socket. An agent whose
 * socket closes without saying goodbye is reported as crashed at once, and its files removed
 * once its pid is gone.
 */
export class LocalTransport implements HubTransport {
  readonly mode = 'local' as const;
  private readonly files: HubFiles;
  private readonly server: PeerServer;
  private readonly clients = new Map<string, PeerClient>();
  private readonly connecting = new Set<string>();
  private watcher?: FSWatcher;
  private rescan?: NodeJS.Timeout;
  private recordTimer?: NodeJS.Timeout;
  private scanQueued = false;
  private readonly subs: { dispose(): void }[] = [];
  private closed = false;
  private joined = false;
  private readonly selfId: string;
  private wantSessions: boolean;
  private readonly onExit = () => this.files.remove(this.selfId, this.server.socketPath);

  constructor(private readonly opts: LocalTransportOptions) {
    this.files = new HubFiles(opts.home);
    this.selfId = opts.member.id.agentId;
    this.wantSessions = opts.wantSessions;
    this.server = new PeerServer({
      files: this.files,
      member: opts.member,
      dispatch: opts.dispatch,
      container: opts.container,
      logger: opts.logger,
      maxQueue: opts.maxQueue,
    });
  }

  async start(): Promise<void> {
    const { member, logger } = this.opts;
    this.files.token();
    await this.server.listen();
    if (this.closed) {
      // Disposed while the socket was opening: close what we just opened.
      await this.server.close().catch(() => undefined);
      return;
    }
    // The socket is up before the record exists, so a record always points at a live socket.
    this.writeRecord();
    this.joined = true;
    process.once('exit', this.onExit);
    this.subs.push(
      member.onEvent(() => this.scheduleRecord()),
      member.onChange(() => this.scheduleRecord()),
    );
    try {
      this.watcher = watch(this.files.agentsDir, () => this.queueScan());
      this.watcher.on('error', () => undefined);
    } catch (err) {
      logger.warn({ err }, 'cannot watch the hub folder; rescanning it instead');
    }
    this.rescan = setInterval(() => this.queueScan(), this.opts.rescanMs);
    this.rescan.unref();
    await this.scan();
    logger.debug({ agentId: this.selfId, socket: this.server.socketPath, peers: this.clients.size }, 'joined the local hub');
  }

  private writeRecord(): void {
    const record: RecordFile = { ...this.opts.member.record(), socket: this.server.socketPath };
    try {
      this.files.writeRecord(record);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not write the hub record');
    }
  }

  /** The record on disk is for discovery; peers get live state over the socket, so writes are coalesced. */
  private scheduleRecord(): void {
    if (this.recordTimer || this.closed) return;
    this.recordTimer = setTimeout(() => {
      this.recordTimer = undefined;
      if (!this.closed) this.writeRecord();
    }, 100);
    this.recordTimer.unref();
  }

  private queueScan(): void {
    if (this.scanQueued || this.closed) return;
    this.scanQueued = true;
    setTimeout(() => {
      this.scanQueued = false;
      void this.scan();
    }, 10).unref();
  }

  private async scan(): Promise<void> {
    if (this.closed) return;
    const here = os.hostname();
    await Promise.all(
      this.files.readRecords().map(async (rec) => {
        if (rec.agentId === this.selfId || this.clients.has(rec.agentId) || this.connecting.has(rec.agentId)) return;
        if (rec.host === here && !pidAlive(rec.pid)) {
          this.opts.logger.debug({ agentId: rec.agentId, pid: rec.pid }, 'removing the record of an agent that is gone');
          this.files.remove(rec.agentId, rec.socket);
          return;
        }
        await this.connect(rec);
      }),
    );
  }

  /** Connects to one agent; false when it is not there (its leftovers are removed once it is surely gone). */
  private async connect(rec: RecordFile): Promise<boolean> {
    this.connecting.add(rec.agentId);
    const client = new PeerClient(rec.agentId, rec.socket, this.opts.sink);
    try {
      const record = await client.connect(this.selfId, this.files.token(), this.wantSessions);
      if (this.closed) {
        client.close();
        return false;
      }
      this.clients.set(rec.agentId, client);
      this.opts.sink.joined(record);
      void client.ended.then((end) => this.onEnded(client, rec, end.leaving));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Refused or missing: nobody serves that socket any more (a record is written only once its socket listens).
      if (code === 'ECONNREFUSED' || code === 'ENOENT' || !pidAlive(rec.pid)) this.files.remove(rec.agentId, rec.socket);
      else this.opts.logger.debug({ agentId: rec.agentId, err: (err as Error).message }, 'hub agent not reachable yet');
      return false;
    } finally {
      this.connecting.delete(rec.agentId);
    }
  }

  private onEnded(client: PeerClient, rec: RecordFile, leaving: boolean): void {
    if (this.clients.get(rec.agentId) !== client) return;
    this.clients.delete(rec.agentId);
    if (this.closed) return;
    if (leaving) {
      this.opts.sink.left(rec.agentId, 'exit');
      return;
    }
    // Gone without a goodbye. One reconnect tells a crash (refused: nobody listens) from a
    // dropped connection (we fell too far behind), which is no leave at all.
    void this.connect(rec).then((ok) => {
      if (ok || this.closed) return;
      this.opts.sink.left(rec.agentId, 'crashed');
      this.files.remove(rec.agentId, rec.socket);
    });
  }

  wantSessionEvents(): void {
    if (this.wantSessions) return;
    this.wantSessions = true;
    for (const c of this.clients.values()) c.wantSessions();
  }

  call(agentId: string, method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    const client = this.clients.get(agentId);
    if (!client) return Promise.reject(this.connecting.has(agentId) ? agentGone(agentId) : unknownAgent(agentId));
    return client.call(method, params, signal);
  }

  status(): Record<string, unknown> {
    return {
      socket: this.server.socketPath,
      joined: this.joined,
      peersConnected: this.clients.size,
      observers: this.server.peers,
      observersDropped: this.server.dropped,
    };
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.subs.splice(0)) s.dispose();
    this.watcher?.close();
    if (this.rescan) clearInterval(this.rescan);
    if (this.recordTimer) clearTimeout(this.recordTimer);
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    // The record goes first: nobody should try to connect to a socket that is closing.
    this.files.remove(this.selfId, this.server.socketPath);
    await this.server.close().catch(() => undefined);
    process.off('exit', this.onExit);
  }
}
