import type { CallContext } from '../../host/client.js';
import type { SessionEvent } from '../sessions/contract.js';
import type { HubSubscriptions } from './subscriptions.js';
import { notifyClient } from '../../host/client-calls.js';
import { HubUpdateNotification } from './schemas.js';
import type { HubView } from './view.js';

export interface FollowDeps {
  view: HubView;
  subs: HubSubscriptions;
  /** `session/events` on the agent, through the hub (or locally for this agent). */
  events(agentId: string, sessionId: string, after: number | undefined, ctx: CallContext): Promise<{ events: SessionEvent[]; lastSeq: number; oldestSeq: number }>;
}

/**
 * hub/follow: listens first and holds what arrives, asks the agent for the events after the
 * resume point, then answers with both (by seq: nothing lost between the two, nothing twice)
 * and streams the rest as hub/update notifications.
 */
export async function follow(deps: FollowDeps, agentId: string, sessionId: string, after: number | undefined, call: CallContext) {
  const held: SessionEvent[] = [];
  let lastSent = Number.POSITIVE_INFINITY;
  let live = false;
  const sub = deps.view.onSession((aid, e) => {
    if (aid !== agentId || e.sessionId !== sessionId) return;
    if (!live) return void held.push(e);
    if (e.seq <= lastSent) return;
    lastSent = e.seq;
    notifyClient(call.client, HubUpdateNotification, { agentId, sessionId, seq: e.seq, event: e });
  });
  const offLeft = deps.view.onLeft((aid) => aid === agentId && deps.subs.remove(subscriptionId));
  let subscriptionId = '';
  try {
    const replay = await deps.events(agentId, sessionId, after, call);
    const from = after ?? replay.lastSeq;
    const seen = new Set<number>();
    const events = [...(after === undefined ? [] : replay.events), ...held]
      .filter((e) => e.seq > from && !seen.has(e.seq) && seen.add(e.seq))
      .sort((a, b) => a.seq - b.seq);
    lastSent = events.at(-1)?.seq ?? from;
    live = true;
    subscriptionId = deps.subs.add('hfol', call.client, () => {
      sub.dispose();
      offLeft.dispose();
    });
    return {
      subscriptionId,
      agentId,
      sessionId,
      events: events.map((event) => ({ agentId, sessionId, seq: event.seq, event })),
      lastSeq: Math.max(replay.lastSeq, lastSent),
      oldestSeq: replay.oldestSeq,
    };
  } catch (err) {
    sub.dispose();
    offLeft.dispose();
    throw err;
  }
}
