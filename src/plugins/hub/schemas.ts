import { z } from 'zod';
import { NoParams, defineClientNotification, defineEvent, defineMethod, defineStream } from '../../host/method.js';
import { SessionEventPayload } from '../sessions/contract.js';

/** What a session is doing, as every hub client sees it. */
export const SessionState = z.enum(['idle', 'running', 'waiting']);
export type SessionState = z.infer<typeof SessionState>;

export const HubSession = z.object({
  sessionId: z.string(),
  title: z.string().nullable(),
  cwd: z.string(),
  /** `waiting`: a turn runs and a tool call waits for approval. */
  state: SessionState,
  /** Approvals waiting for an answer (requestId, toolCallId and the tool call's title). */
  pending: z.array(z.object({ requestId: z.string(), toolCallId: z.string(), title: z.string() })),
});
export type HubSession = z.infer<typeof HubSession>;

/** One member of the hub: a `serve`, `stdio` or `mcp` process, on this machine or on the mesh. */
export const HubAgent = z.object({
  agentId: z.string(),
  pid: z.number().int(),
  /** `serve`, `stdio`, `mcp` (or `embedded` when no command said). */
  kind: z.string(),
  version: z.string(),
  cwd: z.string(),
  host: z.string(),
  startedAt: z.string(),
  /** True for the agent answering this call. */
  self: z.boolean(),
  sessions: z.array(HubSession),
});
export type HubAgent = z.infer<typeof HubAgent>;

const Err = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });

/** What happened in the hub, before the observer numbers it. */
export const HubEventBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('agent_joined'), agentId: z.string(), agent: HubAgent.omit({ self: true }) }),
  z.object({ type: z.literal('agent_left'), agentId: z.string(), reason: z.enum(['exit', 'crashed', 'timeout']) }),
  z.object({ type: z.literal('session_created'), agentId: z.string(), sessionId: z.string(), session: HubSession }),
  z.object({ type: z.literal('session_deleted'), agentId: z.string(), sessionId: z.string() }),
  z.object({ type: z.literal('turn_started'), agentId: z.string(), sessionId: z.string(), turnId: z.string() }),
  z.object({
    type: z.literal('turn_ended'),
    agentId: z.string(),
    sessionId: z.string(),
    turnId: z.string(),
    stopReason: z.string().optional(),
    error: Err.optional(),
  }),
  z.object({
    type: z.literal('permission_asked'),
    agentId: z.string(),
    sessionId: z.string(),
    requestId: z.string(),
    toolCallId: z.string(),
    title: z.string(),
  }),
  z.object({
    type: z.literal('permission_answered'),
    agentId: z.string(),
    sessionId: z.string(),
    requestId: z.string(),
    toolCallId: z.string(),
    title: z.string(),
    outcome: z.enum(['selected', 'cancelled']),
    optionId: z.string().optional(),
  }),
  /** NATS mode: the connection to the server went away (`disconnected`) or came back. */
  z.object({ type: z.literal('hub_connection'), state: z.enum(['connected', 'disconnected', 'reconnecting']), server: z.string().optional() }),
]);
export type HubEventBody = z.infer<typeof HubEventBody>;

/** A hub event with its hub-wide `seq` (numbered by the agent that serves the feed). */
export const HubEventPayload = z.intersection(z.object({ seq: z.number().int(), at: z.string() }), HubEventBody);
export type HubEvent = z.infer<typeof HubEventPayload>;

export const HubEventDecl = defineEvent({
  name: 'hub/event',
  description: 'A hub event (agent joined/left, session created/deleted, turn started/ended, permission asked/answered), with its hub-wide seq.',
  payload: HubEventPayload,
});

/** The feed as a stream: every hub event (it selects them all), SSE `event:` its type, `id:` its hub-wide seq. */
export const HubFeedStream = defineStream({ event: HubEventDecl, select: () => () => true, name: (e) => e.type, seq: (e) => e.seq, ws: '/ws/hub/feed' });

export const HubEventNotification = defineClientNotification({
  name: 'hub/event',
  description: 'To clients of hub/subscribe: each new hub event, with its hub-wide seq.',
  params: HubEventPayload,
});

/** A followed session's event: the session event (its own seq) and the agent it belongs to. */
export const HubUpdatePayload = z.object({ agentId: z.string(), sessionId: z.string(), seq: z.number().int(), event: SessionEventPayload });
export type HubUpdate = z.infer<typeof HubUpdatePayload>;

export const HubUpdateDecl = defineEvent({
  name: 'hub/update',
  description: "An event of a session of any agent (session/update, turn_started/ended, permission), with the session's own seq.",
  payload: HubUpdatePayload,
});

/** One session of one agent as a stream: SSE `event:` as on the session's own stream, `id:` its seq. */
export const HubFollowStream = defineStream({
  event: HubUpdateDecl,
  select: (p) => (u) => u.agentId === p.agentId && u.sessionId === p.sessionId,
  name: (u) => (u.event.type === 'update' ? u.event.update.sessionUpdate : u.event.type),
  seq: (u) => u.seq,
});

export const HubUpdateNotification = defineClientNotification({
  name: 'hub/update',
  description: "To clients of hub/follow: each new event of the followed session, with the session's own seq.",
  params: HubUpdatePayload,
});

const Id = z.string().min(1).max(200);
const After = z.coerce.number().int().min(0).optional();

export const HubAgents = defineMethod({
  name: 'hub/agents',
  description: 'Every agent of the hub (this machine, or the NATS mesh), live, with its sessions and their state.',
  params: NoParams,
  result: z.object({ mode: z.enum(['local', 'nats']), agents: z.array(HubAgent) }),
  rest: { verb: 'GET', path: '/hub/agents' },
});

export const HubSubscribe = defineMethod({
  name: 'hub/subscribe',
  description:
    'Replays the hub events after `after` (in `events`) and then sends each new one as a hub/event notification until the client closes or calls hub/unsubscribe. An evicted resume point fails with -32009 (Gone).',
  params: z.object({ after: After }).optional(),
  result: z.object({ subscriptionId: z.string(), events: z.array(HubEventPayload), lastSeq: z.number().int(), oldestSeq: z.number().int() }),
  rest: { verb: 'GET', path: '/hub/feed', stream: HubFeedStream },
});

export const HubUnsubscribe = defineMethod({
  name: 'hub/unsubscribe',
  description: 'Ends a hub/subscribe or hub/follow stream of this client.',
  params: z.object({ subscriptionId: Id }),
  result: z.object({ unsubscribed: z.boolean() }),
});

export const HubFollow = defineMethod({
  name: 'hub/follow',
  description:
    "Follows one session of any agent: replays its events after `after` (the session's own seq) in `events` (as hub/update payloads), then sends each new one as a hub/update notification. Unknown agent or session: -32002; evicted resume point: -32009.",
  params: z.object({ agentId: Id, sessionId: Id, after: After }),
  result: z.object({
    subscriptionId: z.string(),
    agentId: z.string(),
    sessionId: z.string(),
    events: z.array(HubUpdatePayload),
    lastSeq: z.number().int(),
    oldestSeq: z.number().int(),
  }),
  rest: { verb: 'GET', path: '/hub/agents/{agent_id}/sessions/{session_id}/events', stream: HubFollowStream },
});

/** What a hub peer may call on another agent; anything else is refused (-32001). */
export const HUB_CALL_ALLOWLIST = [
  'session/list',
  'session/get',
  'session/history',
  'session/events',
  'session/cancel',
  'session/prompt',
  'permissions/get',
  'permissions/respond',
] as const;

export const HubCall = defineMethod({
  name: 'hub/call',
  description: `Calls a method of another agent (or this one): ${HUB_CALL_ALLOWLIST.join(', ')}. Others: -32001; unknown agent: -32002; an agent that dies mid-call: -32005.`,
  params: z.object({ agentId: Id, method: z.string().min(1).max(100), params: z.unknown().optional() }),
  result: z.unknown(),
  rest: { verb: 'POST', path: '/hub/agents/{agent_id}/call' },
});

export const HubMethods = [HubAgents, HubSubscribe, HubUnsubscribe, HubFollow, HubCall];
