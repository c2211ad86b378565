import { z } from 'zod';
import { SessionEventPayload } from '../sessions/contract.js';
import { HubAgent, HubEventBody } from './schemas.js';

/**
 * The messages agents exchange with each other (over a Unix socket locally, over NATS subjects
 * on a mesh), declared once. They are not host methods: no client reaches them directly.
 */
export const AgentRecordSchema = HubAgent.omit({ self: true });

/** Observer → member, first on a local connection: the owner's token from the 0600 token file. */
export const PeerHello = {
  name: 'hub.hello',
  params: z.object({ token: z.string().max(1024), agentId: z.string().max(200), sessions: z.boolean().optional() }),
} as const;
/** Observer → member: it now wants every session event (someone follows a session), or no longer. */
export const PeerWant = { name: 'hub.want', params: z.object({ sessions: z.boolean() }) } as const;
export const PeerHelloResult = z.object({ record: AgentRecordSchema });

/** Observer → member: one allowlisted method call. */
export const PeerCall = { name: 'hub.call', params: z.object({ method: z.string().max(100), params: z.unknown().optional() }) } as const;

/** Member → observers: a hub event and the record as it is after it. */
export const PeerEvent = { name: 'hub.event', params: z.object({ event: HubEventBody, record: AgentRecordSchema }) } as const;
/** Member → observers: the record changed without an event (a title learnt later), or a heartbeat. */
export const PeerRecord = { name: 'hub.record', params: z.object({ record: AgentRecordSchema }) } as const;
/** Member → observers that asked for them: one session event, for followers. */
export const PeerSession = { name: 'hub.session', params: z.object({ event: SessionEventPayload }) } as const;
/** Member → observers: a clean exit is coming (so the observer says `exit`, not `crashed`). */
export const PeerLeaving = { name: 'hub.leaving', params: z.object({ agentId: z.string() }) } as const;

export type PeerEventMsg = z.infer<typeof PeerEvent.params>;
