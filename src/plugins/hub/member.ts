import os from 'node:os';
import type { Disposable } from '../../host/disposable.js';
import type { EventBus } from '../../host/events.js';
import { SessionEventBus, type SessionEvent, type SessionService } from '../sessions/contract.js';
import type { HubAgent, HubEventBody, HubSession } from './schemas.js';

/** This process as a hub member: its record without `self`. */
export type AgentRecord = Omit<HubAgent, 'self'>;

export interface MemberIdentity {
  agentId: string;
  kind: string;
  version: string;
}

type Listener<T> = (value: T) => void;

/**
 * This agent's side of the hub: the sessions in use here and their state (idle, running a turn,
 * waiting for an approval), and the hub events they cause. Transports publish what it emits;
 * it knows nothing of sockets or NATS.
 */
export class HubMember implements Disposable {
  private readonly sessions = new Map<string, HubSession>();
  private readonly eventListeners = new Set<Listener<HubEventBody>>();
  private readonly sessionListeners = new Set<Listener<SessionEvent>>();
  private readonly changeListeners = new Set<Listener<void>>();
  private readonly subs: Disposable[] = [];
  readonly startedAt = new Date().toISOString();

  constructor(
    readonly id: MemberIdentity,
    private readonly service: SessionService,
    bus: EventBus,
    titleOf: (sessionId: string) => Promise<string | null>,
  ) {
    this.subs.push(
      service.onDidOpen((info) => {
        if (this.sessions.has(info.sessionId)) return;
        const s: HubSession = { sessionId: info.sessionId, title: null, cwd: info.workspace, state: 'idle', pending: [] };
        this.sessions.set(info.sessionId, s);
        this.emit({ type: 'session_created', agentId: id.agentId, sessionId: s.sessionId, session: { ...s } });
        void titleOf(info.sessionId).then(
          (title) => {
            if (title && this.sessions.get(info.sessionId) === s) {
              s.title = title;
              this.changed();
            }
          },
          () => undefined,
        );
      }),
      service.onDidDelete((sessionId) => {
        if (!this.sessions.delete(sessionId)) return;
        this.emit({ type: 'session_deleted', agentId: id.agentId, sessionId });
      }),
      bus.on(SessionEventBus, (e) => this.track(e)),
    );
  }

  private track(e: SessionEvent): void {
    for (const l of this.sessionListeners) l(e);
    const s = this.sessions.get(e.sessionId);
    if (!s) return;
    const agentId = this.id.agentId;
    if (e.type === 'turn_started') {
      s.state = 'running';
      this.emit({ type: 'turn_started', agentId, sessionId: s.sessionId, turnId: e.turnId });
    } else if (e.type === 'turn_ended') {
      s.state = 'idle';
      s.pending = [];
      this.emit({ type: 'turn_ended', agentId, sessionId: s.sessionId, turnId: e.turnId, stopReason: e.stopReason, error: e.error });
    } else if (e.type === 'permission') {
      const title = titleOfToolCall(e.toolCall) ?? s.pending.find((p) => p.requestId === e.requestId)?.title ?? e.toolCallId;
      if (e.state === 'pending') {
        s.pending.push({ requestId: e.requestId, toolCallId: e.toolCallId, title });
        s.state = 'waiting';
        this.emit({ type: 'permission_asked', agentId, sessionId: s.sessionId, requestId: e.requestId, toolCallId: e.toolCallId, title });
      } else {
        s.pending = s.pending.filter((p) => p.requestId !== e.requestId);
        if (s.state === 'waiting' && s.pending.length === 0) s.state = 'running';
        this.emit({
          type: 'permission_answered',
          agentId,
          sessionId: s.sessionId,
          requestId: e.requestId,
          toolCallId: e.toolCallId,
          title,
          outcome: e.outcome?.outcome ?? 'cancelled',
          optionId: e.outcome?.optionId,
        });
      }
    } else if (e.type === 'update' && e.update.sessionUpdate === 'session_info_update' && typeof e.update.title === 'string') {
      s.title = e.update.title;
      this.changed();
    }
  }

  /** The record other agents see: identity, process facts and the sessions in use. */
  record(): AgentRecord {
    return {
      agentId: this.id.agentId,
      pid: process.pid,
      kind: this.id.kind,
      version: this.id.version,
      cwd: process.cwd(),
      host: os.hostname(),
      startedAt: this.startedAt,
      sessions: [...this.sessions.values()].map((s) => ({ ...s, pending: s.pending.map((p) => ({ ...p })) })),
    };
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Hub events caused here (the record has already changed when they fire). */
  onEvent(l: Listener<HubEventBody>): Disposable {
    this.eventListeners.add(l);
    return { dispose: () => void this.eventListeners.delete(l) };
  }

  /** Every session event of this process, for followers. */
  onSessionEvent(l: Listener<SessionEvent>): Disposable {
    this.sessionListeners.add(l);
    return { dispose: () => void this.sessionListeners.delete(l) };
  }

  /** The record changed without an event (a title learnt later). */
  onChange(l: Listener<void>): Disposable {
    this.changeListeners.add(l);
    return { dispose: () => void this.changeListeners.delete(l) };
  }

  private emit(e: HubEventBody): void {
    for (const l of this.eventListeners) l(e);
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) void s.dispose();
    this.eventListeners.clear();
    this.sessionListeners.clear();
    this.changeListeners.clear();
  }
}

function titleOfToolCall(toolCall: Record<string, unknown> | undefined): string | undefined {
  const t = toolCall?.title;
  return typeof t === 'string' && t ? t : undefined;
}
