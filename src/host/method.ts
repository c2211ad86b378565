import { z } from 'zod';

/** How a method is reached over the REST bridge (see shared/ROUTES.md). */
export interface RestRoute {
  verb: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /**
   * Path in ROUTES.md form, e.g. `/sessions/{session_id}`. Path parameters become params fields
   * by camel-casing (`session_id` → `sessionId`); the query string (GET) or JSON body fills the rest.
   */
  path: string;
  /** `sse`: the route answers with an event stream rather than one JSON body. */
  stream?: 'sse';
  /** Success status when it is not 200 (e.g. 201 for a create). */
  status?: number;
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
