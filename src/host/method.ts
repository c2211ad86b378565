import { z } from 'zod';

/** How a method is reached over the REST bridge (see shared/ROUTES.md). */
export interface RestRoute {
  verb: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * Path in ROUTES.md form, e.g. `/sessions/{session_id}`. Path parameters become params fields
   * by camel-casing (`session_id` → `sessionId`); the query string (GET) or JSON body fills the rest.
   */
  path: string;
  /**
   * Set when the route answers with an SSE stream of a declared event rather than one JSON body;
   * the HTTP bridge subscribes to the event generically (see {@link RouteStream}).
   */
  stream?: RouteStream<any>;
  /** Success status when it is not 200 (e.g. 201 for a create). */
  status?: number;
}

/**
 * The event stream a REST route serves: which declared event, selected by which param, named
 * how. The HTTP bridge knows nothing else about the stream (it knows no plugin):
 *
 * - **POST** route (a turn): the bridge subscribes to `event`, dispatches the method, sends every
 *   payload whose `payload[by] === params[by]` until the method returns, then an event `done`
 *   with the method's result, or `error` with the client-safe error. Until the first payload a
 *   failure is a plain JSON error (404, 409…). The client going away stops the stream, not the call.
 * - **GET** route (a tail): the bridge subscribes first, then dispatches the method with
 *   `after` = the resume point (`Last-Event-ID` or `?after=`); the method answers
 *   `{events: Payload[], lastSeq?: number}` (what came after it) or throws Gone (-32009), which
 *   becomes an `error` event before going live. Replay and live are merged by `seq`, so nothing
 *   is lost or sent twice.
 *
 * The OpenAPI document describes the stream's frames from `event.payload`.
 *
 * @example
 * ```ts
 * export const LogStream = defineStream({
 *   event: LogLineEvent, by: 'file', name: (l) => l.level, seq: (l) => l.seq,
 * });
 * defineMethod({ name: 'logs/stream', …, rest: { verb: 'GET', path: '/logs/stream', stream: LogStream } });
 * ```
 */
export interface RouteStream<E extends EventDecl = EventDecl> {
  /** The declared event (one of some plugin's `events`) whose payloads the stream carries. */
  readonly event: E;
  /** The params field, and the payload field of the same name, that selects the payloads. */
  readonly by?: string;
  /**
   * Instead of `by`, for streams selected by more than one key (a file list, a level, a
   * pattern): builds once per stream, from the request's params, the test each payload must
   * pass. It may throw an RpcError (bad params), which the client gets as the JSON error.
   * A GET stream's method is still asked for the replay with the same params.
   */
  select?(params: Record<string, unknown>): (payload: PayloadOf<E>) => boolean;
  /**
   * A GET stream may also be served over WebSocket at this path (e.g. `/ws/hub/feed`): the
   * same replay and live payloads, one JSON object per text frame; `?after=` resumes.
   */
  readonly ws?: string;
  /** The SSE `event:` name of a payload (e.g. a session update's `sessionUpdate`). */
  name(payload: PayloadOf<E>): string;
  /** The SSE `id:` of a payload: a per-key monotonic number, the resume point. Required for GET streams. */
  seq?(payload: PayloadOf<E>): number;
}

export function defineStream<E extends EventDecl>(stream: RouteStream<E>): RouteStream<E> {
  return Object.freeze(stream);
}

/**
 * One wire method, declared once. Dispatch validation, the REST bridge, the OpenAPI document and
 * `host/methods` are all derived from this declaration; never write a second copy of its types.
 */
export interface MethodDecl<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly params: P;
  readonly result: R;
  readonly rest?: RestRoute | readonly RestRoute[];
}

/** A server-to-client message (notification or event), declared once like a method. */
export interface EventDecl<T extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly payload: T;
}

export type ParamsOf<M> = M extends MethodDecl<infer P, z.ZodType> ? z.output<P> : never;
/** What a handler returns: the result schema's input side (defaults may be omitted). */
export type ResultOf<M> = M extends MethodDecl<z.ZodType, infer R> ? z.input<R> : never;
/** What a caller receives. */
export type ResultOutOf<M> = M extends MethodDecl<z.ZodType, infer R> ? z.output<R> : never;
export type PayloadOf<E> = E extends EventDecl<infer T> ? z.output<T> : never;

export function defineMethod<P extends z.ZodType, R extends z.ZodType>(
  decl: MethodDecl<P, R>,
): MethodDecl<P, R> {
  return Object.freeze(decl);
}

export function defineEvent<T extends z.ZodType>(decl: EventDecl<T>): EventDecl<T> {
  return Object.freeze(decl);
}

/** Params schema for methods that take none: accepts `undefined`, `{}` or `null`. */
export const NoParams = z.object({}).strict().optional().nullable().describe('no parameters');

export function restRoutesOf(decl: MethodDecl): readonly RestRoute[] {
  if (!decl.rest) return [];
  return Array.isArray(decl.rest) ? (decl.rest as RestRoute[]) : [decl.rest as RestRoute];
}

/** What makes two REST routes the same: the verb and the path with its parameters unnamed. */
export function routeKey(route: Pick<RestRoute, 'verb' | 'path'>): string {
  const segments = route.path.split('/').filter(Boolean).map((s) => (s.startsWith('{') && s.endsWith('}') ? '{}' : s));
  return `${route.verb} /${segments.join('/')}`;
}

/** Which side sends a declared message: client→host methods are served, host→client ones are sent. */
export type Direction = 'client→host' | 'host→client';

/**
 * A message the host sends to a client: an ACP request the client answers
 * (`session/request_permission`, `fs/read_text_file`, `terminal/*`) or a notification
 * (`session/update`). Declared once like a method; listed by `host/methods` and the docs with
 * its direction; sent with `requestClient` / `notifyClient` (src/host/client-calls.ts), which
 * validate the client's answer against `result`.
 */
export interface ClientMethodDecl<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDecl<P, R> {
  readonly direction: 'host→client';
  /** True for a notification: no answer, `result` is `null`. */
  readonly notification: boolean;
}

export function defineClientRequest<P extends z.ZodType, R extends z.ZodType>(
  decl: Omit<MethodDecl<P, R>, 'rest'>,
): ClientMethodDecl<P, R> {
  return Object.freeze({ ...decl, direction: 'host→client' as const, notification: false });
}

export function defineClientNotification<P extends z.ZodType>(
  decl: Omit<MethodDecl<P, z.ZodNull>, 'rest' | 'result'>,
): ClientMethodDecl<P, z.ZodNull> {
  return Object.freeze({ ...decl, result: z.null(), direction: 'host→client' as const, notification: true });
}
