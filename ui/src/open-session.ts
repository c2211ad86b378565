// The session open in the chat: selecting it (session/load replays its history), following its
// updates in seq order, and after a reconnect resuming from the last seq seen, so that nothing
// streamed meanwhile is lost or shown twice.
import type { Chat } from './chat.js';
import { $ } from './dom.js';
import type { Permissions } from './permissions.js';
import type { Rpc, RpcError } from './rpc.js';
import type { SessionInfo } from './sessions.js';

export interface OpenSessionHooks {
  rpc(): Rpc;
  /** The open session (or none) changed, or something about it did: redraw the header and buttons. */
  shown(): void;
  /** A turn ended that this page learnt of from the session's own events (missed while offline). */
  turnEnded(stopReason: string | undefined, error: { message: string } | undefined): void;
  /** The daemon answered session/load: whether it replays history. */
  canLoad(): boolean;
}

export class OpenSession {
  current: SessionInfo | null = null;
  /** The seq of the last event of the open session shown, to resume from after a reconnect. */
  private lastSeq = 0;
  /** While resuming: live updates that arrive before the missed ones are shown (null otherwise). */
  private held: any[] | null = null;

  constructor(private readonly chat: Chat, private readonly permissions: Permissions, private readonly hooks: OpenSessionHooks) {}

  async select(s: SessionInfo | null, load: boolean): Promise<void> {
    this.current = s;
    this.lastSeq = 0;
    this.held = null;
    this.chat.reset();
    this.permissions.show(s?.sessionId);
    $('turn-state').textContent = ''; // the last turn's end belonged to the session shown before
    this.hooks.shown();
    if (!s || !load || !this.hooks.canLoad()) return;
    try {
      await this.hooks.rpc().request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
      // The replayed history carries no seq: a later resume starts after the session's last one.
      const info = await this.hooks.rpc().request('session/get', { sessionId: s.sessionId });
      if (this.current !== s) return;
      this.lastSeq = Math.max(this.lastSeq, info.lastSeq ?? 0);
      Object.assign(s, info);
      this.chat.break();
      await this.pending(s);
      this.hooks.shown();
    } catch (err) {
      this.chat.line('error', `could not load the session: ${(err as Error).message}`);
    }
  }

  /** A session/update notification (any session: only the open one's are shown). */
  notified(params: any): void {
    if (params?.sessionId !== this.current?.sessionId) return;
    if (this.held) {
      // Resuming: the history replayed by session/load is on the page already; live ones wait.
      if (!params._meta?.replay) this.held.push(params);
      return;
    }
    this.update(params);
  }

  /**
   * After a reconnect: attach again (session/load; its history is already on the page, so the
   * replay is not shown) and show what was missed, from the last seq seen (session/events). Live
   * updates that come meanwhile wait, so the page stays in seq order. When the missed events were
   * evicted (-32009), the page reloads the whole history instead.
   */
  async resume(): Promise<void> {
    const s = this.current;
    if (!s) return;
    this.held = [];
    try {
      await this.hooks.rpc().request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
      const missed = await this.hooks.rpc().request('session/events', { sessionId: s.sessionId, after: this.lastSeq });
      for (const e of missed.events ?? []) {
        if (e.type === 'update') this.update({ sessionId: s.sessionId, update: e.update, _meta: { seq: e.seq } });
        else if (e.type === 'turn_ended' && e.seq > this.lastSeq) {
          this.lastSeq = e.seq;
          this.chat.break();
          this.hooks.turnEnded(e.stopReason, e.error);
        }
      }
      await this.pending(s);
    } catch (err) {
      this.held = null;
      if ((err as RpcError).code === -32009) return this.select(s, true);
      if ((err as RpcError).code === -32002) {
        this.chat.line('error', 'This session was deleted while the page was offline.');
        return;
      }
      this.chat.line('error', `could not resume the session: ${(err as Error).message}`);
      return;
    }
    const waiting = this.held ?? [];
    this.held = null;
    for (const params of waiting) this.update(params);
  }

  /** Approvals already waiting when the page attached (it was not asked, or asked on a dropped connection). */
  private async pending(s: SessionInfo): Promise<void> {
    try {
      const res = await this.hooks.rpc().request('permissions/get', { sessionId: s.sessionId });
      if (this.current === s) this.permissions.showPending(s.sessionId, res.pending ?? []);
    } catch {
      /* no permissions plugin: nothing can be pending */
    }
  }

  private update(params: any): void {
    const seq = params._meta?.seq;
    if (typeof seq === 'number') {
      if (seq <= this.lastSeq) return; // seen before the reconnect
      this.lastSeq = seq;
    }
    const u = params.update;
    if (u.sessionUpdate === 'current_mode_update' && this.current) {
      this.current.mode = u.currentModeId;
      this.hooks.shown();
    } else if (u.sessionUpdate === 'session_info_update' && this.current && typeof u.title === 'string') {
      this.current.title = u.title;
      this.hooks.shown();
    }
    this.chat.onUpdate(u);
  }
}
