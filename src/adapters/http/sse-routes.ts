import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, RpcError, toRpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import type { z } from 'zod';
import type { EventDecl, RouteStream } from '../../host/method.js';
import { sendError } from './respond.js';
import { restPeer } from './rest-peer.js';
import type { CompiledRoute } from './routes.js';
import { SseWriter, type SseWriterOptions } from './sse-writer.js';

/** A payload of a route's stream, as the bridge sees it: a record it reads `by` from. */
type Payload = Record<string, unknown>;

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

/** What selects the payloads of this stream: its `select`, or the value of its key param. */
function selectorOf(params: Record<string, unknown>, route: CompiledRoute, stream: RouteStream<any>): (e: Payload) => boolean {
  if (stream.select) return stream.select(params) as (e: Payload) => boolean;
  const by = stream.by as string;
  const key = params[by];
  if (key === undefined || key === null) {
    throw RpcError.invalidParams(`${route.verb} ${route.path} streams ${stream.event.name} by ${by} and needs a ${by}`);
  }
  return (e) => e[by] === key;
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
  const selected = selectorOf(params, route, stream);
  let writer: SseWriter | undefined;
  const start = () => (writer ??= openWriter(ctx, res, headers));
  const sub = ctx.host.events.on(stream.event as EventDecl<z.ZodType<Payload>>, (e) => {
    if (!selected(e)) return;
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

function eventsOf(result: unknown): Payload[] {
  const list = Array.isArray(result) ? result : (result as { events?: unknown } | null)?.events;
  return Array.isArray(list) ? (list as Payload[]) : [];
}

/**
 * A GET stream route: live payloads of a key with replay (e.g. `GET /sessions/{id}/events`). It subscribes first and
 * buffers, then asks the route's method for what came after the resume point, sends that, then
 * the live events: by seq, so nothing is lost between replay and live and nothing is sent twice.
 * A resume point already evicted gets an explicit `error` event (never a silent gap).
 */
export async function serveEventTail(
  ctx: StreamContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: CompiledRoute,
  params: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<void> {
  const stream = streamOf(route);
  const selected = selectorOf(params, route, stream);
  const seqOf = (e: Payload): number => {
    const n = stream.seq?.(e);
    if (typeof n !== 'number') throw new Error(`${route.verb} ${route.path}: a GET stream needs seq() on its declaration`);
    return n;
  };
  const after = resumePoint(req, params);
  let lastSeq = after ?? -1;
  let writer: SseWriter | undefined;
  const backlog: Payload[] = [];
  const emit = (e: Payload) => {
    const seq = seqOf(e);
    if (seq <= lastSeq || !writer || writer.closed) return;
    lastSeq = seq;
    writer.send(stream.name(e), e, seq);
  };
  const sub = ctx.host.events.on(stream.event as EventDecl<z.ZodType<Payload>>, (e) => {
    if (!selected(e)) return;
    if (writer) emit(e);
    else backlog.push(e);
  });
  const gone = new AbortController();
  res.once('close', () => {
    gone.abort();
    sub.dispose();
  });
  const replayOver = new AbortController();
  const peer = restPeer(ctx.host, replayOver.signal);
  try {
    let replay: Payload[] = [];
    let replayError: RpcError | undefined;
    let reportedLast: number | undefined;
    try {
      const replayParams = { ...params, ...(after === undefined ? {} : { after }) };
      const result = await ctx.host.dispatch(route.decl.name, replayParams, { signal: gone.signal, client: peer });
      replay = eventsOf(result);
      const last = (result as { lastSeq?: unknown } | null)?.lastSeq;
      if (typeof last === 'number') reportedLast = last;
    } catch (err) {
      const rpc = toRpcError(err);
      if (rpc.code !== ErrorCodes.Gone) throw rpc;
      replayError = rpc;
    }
    if (gone.signal.aborted) return;
    writer = openWriter(ctx, res, headers);
    if (replayError) {
      writer.send('error', replayError.toJSON());
      // The resume point is no use (evicted, or from before a restart): go live from here.
      lastSeq = -1;
    }
    if (after === undefined) {
      // Live only: what the method returned is what the client already has.
      for (const e of replay) lastSeq = Math.max(lastSeq, seqOf(e));
      if (reportedLast !== undefined) lastSeq = Math.max(lastSeq, reportedLast);
    }
    for (const e of [...replay, ...backlog].sort((a, b) => seqOf(a) - seqOf(b))) emit(e);
    backlog.length = 0;
    writer.comment('live');
  } catch (err) {
    sub.dispose();
    sendError(res, err, headers);
  } finally {
    replayOver.abort();
    await peer.dispose();
  }
}
