import { z } from 'zod';
import type { Disposable } from '../../host/disposable.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { defineMethod, type EventDecl } from '../../host/method.js';
import type { PluginContext } from '../../host/plugin.js';

export const HostSubscribe = defineMethod({
  name: 'host/subscribe',
  description:
    'Subscribes this connection (stdio, WebSocket) to declared events by name (host/methods lists them): each one then arrives as a JSON-RPC notification whose method is the event name and whose params are its payload, until the connection closes or host/unsubscribe. Over HTTP use GET /events instead.',
  params: z.object({ events: z.array(z.string()).min(1) }),
  result: z.object({ events: z.array(z.string()) }),
});

export const HostUnsubscribe = defineMethod({
  name: 'host/unsubscribe',
  description: 'Ends this connection\'s subscriptions to the named events (all of them when `events` is absent).',
  params: z.object({ events: z.array(z.string()).optional() }).optional(),
  result: z.object({ events: z.array(z.string()) }),
});

/**
 * Plugin events for clients: `host/subscribe` for connections that take notifications, and a
 * raw SSE endpoint `GET /events?event=<name>` (repeatable) for HTTP clients. Generic over every
 * declared event: a plugin only declares and emits, it never learns who listens.
 */
export function serveEventFeed(ctx: PluginContext): void {
  const byClient = new Map<string, Map<string, Disposable>>();
  const declOf = (names: readonly string[]): EventDecl[] => {
    const all = ctx.host.eventDecls();
    return names.map((n) => {
      const decl = all.find((e) => e.name === n);
      if (!decl) throw RpcError.invalidParams(`unknown event "${n}"; host/methods lists the declared events: ${all.map((e) => e.name).join(', ')}`);
      return decl;
    });
  };

  ctx.handle(HostSubscribe, async ({ events }, call) => {
    if (call.client.transport === 'http') throw new RpcError(ErrorCodes.InvalidRequest, 'a REST call cannot receive notifications: use GET /events?event=<name> (SSE)');
    // Events of plugins that start after the host serves are declared once they have.
    await ctx.host.settled();
    const decls = declOf(events);
    let subs = byClient.get(call.client.id);
    if (!subs) {
      byClient.set(call.client.id, (subs = new Map()));
      const done = () => {
        for (const d of subs!.values()) void d.dispose();
        byClient.delete(call.client.id);
      };
      call.client.closed.addEventListener('abort', done, { once: true });
      ctx.subscriptions.defer(done);
    }
    for (const decl of decls) {
      if (subs.has(decl.name)) continue;
      const client = call.client;
      subs.set(decl.name, ctx.events.on(decl, (payload) => client.notify(decl.name, payload)));
    }
    return { events: [...subs.keys()] };
  });

  ctx.handle(HostUnsubscribe, (params, call) => {
    const subs = byClient.get(call.client.id);
    const names = params?.events ?? [...(subs?.keys() ?? [])];
    for (const n of names) {
      void subs?.get(n)?.dispose();
      subs?.delete(n);
    }
    return { events: names };
  });

  ctx.endpoints.add({
    path: '/events',
    methods: ['GET'],
    description: 'SSE of declared events, live: ?event=<name> (repeatable); each frame is `event: <name>`, `id: <n>`, `data: <payload JSON>`',
    handle(request) {
      const names = new URL(request.url).searchParams.getAll('event');
      if (!names.length) throw RpcError.invalidParams('GET /events needs ?event=<name> (repeatable); host/methods lists the declared events');
      const decls = declOf(names);
      const encoder = new TextEncoder();
      let n = 0;
      const subs: Disposable[] = [];
      const stop = () => subs.splice(0).forEach((d) => void d.dispose());
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(': subscribed\n\n'));
          for (const decl of decls) {
            subs.push(ctx.events.on(decl, (payload) => controller.enqueue(encoder.encode(`event: ${decl.name}\nid: ${++n}\ndata: ${JSON.stringify(payload)}\n\n`))));
          }
          request.signal.addEventListener('abort', () => {
            stop();
            try {
              controller.close();
            } catch {
              /* already closed */
            }
          }, { once: true });
        },
        cancel: stop,
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
    },
  });
}
