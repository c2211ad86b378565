import type { InjectionToken } from 'tsyringe';
import { z } from 'zod';
import type { ClientPeer } from '../../host/client.js';
import type { Disposable } from '../../host/disposable.js';
import { defineEvent, defineStream } from '../../host/method.js';

export const StopReason = z.enum(['end_turn', 'max_tokens', 'max_turn_requests', 'refusal', 'cancelled']);
export type StopReason = z.infer<typeof StopReason>;

/** A tool waits for a person's answer (pending), or the answer came (resolved). Published by the permissions plugin. */
export const PermissionSessionEvent = z.object({
  type: z.literal('permission'),
  sessionId: z.string(),
  seq: z.number().int(),
  requestId: z.string(),
  toolCallId: z.string(),
  state: z.enum(['pending', 'resolved']),
  /** For pending: the ACP PermissionOption list and the tool call being asked about. */
  options: z.array(z.object({ optionId: z.string(), name: z.string(), kind: z.string() })).optional(),
  toolCall: z.record(z.string(), z.unknown()).optional(),
  /** For resolved: `selected` with the optionId, or `cancelled`; and who answered. */
  outcome: z.object({ outcome: z.enum(['selected', 'cancelled']), optionId: z.string().optional() }).optional(),
});

/**
 * Every session event, with its per-session monotonic `seq`. `update` events carry an ACP
 * SessionUpdate (sent to ACP clients as `session/update`, with the seq in `_meta.seq`);
 * `turn_started` / `turn_ended` mark turns for SSE streams (`done` carries the stop reason).
 */
export const SessionEventPayload = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('update'),
    sessionId: z.string(),
    seq: z.number().int(),
    /** ACP SessionUpdate: `{ sessionUpdate: 'agent_message_chunk' | 'tool_call' | … , … }`. */
    update: z.object({ sessionUpdate: z.string() }).catchall(z.unknown()),
  }),
  z.object({ type: z.literal('turn_started'), sessionId: z.string(), seq: z.number().int(), turnId: z.string() }),
  z.object({
    type: z.literal('turn_ended'),
    sessionId: z.string(),
    seq: z.number().int(),
    turnId: z.string(),
    stopReason: StopReason.optional(),
    /** Set when the turn failed (provider unreachable…): a client-safe error. */
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
  }),
  PermissionSessionEvent,
]);
export type SessionEvent = z.infer<typeof SessionEventPayload>;

export const SessionEventBus = defineEvent({
  name: 'session/event',
  description: 'Every event of every session, in seq order per session (in-process bus; transports subscribe).',
  payload: SessionEventPayload,
});

/** The SSE event name of a session event: the update's `sessionUpdate`, else the event's type. */
export function sseEventName(e: SessionEvent): string {
  return e.type === 'update' ? e.update.sessionUpdate : e.type;
}

/** A session's events as a REST stream: selected by `sessionId`, named by kind, `id:` = seq. */
export const SessionStream = defineStream({ event: SessionEventBus, by: 'sessionId', name: sseEventName, seq: (e) => e.seq });

/** What other plugins (MCP, permissions, the HTTP status) need to know about a session. */
export interface SessionInfo {
  sessionId: string;
  /** The workspace: the real path of ACP `cwd`. */
  workspace: string;
  profile: string;
  mode: string;
  /** ACP `session/new` `mcpServers`, as given (the MCP plugin connects them at session start). */
  mcpServers: unknown[];
  /** ACP `additionalDirectories` (real paths): roots beside the workspace, e.g. for MCP roots. */
  additionalDirectories: string[];
}

/** A session event before the session gives it its seq. */
export type UnsequencedSessionEvent = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'seq' | 'sessionId'> : never) : never;

export interface SessionService {
  get(sessionId: string): SessionInfo | undefined;
  list(): SessionInfo[];
  /**
   * Fires when a session comes into use: created or forked; restored from disk and then first
   * loaded or prompted (a restart alone does not open old sessions); or loaded with a different
   * `mcpServers` list. Subscribing replays the sessions already in use.
   */
  onDidOpen(listener: (s: SessionInfo) => void): Disposable;
  /** Fires when a session is deleted: release what belongs to it (MCP connections, grants). */
  onDidDelete(listener: (sessionId: string) => void): Disposable;
  /**
   * Fires when a session is closed (ACP `session/close`): its log stays, but per-session
   * resources (MCP connections) are released until it is loaded, resumed or prompted again.
   */
  onDidClose(listener: (sessionId: string) => void): Disposable;
  onDidChangeMode(listener: (s: SessionInfo) => void): Disposable;
  /**
   * The clients attached to a session (those that created, loaded or prompted it and are still
   * connected), most recent first: who gets `session/update` and `session/request_permission`.
   */
  clients(sessionId: string): ClientPeer[];
  /**
   * Adds an event to the session's stream: it gets the next seq, is kept in the replay buffer and
   * the session log, goes out on the bus, and (for `update`) to the attached ACP clients.
   */
  publish(sessionId: string, event: UnsequencedSessionEvent): SessionEvent;
}

export const SessionServiceToken = Symbol('SessionService') as InjectionToken<SessionService>;
