import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import type { ChatMessage, Provider } from '../providers/contract.js';
import type { SessionEvent, SessionInfo } from './contract.js';
import type { CompactedRange } from './compact-records.js';
import { SessionLog, type LogRecord, type SessionMeta } from './log.js';
import type { LogSummary } from './log-summary.js';

/**
 * A bounded FIFO of the latest events, for replay by seq. It grows as events come (an idle
 * session costs nearly nothing) and becomes a ring once full.
 */
export class ReplayBuffer<E extends { seq: number } = SessionEvent> {
  private readonly items: E[] = [];
  /** Index of the oldest event once the ring is full. */
  private start = 0;

  constructor(readonly capacity: number) {}

  push(e: E): void {
    if (this.items.length < this.capacity) {
      this.items.push(e);
      return;
    }
    this.items[this.start] = e;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The seq of the oldest event kept (lastSeq + 1 when empty). */
  oldestSeq(lastSeq: number): number {
    return this.items.length ? this.items[this.start].seq : lastSeq + 1;
  }

  after(seq: number): E[] {
    const out: E[] = [];
    const n = this.items.length;
    for (let i = 0; i < n; i++) {
      const e = this.items[(this.start + i) % n];
      if (e.seq > seq) out.push(e);
    }
    return out;
  }
}

/** Runs async mutations of one session one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export interface ActiveTurn {
  id: string;
  controller: AbortController;
  done: Promise<unknown>;
}

/** One session in memory: its meta, history, event stream state and attached clients. */
export class Session {
  messages: ChatMessage[] = [];
  updatedAt: string;
  seq = 0;
  turn?: ActiveTurn;
  /**
   * The session's own DI scope, a child of the plugins' container, made when a turn first needs
   * it: the session's provider instance lives there and nowhere else, and goes with the session.
   */
  private scope?: DependencyContainer;
  readonly lock = new Mutex();
  /** Attached clients, least recent first. */
  private readonly attached = new Map<string, ClientPeer>();

  /** Set while the history and buffer are not in memory (closed, or restored and not yet used): the message count. */
  private unloadedCount?: number;

  /**
   * The seq ranges of the compacted events read from the log (one stored event for many live
   * ones). This process's own turns stay in the buffer as they streamed; only a restart or a
   * reload reads the compacted log back.
   */
  private compacted: CompactedRange[] = [];

  constructor(
    public meta: SessionMeta,
    readonly log: SessionLog,
    public buffer: ReplayBuffer,
  ) {
    this.updatedAt = meta.createdAt;
  }

  get isUnloaded(): boolean {
    return this.unloadedCount !== undefined;
  }

  get messageCount(): number {
    return this.unloadedCount ?? this.messages.length;
  }

  /** Frees the history and the replay buffer (the log keeps them); the manager reads them back on use. */
  unload(): void {
    this.unloadedCount = this.messages.length;
    this.messages = [];
    this.buffer = new ReplayBuffer(this.buffer.capacity);
    this.compacted = [];
  }

  /**
   * Shows a summary of the log in place of the history: a session restored at start, whose log
   * is read whole on its first use (`reset`, then every record applied).
   */
  restore(summary: LogSummary): void {
    this.unload();
    this.meta = summary.meta;
    this.updatedAt = summary.updatedAt;
    this.seq = summary.seq;
    this.unloadedCount = summary.messageCount;
  }

  /** Starts over from a log's meta, before its records are applied one by one. */
  reset(meta: SessionMeta): void {
    this.unload();
    this.unloadedCount = undefined;
    this.meta = meta;
    this.updatedAt = meta.createdAt;
    this.seq = 0;
  }

  get id(): string {
    return this.meta.sessionId;
  }

  info(): SessionInfo {
    return {
      sessionId: this.id,
      workspace: this.meta.workspace,
      profile: this.meta.profile,
      mode: this.meta.mode,
      mcpServers: this.meta.mcpServers,
      additionalDirectories: this.meta.additionalDirectories ?? [],
    };
  }

  /** Every root the session's tools may use: the workspace first, then the additional ones. */
  roots(): string[] {
    return [this.meta.workspace, ...(this.meta.additionalDirectories ?? [])];
  }

  /** Applies a log record to the in-memory state (on load and as it is written). */
  apply(r: LogRecord): void {
    switch (r.k) {
      case 'meta':
        this.meta = r.meta;
        break;
      case 'msg':
        this.messages.push(r.m);
        this.updatedAt = r.at;
        break;
      case 'ev':
        this.seq = Math.max(this.seq, r.e.seq);
        this.buffer.push(r.e);
        if (r.from !== undefined && r.from < r.e.seq) this.keepRange({ from: r.from, seq: r.e.seq });
        break;
      case 'set':
        this.meta = { ...this.meta, ...r.patch };
        this.updatedAt = r.at;
        break;
      case 'clear':
        this.messages = [];
        this.updatedAt = r.at;
        break;
    }
  }

  private keepRange(range: CompactedRange): void {
    this.compacted.push(range);
    // Ranges of events the ring has evicted answer nothing: keep about as many as it holds.
    if (this.compacted.length > 2 * this.buffer.capacity) this.compacted.splice(0, this.compacted.length - this.buffer.capacity);
  }

  /** The first seq the replay can still give whole (a compacted oldest event counts from its `from`). */
  oldestSeq(): number {
    const oldest = this.buffer.oldestSeq(this.seq);
    return this.compacted.find((r) => r.seq === oldest)?.from ?? oldest;
  }

  /** The compacted event a client resuming after `after` saw only part of, if any. */
  compactedAround(after: number): CompactedRange | undefined {
    return this.compacted.find((r) => r.from <= after && after < r.seq);
  }

  /** Writes a record to the log, then applies it: what is in memory is always on disk. */
  record(r: LogRecord): void {
    this.log.append(r);
    // The log's fd stays open only while a turn streams: a thousand idle sessions hold no fds.
    if (!this.turn) this.log.close();
    if (r.k !== 'ev') this.apply(r);
  }

  addMessage(m: ChatMessage): void {
    this.record({ k: 'msg', m, at: new Date().toISOString() });
  }

  /** Adds (or moves to the front) a client; the manager detaches it when it closes. */
  attach(peer: ClientPeer): void {
    this.attached.delete(peer.id);
    this.attached.set(peer.id, peer);
  }

  detach(peerId: string): void {
    this.attached.delete(peerId);
  }

  clients(): ClientPeer[] {
    return [...this.attached.values()].reverse();
  }

  detachAll(): void {
    this.attached.clear();
  }

  /**
   * This session's provider, rebuilt in a fresh scope when its resolved profile changes (`key` is
   * the resolved config: in memory only, never logged). Never shared with another session.
   */
  provider(key: string, newScope: () => DependencyContainer, build: () => Omit<SessionProvider, 'key'>): SessionProvider {
    const current = this.scope?.isRegistered(SessionProviderToken) ? this.scope.resolve(SessionProviderToken) : undefined;
    if (current?.key === key) return current;
    void this.disposeScope();
    this.scope = newScope();
    const next = { key, ...build() };
    this.scope.registerInstance(SessionProviderToken, next);
    return next;
  }

  /** Releases the session's scope (and its provider) when the session is deleted or closed. */
  async disposeScope(): Promise<void> {
    const scope = this.scope;
    this.scope = undefined;
    if (!scope) return;
    // tsyringe disposes only what it constructed; the provider was registered as an instance.
    const current = scope.isRegistered(SessionProviderToken) ? scope.resolve(SessionProviderToken) : undefined;
    await (current?.instance as Partial<Disposable> | undefined)?.dispose?.();
    await scope.dispose();
  }
}

export interface SessionProvider {
  key: string;
  instance: Provider;
  contextWindow?: number;
}

export const SessionProviderToken = Symbol('SessionProvider') as InjectionToken<SessionProvider>;
