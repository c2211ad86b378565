import type { z } from 'zod';
import type { ClientPeer } from '../host/client.js';
import { ErrorCodes, RpcError, toRpcError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import type { EventDecl, MethodDecl, RouteStream } from '../host/method.js';

/** A payload of a declared stream, as an adapter sees it: a record it reads `by` from. */
export type Payload = Record<string, unknown>;

/** Where a tail's frames go (an SSE response, a WebSocket). Opened only once the replay is known. */
export interface TailSink {
  readonly closed: boolean;
  send(name: string, payload: Payload, seq: number): void;
  /** The resume point was evicted: said once, explicitly, before going live. */
  gone(err: RpcError): void;
  /** Replay done; live from here. */
  live(): void;
}

export interface TailRequest {
  host: Host;
  decl: MethodDecl;
  stream: RouteStream<any>;
  /** `VERB /path` for error messages. */
  label: string;
  params: Record<string, unknown>;
  /** The resume point (`Last-Event-ID`, `?after=`); undefined: live only. */
  after: number | undefined;
  /** Aborted when the client goes away: ends the subscription. */
  gone: AbortSignal;
  /** The caller of the replay method. */
  peer: ClientPeer;
}

/**
 * Which payloads belong to this stream: those its `select` accepts, or whose `by` field equals
 * the param of that name. A missing key param is the client's error.
 */
export function streamFilter(stream: RouteStream<any>, params: Record<string, unknown>, label: string): (e: Payload) => boolean {
  if (stream.select) return stream.select(params) as (e: Payload) => boolean;
  const by = stream.by as string;
  const key = params[by];
  if (key === undefined || key === null) throw RpcError.invalidParams(`${label} streams ${stream.event.name} by ${by} and needs a ${by}`);
  return (e) => e[by] === key;
}

function eventsOf(result: unknown): Payload[] {
  const list = Array.isArray(result) ? result : (result as { events?: unknown } | null)?.events;
  return Array.isArray(list) ? (list as Payload[]) : [];
}

/**
 * A GET stream, whatever carries it: subscribes to the declared event first and holds what comes,
 * asks the route's method for what came after the resume point, then sends both merged by seq
 * (nothing lost between replay and live, nothing twice), then live payloads until `gone` aborts.
 * An evicted resume point becomes one explicit `gone` frame, never a silent gap. Other failures
 * of the replay are thrown before the sink is opened, so the caller can answer them plainly.
 */
export async function runTail(req: TailRequest, open: () => TailSink): Promise<void> {
  const { stream, label } = req;
  const belongs = streamFilter(stream, req.params, label);
  const seqOf = (e: Payload): number => {
    const n = stream.seq?.(e);
    if (typeof n !== 'number') throw new Error(`${label}: a GET stream needs seq() on its declaration`);
    return n;
  };
  let lastSeq = req.after ?? -1;
  let sink: TailSink | undefined;
  const held: Payload[] = [];
  const emit = (e: Payload) => {
    const seq = seqOf(e);
    if (seq <= lastSeq || !sink || sink.closed) return;
    lastSeq = seq;
    sink.send(stream.name(e), e, seq);
  };
  const sub = req.host.events.on(stream.event as EventDecl<z.ZodType<Payload>>, (e) => {
    if (!belongs(e)) return;
    if (sink) emit(e);
    else held.push(e);
  });
  req.gone.addEventListener('abort', () => sub.dispose(), { once: true });
  try {
    let replay: Payload[] = [];
    let replayError: RpcError | undefined;
    let reportedLast: number | undefined;
    try {
      const replayParams = { ...req.params, ...(req.after === undefined ? {} : { after: req.after }) };
      const result = await req.host.dispatch(req.decl.name, replayParams, { signal: req.gone, client: req.peer });
      replay = eventsOf(result);
      const last = (result as { lastSeq?: unknown } | null)?.lastSeq;
      if (typeof last === 'number') reportedLast = last;
    } catch (err) {
      const rpc = toRpcError(err);
      if (rpc.code !== ErrorCodes.Gone) throw rpc;
      replayError = rpc;
    }
    if (req.gone.aborted) return;
    sink = open();
    if (replayError) {
      sink.gone(replayError);
      // The resume point is no use (evicted, or from before a restart): go live from here.
      lastSeq = -1;
    }
    if (req.after === undefined) {
      // Live only: what the method returned is what the client already has.
      for (const e of replay) lastSeq = Math.max(lastSeq, seqOf(e));
      if (reportedLast !== undefined) lastSeq = Math.max(lastSeq, reportedLast);
    }
    for (const e of [...replay, ...held].sort((a, b) => seqOf(a) - seqOf(b))) emit(e);
    held.length = 0;
    sink.live();
  } catch (err) {
    sub.dispose();
    throw err;
  }
}
