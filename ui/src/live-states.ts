// What each session is doing right now (idle / running / waiting for approval), for every
// session of this daemon, whoever started the turn: the page follows the hub's feed of this agent
// (hub/subscribe), resumed by its seq after a reconnect, over a snapshot from hub/agents.
import type { Rpc, RpcError } from './rpc.js';
import type { SessionState } from './sessions.js';

interface HubSession {
  sessionId: string;
  state: SessionState;
  pending: { requestId: string }[];
}

export interface LiveEvents {
  /** A session's state changed (redraw the list, the buttons). */
  changed(sessionId: string): void;
  /** A turn of this session ended, whoever ran it. */
  turnEnded(sessionId: string, stopReason: string | undefined, error: { message: string } | undefined): void;
  /** An approval of this session was answered (by anyone): its card can close. */
  answered(sessionId: string, requestId: string): void;
  /** Sessions were created or deleted, or a turn ended (titles, order): re-read the list. */
  listChanged(): void;
}

export class LiveStates {
  private self: string | undefined;
  private lastSeq: number | undefined;
  private readonly states = new Map<string, SessionState>();
  private readonly pending = new Map<string, Set<string>>();
  /** False when the daemon runs without the hub: then session/list's turnActive is all there is. */
  available = false;

  constructor(private readonly on: LiveEvents) {}

  state(sessionId: string): SessionState | undefined {
    return this.available ? (this.states.get(sessionId) ?? 'idle') : undefined;
  }

  /** After each (re)connect: subscribe (resuming after the last seq seen), then take a snapshot. */
  async connected(rpc: Rpc): Promise<void> {
    try {
      let sub: { events: any[]; lastSeq: number };
      try {
        sub = await rpc.request('hub/subscribe', this.lastSeq === undefined ? {} : { after: this.lastSeq });
      } catch (err) {
        if ((err as RpcError).code !== -32009) throw err;
        sub = await rpc.request('hub/subscribe', {}); // too far behind: the snapshot below covers it
      }
      for (const e of sub.events) this.event(e);
      this.lastSeq = Math.max(this.lastSeq ?? 0, sub.lastSeq);
      const { agents } = await rpc.request('hub/agents', {});
      const me = agents.find((a: any) => a.self);
      this.self = me?.agentId;
      this.states.clear();
      this.pending.clear();
      for (const s of (me?.sessions ?? []) as HubSession[]) {
        this.states.set(s.sessionId, s.state);
        this.pending.set(s.sessionId, new Set(s.pending.map((p) => p.requestId)));
      }
      this.available = true;
      this.on.listChanged();
    } catch {
      this.available = false; // no hub plugin here: states come from session/list alone
    }
  }

  /** A hub/event notification. Each subscription on this connection (a panel may hold one too) sends it: seq dedupes. */
  event(e: any): void {
    if (typeof e?.seq !== 'number') return;
    if (this.lastSeq !== undefined && e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    if (this.self && e.agentId !== this.self) return;
    const sid = e.sessionId as string;
    switch (e.type) {
      case 'turn_started':
        this.set(sid, 'running');
        return;
      case 'turn_ended':
        this.pending.delete(sid);
        this.set(sid, 'idle');
        this.on.turnEnded(sid, e.stopReason, e.error);
        this.on.listChanged();
        return;
      case 'permission_asked':
        this.pendingOf(sid).add(e.requestId);
        this.set(sid, 'waiting');
        return;
      case 'permission_answered': {
        const left = this.pendingOf(sid);
        left.delete(e.requestId);
        this.on.answered(sid, e.requestId);
        if (left.size === 0 && this.states.get(sid) === 'waiting') this.set(sid, 'running');
        return;
      }
      case 'session_created':
      case 'session_deleted':
        if (e.type === 'session_deleted') this.states.delete(sid);
        this.on.listChanged();
        return;
    }
  }

  private pendingOf(sid: string): Set<string> {
    if (!this.pending.has(sid)) this.pending.set(sid, new Set());
    return this.pending.get(sid)!;
  }

  private set(sid: string, state: SessionState): void {
    this.states.set(sid, state);
    this.on.changed(sid);
  }
}
