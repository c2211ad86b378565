import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { toRpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import type { EventDecl, RouteStream } from '../../host/method.js';
import { restPeer } from '../call-peer.js';
import { runTail, streamFilter, type Payload } from '../stream-tail.js';
import { sendError } from './respond.js';
import type { CompiledRoute } from './routes.js';
import { SseWriter, type SseWriterOptions } from './sse-writer.js';

export interface StreamContext {
  host: Host;
  writer: SseWriterOptions;
  /** Aborted at shutdown: the only thing that cancels a turn a stream started. */
  shutdown: AbortSignal;
  /** Open streams, so shutdown can end each with a final event. */
  open: Set<SseWriter>;
}

function streamOf(route: CompiledRoute): RouteStream<any> {
  if (!route.stream) throw new Error(`${route.verb} ${route.path} declares no stream`);
  return route.stream;
}


function openWriter(ctx: StreamContext, res: ServerResponse, headers: Record<string, string>): SseWriter {
  let w: SseWriter | undefined;
  // onClosed may run inside the constructor (client already gone), before `w` is assigned.
  w = new SseWriter(res, {
    ...ctx.writer,
    headers: { ...ctx.writer.headers, ...headers },
    onClosed: () => void (w && ctx.open.delete(w)),
  });
  if (!w.closed) ctx.open.add(w);
  return w;
}

/**
 * A POST stream route (a turn, e.g. `POST /sessions/{id}/message`): subscribes to the route's
 * declared event, dispatches the route's method, streams every payload of its key until the
 * method returns, then a `done` event with its result (the stop reason) or an `error` event. Until the first
 * event the answer is still a plain JSON error (404, 409…). The client going away stops the
 * stream, never the turn.
 */
export async function serveTurnStream(
  ctx: StreamContext,
  res: ServerResponse,
  route: CompiledRoute,
  params: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<void> {
  const stream = streamOf(route);
  const belongs = streamFilter(stream, params, `${route.verb} ${route.path}`);
  let writer: SseWriter | undefined;
  const start = () => (writer ??= openWriter(ctx, res, headers));
  const sub = ctx.host.events.on(stream.event as EventDecl<z.ZodType<Payload>>, (e) => {
    if (!belongs(e)) return;
    start().send(stream.name(e), e, stream.seq?.(e));
  });
  const turnOver = new AbortController();
  const peer = restPeer(ctx.host, turnOver.signal);
  try {
    const result = await ctx.host.dispatch(route.decl.name, params, { signal: ctx.shutdown, client: peer });
    // Events published in the same tick as the result still belong to the turn.
    await new Promise((r) => setImmediate(r));
    start().send('done', result);
  } catch (err) {
    if (writer) writer.send('error', toRpcError(err).toJSON());
    else sendError(res, err, headers);
  } finally {
    sub.dispose();
    writer?.end();
    turnOver.abort();
    await peer.dispose();
  }
}

/** `Last-Event-ID` wins over `?after=`; neither means live only. */
function resumePoint(req: IncomingMessage, params: Record<string, unknown>): number | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && /^\d+$/.test(header.trim())) return Number(header.trim());
  return typeof params.after === 'number' ? params.after : undefined;
}

/**
 * A GET stream route as SSE (e.g. `GET /sessions/{id}/events`, `GET /hub/feed`): the shared
 * tail (replay after `Last-Event-ID` / `?after=`, then live, merged by seq; an evicted resume
 * point is an explicit `error` event), written as `id:` seq, `event:` name, `data:` JSON.
 */
export async function serveEventTail(
  ctx: StreamContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: CompiledRoute,
  params: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<void> {
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const replayOver = new AbortController();
  const peer = restPeer(ctx.host, replayOver.signal);
  try {
    await runTail(
      { host: ctx.host, decl: route.decl, stream: streamOf(route), label: `${route.verb} ${route.path}`, params, after: resumePoint(req, params), gone: gone.signal, peer },
      () => {
        const writer = openWriter(ctx, res, headers);
        return {
          get closed() {
            return writer.closed;
          },
          send: (name, payload, seq) => writer.send(name, payload, seq),
          gone: (err) => writer.send('error', err.toJSON()),
          live: () => writer.comment('live'),
        };
      },
    );
  } catch (err) {
    sendError(res, err, headers);
  } finally {
    replayOver.abort();
    await peer.dispose();
  }
}
