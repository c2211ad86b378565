import { randomBytes } from 'node:crypto';
import { positiveSetting } from '../../host/config.js';
import type { CallContext } from '../../host/client.js';
import type { MethodDecl } from '../../host/method.js';
import type { Plugin, PluginContext } from '../../host/plugin.js';
import { notifyClient } from '../../host/client-calls.js';
import { SessionServiceToken, type SessionEvent } from '../sessions/contract.js';
import { checkAllowed, hubPeer, unknownAgent, type Dispatch } from './calls.js';
import { HubFeed } from './feed.js';
import { follow } from './follow.js';
import { LocalTransport } from './local/local-transport.js';
import { HubMember } from './member.js';
import { natsSettings } from './nats/options.js';
import { NatsTransport } from './nats/nats-transport.js';
import {
  HubAgents,
  HubCall,
  HubEventDecl,
  HubEventNotification,
  HubFollow,
  HubMethods,
  HubSubscribe,
  HubUnsubscribe,
  HubUpdateDecl,
  HubUpdateNotification,
} from './schemas.js';
import { HubSubscriptions } from './subscriptions.js';
import { HubView, type HubTransport } from './view.js';

/** A method reached by name (another plugin's), for ctx.call. */
const byName = (name: string) => ({ name }) as MethodDecl;

/**
 * The hub: every Switchboard process on this machine (or on a NATS mesh) joins it, and any
 * client of any of them can list, watch and steer all of them through `hub/*`.
 */
export const hubPlugin: Plugin = {
  name: 'hub',
  description: 'every agent visible and steerable from one place: local sockets or NATS',
  requires: [SessionServiceToken],
  methods: HubMethods,
  events: [HubEventDecl, HubUpdateDecl],
  clientMethods: [HubEventNotification, HubUpdateNotification],
  activate(ctx) {
    const env = ctx.config.env;
    const kind = ctx.config.command ?? 'embedded';
    const agentId = `${kind}-${randomBytes(5).toString('hex')}`;
    const feed = new HubFeed(ctx.events, positiveSetting(env.SWITCHBOARD_HUB_REPLAY_EVENTS, 10_000));
    const view = new HubView(agentId, feed, ctx.events);
    const subs = ctx.subscriptions.add(new HubSubscriptions());
    const sessions = ctx.require(SessionServiceToken);
    const internal = ctx.subscriptions.add(hubPeer(ctx.container, new AbortController().signal, 'self'));
    const dispatch: Dispatch = (method, params, call) => ctx.call(byName(method), params, call);
    const titleOf = async (sessionId: string) => {
      const s = (await dispatch('session/get', { sessionId }, { signal: new AbortController().signal, client: internal })) as { title?: string | null };
      return s.title ?? null;
    };
    const member = ctx.subscriptions.add(new HubMember({ agentId, kind, version: ctx.config.version }, sessions, ctx.events, titleOf));
    view.joined(member.record());
    ctx.subscriptions.add(member.onEvent((e) => view.event(e, member.record())));
    ctx.subscriptions.add(member.onChange(() => view.record(member.record())));
    ctx.subscriptions.add(member.onSessionEvent((e) => view.session(agentId, e)));

    const transport: HubTransport = createTransport(ctx, { member, view, dispatch, wantSessions: kind === 'serve' });
    ctx.subscriptions.add(transport);
    // Joining happens after activation, in the background: an editor's initialize never waits for it.
    const joining = setImmediate(() => {
      transport.start().catch((err) => ctx.logger.warn({ err: (err as Error).message }, 'could not join the hub; this agent works on, unseen by others'));
    });
    ctx.subscriptions.defer(() => clearImmediate(joining));

    ctx.subscriptions.add(
      ctx.status.add('hub', () => ({
        mode: transport.mode,
        agentId,
        agents: view.size,
        agentsSeen: view.seen,
        streams: subs.size,
        feed: { lastSeq: feed.lastSeq, oldestSeq: feed.oldestSeq },
        ...transport.status(),
      })),
    );

    const callAgent = (target: string, method: string, params: unknown, call: CallContext): Promise<unknown> => {
      checkAllowed(method);
      if (target === agentId) return dispatch(method, params, call);
      if (!view.get(target)) return Promise.reject(unknownAgent(target));
      return transport.call(target, method, params, call.signal);
    };

    ctx.handle(HubAgents, () => ({ mode: transport.mode, agents: view.list() }));

    ctx.handle(HubSubscribe, (p, call) => {
      const events = feed.after(p?.after);
      const sub = ctx.events.on(HubEventDecl, (e) => notifyClient(call.client, HubEventNotification, e));
      const subscriptionId = subs.add('hsub', call.client, () => sub.dispose());
      return { subscriptionId, events, lastSeq: feed.lastSeq, oldestSeq: feed.oldestSeq };
    });

    ctx.handle(HubUnsubscribe, ({ subscriptionId }, call) => ({ unsubscribed: subs.remove(subscriptionId, call.client) }));

    ctx.handle(HubFollow, ({ agentId: target, sessionId, after }, call) => {
      if (!view.get(target)) throw unknownAgent(target);
      transport.wantSessionEvents();
      return follow(
        {
          view,
          subs,
          events: async (aid, sid, from, c) =>
            (await callAgent(aid, 'session/events', { sessionId: sid, ...(from === undefined ? {} : { after: from }) }, c)) as {
              events: SessionEvent[];
              lastSeq: number;
              oldestSeq: number;
            },
        },
        target,
        sessionId,
        after,
        call,
      );
    });

    ctx.handle(HubCall, ({ agentId: target, method, params }, call) => callAgent(target, method, params, call) as Promise<never>);
  },
};

interface TransportDeps {
  member: HubMember;
  /** Ask for every agent's session events from the start (serve, whose clients follow over SSE). */
  wantSessions: boolean;
  view: HubView;
  dispatch: Dispatch;
}

function createTransport(ctx: PluginContext, deps: TransportDeps): HubTransport {
  const env = ctx.config.env;
  const url = env.SWITCHBOARD_HUB_URL?.trim();
  if (url) {
    const hubName = env.SWITCHBOARD_HUB_NAME?.trim() || 'switchboard';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(hubName)) throw new Error('SWITCHBOARD_HUB_NAME must be 1-64 letters, digits, _ or -');
    return new NatsTransport({
      settings: natsSettings(url, env),
      hubName,
      member: deps.member,
      sink: deps.view,
      dispatch: deps.dispatch,
      container: ctx.container,
      logger: ctx.logger,
      beatMs: positiveSetting(env.SWITCHBOARD_HUB_HEARTBEAT_MS, 500),
      wantSessions: deps.wantSessions,
    });
  }
  return new LocalTransport({
    home: ctx.config.home,
    member: deps.member,
    sink: deps.view,
    dispatch: deps.dispatch,
    container: ctx.container,
    logger: ctx.logger,
    maxQueue: positiveSetting(env.SWITCHBOARD_HUB_MAX_QUEUE, 10_000),
    rescanMs: positiveSetting(env.SWITCHBOARD_HUB_RESCAN_MS, 2000),
    wantSessions: deps.wantSessions,
  });
}
