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
import { SessionDir, SessionLog, type LogRecord, type SessionMeta } from './log.js';
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
 * All sessions: created, forked, reloaded from their logs on start, deleted. Implements the
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
   * Reads every session log. Each record is checked with the log schemas; what does not fit its
   * session (a second meta, an event of another session or out of seq order) is skipped too, with
   * a warning naming the file and line. A log whose meta is missing or names another session id
   * than its file is not loaded: one id, one file, one session.
   */
  loadAll(): void {
    removeStaleTemps(this.dir.dir, this.logger);
    for (const id of this.dir.ids()) {
      const file = this.dir.fileOf(id);
      try {
        const { records, lines, skipped } = SessionLog.load(file);
        const meta = records[0]?.k === 'meta' ? records[0].meta : undefined;
        if (!meta || meta.sessionId !== id) {
          const why = meta ? `its meta names session "${meta.sessionId}", not the file's "${id}"` : 'its first valid record is not the session meta';
          this.logger.warn({ file, skipped }, `session log not loaded: ${why}`);
          continue;
        }
        const s = new Session(meta, new SessionLog(file), new ReplayBuffer(this.replayCapacity));
        records.forEach((r, i) => {
          const misfit = i === 0 ? undefined : this.misfit(r, s);
          if (misfit) skipped.push({ line: lines[i], reason: misfit });
          else s.apply(r);
        });
        for (const { line, reason } of skipped.sort((a, b) => a.line - b.line)) {
          this.logger.warn({ file, line, sessionId: id, reason }, 'session log line skipped');
        }
        this.sessions.set(id, s);
      } catch (err) {
        this.logger.error({ err, file }, 'could not load session');
      }
    }
  }

  /** Why a valid record does not belong where it is in a session's log, if it does not. */
  private misfit(r: LogRecord, s: Session): string | undefined {
    if (r.k === 'meta') return 'a second meta record';
    if (r.k !== 'ev') return undefined;
    if (r.e.sessionId !== s.id) return `an event of session "${r.e.sessionId}"`;
    if (r.e.seq <= s.seq) return `event seq ${r.e.seq} is not after seq ${s.seq}`;
    return undefined;
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

  /** The session, its history read back from the log first if it was closed. */
  require(sessionId: string): Session {
    const s = this.sessions.get(sessionId);
    if (!s) throw new RpcError(ErrorCodes.NotFound, `session "${sessionId}" not found; session/list shows the known ones`, { sessionId });
    if (s.isUnloaded) s.reload(SessionLog.load(this.dir.fileOf(sessionId)).records);
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

  sessionsList(): Session[] {
    return [...this.sessions.values()];
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
    if (path.dirname(ws) === realOr(this.workspacesDir) && ![...this.sessions.values()].some((o) => o.meta.workspace === ws)) {
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
    return this.sessions.get(sessionId)?.info();
  }

  list(): SessionInfo[] {
    return this.sessionsList().map((s) => s.info());
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
    return this.sessions.get(sessionId)?.clients() ?? [];
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
