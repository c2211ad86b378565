import type { Disposable } from '../../host/disposable.js';
import type { EventBus } from '../../host/events.js';
import type { SessionEvent } from '../sessions/contract.js';
import type { HubFeed } from './feed.js';
import type { AgentRecord } from './member.js';
import { HubUpdateDecl, type HubAgent, type HubEventBody } from './schemas.js';

export type LeftReason = 'exit' | 'crashed' | 'timeout';

/**
 * What transports tell the view. Every method is idempotent in the way that matters: a second
 * `joined` for a known agent only refreshes its record, a `left` for an unknown one is ignored.
 */
export interface HubSink {
  joined(record: AgentRecord): void;
  record(record: AgentRecord): void;
  event(event: HubEventBody, record: AgentRecord): void;
  session(agentId: string, event: SessionEvent): void;
  left(agentId: string, reason: LeftReason): void;
  connection(state: 'connected' | 'disconnected' | 'reconnecting', server?: string): void;
}

type SessionListener = (agentId: string, e: SessionEvent) => void;
type LeftListener = (agentId: string) => void;

/**
 * The agents this process sees (itself included) and the feed it numbers. Transports push into
 * it through `HubSink`; hub methods read from it.
 */
export class HubView implements HubSink {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly sessionListeners = new Set<SessionListener>();
  private readonly leftListeners = new Set<LeftListener>();
  /** Agents that ever joined, for `host/status`. */
  seen = 0;

  constructor(
    readonly selfId: string,
    readonly feed: HubFeed,
    private readonly bus: EventBus,
  ) {}

  list(): HubAgent[] {
    return [...this.agents.values()]
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.agentId < b.agentId ? -1 : 1))
      .map((r) => ({ ...r, self: r.agentId === this.selfId }));
  }

  get(agentId: string): AgentRecord | undefined {
    return this.agents.get(agentId);
  }

  get size(): number {
    return this.agents.size;
  }

  joined(record: AgentRecord): void {
    const known = this.agents.has(record.agentId);
    this.agents.set(record.agentId, record);
    if (known) return;
    this.seen++;
    this.feed.push({ type: 'agent_joined', agentId: record.agentId, agent: record });
  }

  record(record: AgentRecord): void {
    if (this.agents.has(record.agentId)) this.agents.set(record.agentId, record);
    else this.joined(record);
  }

  event(event: HubEventBody, record: AgentRecord): void {
    if (!this.agents.has(record.agentId)) this.joined(record);
    else this.agents.set(record.agentId, record);
    this.feed.push(event);
  }

  session(agentId: string, event: SessionEvent): void {
    if (!this.agents.has(agentId)) return;
    for (const l of this.sessionListeners) l(agentId, event);
    this.bus.emit(HubUpdateDecl, { agentId, sessionId: event.sessionId, seq: event.seq, event });
  }

  left(agentId: string, reason: LeftReason): void {
    if (!this.agents.delete(agentId)) return;
    for (const l of this.leftListeners) l(agentId);
    this.feed.push({ type: 'agent_left', agentId, reason });
  }

  connection(state: 'connected' | 'disconnected' | 'reconnecting', server?: string): void {
    this.feed.push({ type: 'hub_connection', state, ...(server ? { server } : {}) });
  }

  onSession(l: SessionListener): Disposable {
    this.sessionListeners.add(l);
    return { dispose: () => void this.sessionListeners.delete(l) };
  }

  onLeft(l: LeftListener): Disposable {
    this.leftListeners.add(l);
    return { dispose: () => void this.leftListeners.delete(l) };
  }
}

/** How the view reaches other agents: the Unix sockets of this machine, or NATS. */
export interface HubTransport extends Disposable {
  readonly mode: 'local' | 'nats';
  /** Joins the hub in the background; activation never waits for it. */
  start(): Promise<void>;
  /**
   * From now on, receive every agent's session events (a client follows a session). Until then
   * only hub events flow, so agents that nobody follows cost their peers nothing per token.
   */
  wantSessionEvents(): void;
  /** Calls an allowlisted method on another agent; rejects with -32005 if it dies meanwhile. */
  call(agentId: string, method: string, params: unknown, signal: AbortSignal): Promise<unknown>;
  /** For `host/status`: connection state and counters, never a credential. */
  status(): Record<string, unknown>;
}
