import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { z } from 'zod';
import type { ClientPeer } from '../../src/host/client.js';
import { ErrorCodes, RpcError } from '../../src/host/errors.js';
import { defineMethod } from '../../src/host/method.js';
import type { Plugin } from '../../src/host/plugin.js';
import { SessionEventBus, SessionStream, type SessionEvent, type UnsequencedSessionEvent } from '../../src/plugins/sessions/contract.js';

/**
 * A plugin for the HTTP bridge's tests, loaded by the real daemon from `$SWITCHBOARD_HOME/plugins`:
 * routes of every shape (path params, query coercion, JSON body, SSE turn and tail streams) over
 * the real SessionEventBus contract, so the bridge is proven generic, without the sessions plugin.
 */
const Echo = defineMethod({
  name: 'fake/echo',
  description: 'echoes its params',
  params: z.object({ text: z.string(), n: z.number().int().optional() }),
  result: z.object({ text: z.string(), n: z.number().optional() }),
  rest: { verb: 'POST', path: '/fake-echo', status: 201 },
});
const Peers = defineMethod({
  name: 'fake/peers',
  description: 'how many clients that called fake/echo are still open (a REST call closes its peer when it ends)',
  params: z.object({}).optional(),
  result: z.object({ seen: z.number(), open: z.number(), transports: z.array(z.string()) }),
  rest: { verb: 'GET', path: '/fake-peers' },
});
const Child = defineMethod({
  name: 'fake/child',
  description: 'the pid of the child process this plugin owns (SWITCHBOARD_FAKE_CHILD=1), killed on dispose',
  params: z.object({}).optional(),
  result: z.object({ pid: z.number().nullable() }),
  rest: { verb: 'GET', path: '/fake-child' },
});
const Item = defineMethod({
  name: 'fake/item',
  description: 'shows how path and query params arrive',
  params: z.object({ itemId: z.string(), count: z.number().int().optional(), flag: z.boolean().optional(), tags: z.array(z.string()).optional() }),
  result: z.object({ itemId: z.string(), count: z.number().optional(), flag: z.boolean().optional(), tags: z.array(z.string()).optional() }),
  rest: [
    { verb: 'GET', path: '/fake-items/{item_id}' },
    { verb: 'DELETE', path: '/fake-items/{item_id}' },
  ],
});
const Open = defineMethod({
  name: 'fake/open',
  description: 'opens a fake session',
  params: z.object({ sessionId: z.string(), keep: z.number().int().default(1000) }),
  result: z.object({ sessionId: z.string() }),
  rest: { verb: 'POST', path: '/fake/{session_id}' },
});
const Prompt = defineMethod({
  name: 'fake/prompt',
  description: 'a turn: turn_started, `tokens` chunks (pausing at `pauseAt` until released; chunk `bigAt` holds `bigBytes` of text), turn_ended',
  params: z.object({
    sessionId: z.string(),
    tokens: z.number().int().default(5),
    pauseAt: z.number().int().optional(),
    bigAt: z.number().int().optional(),
    bigBytes: z.number().int().optional(),
  }),
  result: z.object({ stopReason: z.string() }),
  rest: { verb: 'POST', path: '/fake/{session_id}/message', stream: SessionStream },
});
const Release = defineMethod({
  name: 'fake/release',
  description: 'lets a paused turn go on',
  params: z.object({ sessionId: z.string() }),
  result: z.object({ released: z.boolean() }),
  rest: { verb: 'POST', path: '/fake/{session_id}/release' },
});
const Events = defineMethod({
  name: 'fake/events',
  description: 'the events after a seq, from a bounded buffer (Gone when evicted)',
  params: z.object({ sessionId: z.string(), after: z.number().int().optional() }),
  result: z.object({ events: z.array(z.record(z.string(), z.unknown())) }),
  rest: { verb: 'GET', path: '/fake/{session_id}/events', stream: SessionStream },
});

interface FakeSession {
  seq: number;
  keep: number;
  events: SessionEvent[];
  running: boolean;
  release?: () => void;
}

const plugin: Plugin = {
  name: 'fake-stream',
  methods: [Echo, Peers, Child, Item, Open, Prompt, Release, Events],
  activate(ctx) {
    const sessions = new Map<string, FakeSession>();
    const get = (id: string) => {
      const s = sessions.get(id);
      if (!s) throw RpcError.notFound(`session "${id}"`);
      return s;
    };
    const publish = (sessionId: string, e: UnsequencedSessionEvent) => {
      const s = get(sessionId);
      const event = { ...e, sessionId, seq: ++s.seq } as SessionEvent;
      s.events.push(event);
      if (s.events.length > s.keep) s.events.shift();
      ctx.events.emit(SessionEventBus, event);
    };
    // A raw endpoint, as the MCP plugin adds `/mcp`: the bridge checks auth first, then hands it over.
    ctx.endpoints.add({
      path: '/fake-mount/',
      description: 'echoes the request',
      async handle(request) {
        const url = new URL(request.url);
        const text = await request.text();
        return Response.json({ method: request.method, url: url.pathname + url.search, body: text ? JSON.parse(text) : null });
      },
    });
    // A long-lived child owned by the plugin, as an MCP server or a shell would be.
    let child: ChildProcess | undefined;
    if (ctx.config.env.SWITCHBOARD_FAKE_CHILD === '1') {
      const c = spawn('sleep', ['300'], { stdio: 'ignore' });
      child = c;
      ctx.subscriptions.add({
        dispose: async () => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const exited = once(c, 'exit');
          c.kill('SIGTERM');
          await exited;
        },
      });
    }
    ctx.handle(Child, () => ({ pid: child?.pid ?? null }));
    const peers: ClientPeer[] = [];
    ctx.handle(Echo, (p, call) => {
      peers.push(call.client);
      return p;
    });
    ctx.handle(Peers, () => ({
      seen: peers.length,
      open: peers.filter((c) => !c.closed.aborted).length,
      transports: [...new Set(peers.map((c) => c.transport))],
    }));
    ctx.handle(Item, (p) => p);
    ctx.handle(Open, ({ sessionId, keep }) => {
      sessions.set(sessionId, { seq: 0, keep, events: [], running: false });
      return { sessionId };
    });
    ctx.handle(Release, ({ sessionId }) => {
      const s = get(sessionId);
      const r = s.release;
      s.release = undefined;
      r?.();
      return { released: r !== undefined };
    });
    ctx.handle(Events, ({ sessionId, after }) => {
      const s = get(sessionId);
      const from = after ?? 0;
      const oldest = s.events[0]?.seq ?? s.seq + 1;
      if (from < oldest - 1) throw new RpcError(ErrorCodes.Gone, `events after ${from} were evicted; the oldest kept is ${oldest}`, { oldest });
      return { events: s.events.filter((e) => e.seq > from) };
    });
    ctx.handle(Prompt, async ({ sessionId, tokens, pauseAt, bigAt, bigBytes }) => {
      const s = get(sessionId);
      if (s.running) throw RpcError.conflict(`a turn is already running in session "${sessionId}"`);
      s.running = true;
      try {
        publish(sessionId, { type: 'turn_started', turnId: 't' });
        for (let i = 0; i < tokens; i++) {
          if (i === pauseAt) await new Promise<void>((r) => (s.release = r));
          const text = i === bigAt ? 'x'.repeat(bigBytes ?? 0) : `t${i} `;
          publish(sessionId, { type: 'update', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } } });
        }
        publish(sessionId, { type: 'turn_ended', turnId: 't', stopReason: 'end_turn' });
        return { stopReason: 'end_turn' };
      } finally {
        s.running = false;
      }
    });
  },
};

export default plugin;
