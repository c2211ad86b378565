import { randomUUID } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { notifyClient } from '../../host/client-calls.js';
import type { EventBus } from '../../host/events.js';
import type { ChatMessage } from '../providers/contract.js';
import {
  SessionEventBus,
  type SessionEvent,
  type SessionInfo,
  type SessionService,
  type UnsequencedSessionEvent,
} from './contract.js';
import { SessionDir, SessionLog, type SessionMeta } from './log.js';
import { loadWhole, refreshSummary, restoreFromHead, UnusableLog } from './log-restore.js';
import type { LogScan } from './log-summary.js';
import { removeStaleTemps, type LogCompactions } from './log-compaction.js';
import { SessionUpdate } from './schemas.js';
import { ReplayBuffer, Session } from './session.js';

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

type Listener<T> = (v: T) => void;

class Emitter<T> {
  private readonly ls = new Set<Listener<T>>();
  constructor(private readonly logger: Logger) {}
  on(l: Listener<T>): Disposable {
    this.ls.add(l);
    return { dispose: () => void this.ls.delete(l) };
  }
  fire(v: T): void {
    for (const l of this.ls) {
      try {
        l(v);
      } catch (err) {
        this.logger.error({ err }, 'session listener threw');
      }
    }
  }
}

export interface NewSessionInput {
  workspace?: string;
  additionalDirectories?: string[];
  profile: string;
  mode: string;
  systemPrompt?: string | null;
  title?: string | null;
  mcpServers: unknown[];
  forkedFrom?: string;
  messages?: ChatMessage[];
}

/**
 * All sessions: created, forked, restored from their logs on start, deleted. Implements the
 * SessionService other plugins use, and gives every event its seq.
 */
export class SessionManager implements SessionService {
  private readonly sessions = new Map<string, Session>();
  /**
   * Sessions in use in this daemon: created here, or restored from disk and since loaded or
   * prompted. A restored session stays dormant until then, so a restart with many old sessions
   * starts no MCP servers for them.
   */
  private readonly active = new Set<string>();
  /** The logs found at start whose meta has not been read yet. */
  private readonly unread = new Set<string>();
  /** How far the list has read the log of each session restored from disk and not yet used. */
  private readonly scans = new Map<string, LogScan>();
  private readonly byClient = new Map<string, { sessions: Set<string>; off: () => void }>();
  private readonly opened: Emitter<SessionInfo>;
  private readonly deleted: Emitter<string>;
  private readonly closed: Emitter<string>;
  private readonly modeChanged: Emitter<SessionInfo>;

  constructor(
    private readonly dir: SessionDir,
    private readonly workspacesDir: string,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly replayCapacity: number,
    /** Compacts a log after each turn; absent, logs keep every streamed event. */
    private readonly compactions?: LogCompactions,
  ) {
    this.opened = new Emitter(logger);
    this.deleted = new Emitter(logger);
    this.closed = new Emitter(logger);
    this.modeChanged = new Emitter(logger);
  }

  /**
   * Lists the sessions folder, and no more: a start reads no log, so it costs the same however
   * many sessions are stored and however long their logs are. A log is first read when it is
   * needed (the session list, or that session asked for): its first line, the meta, checked
   * (`readHead`); the list then reads on cheaply (log-summary), and a session's first use reads
   * its log whole (log-restore).
   */
  loadAll(): void {
    removeStaleTemps(this.dir.dir, this.logger);
    for (const id of this.dir.ids()) this.unread.add(id);
  }

  /**
   * The session of a log not looked at yet, from its meta. A log whose meta is missing, wrong, or
   * names another session id than its file is not loaded (one id, one file, one session), nor is
   * a `<id>.jsonl` that is not a regular file; each with a warning naming the file and why.
   */
  private readHead(id: string): void {
    if (!this.unread.delete(id)) return;
    const file = this.dir.fileOf(id);
    try {
      const restored = restoreFromHead(file, id, this.replayCapacity, this.logger);
      if (!restored) return;
      this.sessions.set(id, restored.session);
      this.scans.set(id, restored.scan);
    } catch (err) {
      this.logger.error({ err, file }, 'could not load session');
    }
  }

  /** A session by id, its log's meta read first if it was not yet. */
  private lookup(sessionId: string): Session | undefined {
    if (this.unread.size) this.readHead(sessionId);
    return this.sessions.get(sessionId);
  }

  /**
   * An unloaded session's list fields brought up to date with its log (another process may have
   * written to it); false, with a warning, when the log is no longer one (the session is dropped).
   */
  private summarized(s: Session): boolean {
    const scan = this.scans.get(s.id);
    if (!scan) return true;
    try {
      this.scans.set(s.id, refreshSummary(s, scan));
      return true;
    } catch (err) {
      if (err instanceof UnusableLog) {
        this.logger.warn({ file: err.file, sessionId: s.id, reason: err.reason }, 'session log no longer readable; the session is dropped from the list');
        this.forget(s);
      } else {
        // A read error (EIO…): left out of this answer only; the next one tries again.
        this.logger.error({ err, file: s.log.file, sessionId: s.id }, 'could not read session log');
      }
      return false;
    }
  }

  /** Drops a session not in memory whose log went away or went bad (its owners release what was its). */
  private forget(s: Session): void {
    this.sessions.delete(s.id);
    this.scans.delete(s.id);
    this.deleted.fire(s.id);
  }

  /** The absolute real path of a workspace, or a clear error. */
  workspaceOf(dir: string, what = 'cwd'): string {
    if (!path.isAbsolute(dir)) throw RpcError.invalidParams(`${what} must be an absolute path; got "${dir}"`);
    try {
      const real = realpathSync(dir);
      if (!statSync(real).isDirectory()) throw new Error('not a directory');
      return real;
    } catch {
      throw RpcError.invalidParams(`${what} "${dir}" is not an existing directory`);
    }
  }

  /** ACP `additionalDirectories` as real paths: each absolute and an existing folder, no repeats. */
  directoriesOf(list: readonly string[] | null | undefined, workspace?: string): string[] {
    const out: string[] = [];
    for (const dir of list ?? []) {
      const real = this.workspaceOf(dir, 'additionalDirectories entry');
      if (real !== workspace && !out.includes(real)) out.push(real);
    }
    return out;
  }

  create(input: NewSessionInput): Session {
    const id = `sess_${randomUUID().replace(/-/g, '')}`;
    let workspace: string;
    if (input.workspace) workspace = this.workspaceOf(input.workspace);
    else {
      workspace = path.join(this.workspacesDir, id);
      mkdirSync(workspace, { recursive: true, mode: 0o700 });
      workspace = realpathSync(workspace);
    }
    const meta: SessionMeta = {
      sessionId: id,
      workspace,
      profile: input.profile,
      mode: input.mode,
      systemPrompt: input.systemPrompt ?? null,
      title: input.title ?? null,
      mcpServers: input.mcpServers,
      ...(input.additionalDirectories?.length ? { additionalDirectories: this.directoriesOf(input.additionalDirectories, workspace) } : {}),
      createdAt: new Date().toISOString(),
      ...(input.forkedFrom ? { forkedFrom: input.forkedFrom } : {}),
    };
    const s = new Session(meta, new SessionLog(this.dir.fileOf(id)), new ReplayBuffer(this.replayCapacity));
    s.record({ k: 'meta', meta });
    for (const m of input.messages ?? []) s.addMessage(m);
    this.sessions.set(id, s);
    this.active.add(id);
    this.opened.fire(s.info());
    return s;
  }

  /**
   * The session, its log read whole first if it is not in memory (restored at start, or closed),
   * or if another process wrote to it since (an editor's `switchboard stdio` beside `serve` ran a
   * turn in it, or compacted it): this process's copy would then be stale, its next records out of
   * seq, or written to a file renamed away. Not while a turn of its own runs (two processes
   * running turns in one session at once is not supported).
   */
  require(sessionId: string): Session {
    const s = this.lookup(sessionId);
    if (!s) throw new RpcError(ErrorCodes.NotFound, `session "${sessionId}" not found; session/list shows the known ones`, { sessionId });
    if (!s.isUnloaded) {
      if (s.turn || !s.log.changedElsewhere()) return s;
      this.logger.info({ sessionId, file: s.log.file }, 'session log written by another process since: read again');
    }
    try {
      loadWhole(s, this.logger);
    } catch (err) {
      if (!(err instanceof UnusableLog)) throw err;
      this.logger.warn({ file: err.file, sessionId, reason: err.reason }, err.message);
      this.forget(s);
      const why = err.gone ? 'its log is gone (deleted by another process?)' : `its log is not usable: ${err.reason}`;
      throw new RpcError(ErrorCodes.NotFound, `session "${sessionId}" not found: ${why}`, { sessionId });
    }
    this.scans.delete(sessionId);
    return s;
  }

  /**
   * ACP `session/close`: cancels the turn, lets go of the clients, the provider scope and (through
   * onDidClose) the MCP connections, and frees the history; the log stays for load or resume.
   */
  async close(s: Session): Promise<void> {
    if (s.turn) {
      s.turn.controller.abort();
      await s.turn.done.catch(() => undefined);
    }
    this.active.delete(s.id);
    for (const entry of this.byClient.values()) entry.sessions.delete(s.id);
    s.detachAll();
    await s.disposeScope();
    s.log.close();
    s.unload();
    this.closed.fire(s.id);
  }

  /** Every session (the meta of each log not read yet is read first). */
  sessionsList(): Session[] {
    for (const id of [...this.unread]) this.readHead(id);
    return [...this.sessions.values()];
  }

  /**
   * The sessions (those `which` keeps: it sees only what the first line of a log says), the
   * unloaded ones' list fields brought up to date with their logs.
   */
  listed(which?: (s: Session) => boolean): Session[] {
    return this.sessionsList().filter((s) => (!which || which(s)) && this.summarized(s));
  }

  /** Re-announces a session (session/load): owners of per-session resources reconnect them. */
  reopen(s: Session): void {
    this.active.add(s.id);
    this.opened.fire(s.info());
  }

  /** Announces a restored session the first time it is used (load or prompt); no-op after. */
  activate(s: Session): void {
    if (!this.active.has(s.id)) this.reopen(s);
  }

  setMode(s: Session, mode: string): void {
    if (s.meta.mode === mode) return;
    s.record({ k: 'set', patch: { mode }, at: new Date().toISOString() });
    this.publish(s.id, { type: 'update', update: { sessionUpdate: 'current_mode_update', currentModeId: mode } });
    this.modeChanged.fire(s.info());
  }

  async remove(s: Session): Promise<void> {
    if (s.turn) {
      s.turn.controller.abort();
      await s.turn.done.catch(() => undefined);
    }
    this.sessions.delete(s.id);
    this.active.delete(s.id);
    for (const entry of this.byClient.values()) entry.sessions.delete(s.id);
    s.detachAll();
    await s.disposeScope();
    // A compaction in flight would rename its temp file over the deleted log: stop it first.
    await this.compactions?.cancel(s.id);
    s.log.remove();
    // The folder made for a session without a cwd goes with it, unless a fork still works there.
    const ws = s.meta.workspace;
    if (path.dirname(ws) === realOr(this.workspacesDir) && !this.sessionsList().some((o) => o.meta.workspace === ws)) {
      rmSync(ws, { recursive: true, force: true });
    }
    this.deleted.fire(s.id);
  }

  /** After a turn: its streamed chunks and tool call states are merged in the log (in the background). */
  compact(s: Session): void {
    this.compactions?.request(s.id, s.log);
  }

  closeAll(): void {
    this.compactions?.dispose();
    for (const entry of this.byClient.values()) entry.off();
    this.byClient.clear();
    for (const s of this.sessions.values()) {
      s.turn?.controller.abort();
      s.detachAll();
      void s.disposeScope();
      s.log.close();
    }
  }

  // SessionService

  get(sessionId: string): SessionInfo | undefined {
    const s = this.lookup(sessionId);
    return s && this.summarized(s) ? s.info() : undefined;
  }

  list(): SessionInfo[] {
    return this.listed().map((s) => s.info());
  }

  /**
   * Calls the listener at once for every session already in use, then for each one created,
   * forked, restored and then first loaded or prompted, or loaded with different `mcpServers`.
   */
  onDidOpen(listener: (s: SessionInfo) => void): Disposable {
    for (const s of this.sessions.values()) {
      if (!this.active.has(s.id)) continue;
      try {
        listener(s.info());
      } catch (err) {
        this.logger.error({ err }, 'session listener threw');
      }
    }
    return this.opened.on(listener);
  }

  onDidDelete(listener: (sessionId: string) => void): Disposable {
    return this.deleted.on(listener);
  }

  onDidClose(listener: (sessionId: string) => void): Disposable {
    return this.closed.on(listener);
  }

  onDidChangeMode(listener: (s: SessionInfo) => void): Disposable {
    return this.modeChanged.on(listener);
  }

  clients(sessionId: string): ClientPeer[] {
    return this.lookup(sessionId)?.clients() ?? [];
  }

  /**
   * Attaches a client to a session (session/new, load, prompt). One close listener per client,
   * however many sessions it touches; closing detaches it from all of them.
   */
  attach(s: Session, client: ClientPeer): void {
    if (client.closed.aborted) return;
    let entry = this.byClient.get(client.id);
    if (!entry) {
      const sessions = new Set<string>();
      const onClose = () => {
        this.byClient.delete(client.id);
        for (const id of sessions) this.sessions.get(id)?.detach(client.id);
      };
      client.closed.addEventListener('abort', onClose, { once: true });
      entry = { sessions, off: () => client.closed.removeEventListener('abort', onClose) };
      this.byClient.set(client.id, entry);
    }
    entry.sessions.add(s.id);
    s.attach(client);
  }

  publish(sessionId: string, event: UnsequencedSessionEvent): SessionEvent {
    const s = this.require(sessionId);
    const full = { ...event, sessionId, seq: ++s.seq } as SessionEvent;
    s.buffer.push(full);
    s.record({ k: 'ev', e: full });
    this.bus.emit(SessionEventBus, full);
    if (full.type === 'update') {
      const params = { sessionId, update: full.update, _meta: { seq: full.seq } };
      for (const c of s.clients()) notifyClient(c, SessionUpdate, params);
    }
    return full;
  }
}
