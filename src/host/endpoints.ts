import type { z } from 'zod';
import type { ClientPeer } from './client.js';
import type { Disposable } from './disposable.js';

export type RawVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a raw endpoint's handler gets beside the request. */
export interface RawEndpointContext {
  /**
   * Aborted when the client goes away (the connection closes before the response is complete)
   * or the daemon stops. The same signal is `request.signal`.
   */
  readonly signal: AbortSignal;
  /** The caller as a host client, to dispatch host methods on its behalf (`ctx.call(…, {signal, client})`). */
  readonly client: ClientPeer;
}

/**
 * An HTTP endpoint that is not a JSON-RPC method (MCP's Streamable HTTP at `/mcp`, raw audio in,
 * streamed audio out…), in web-standard `Request`/`Response` types so that no plugin sees
 * Node's HTTP types or an adapter. The HTTP adapter serves every declared endpoint generically
 * after the same checks as every route (token, Host, Origin); a plugin never checks auth.
 *
 * - The request body is a `ReadableStream` of the raw bytes (no JSON parsing is done for you:
 *   `await request.json()`, `request.arrayBuffer()` or read `request.body` as a stream). A body
 *   over `maxBodyBytes` gets 413 before the handler runs (by `Content-Length`) or makes the
 *   body stream error with a PayloadTooLarge `RpcError`, which the adapter answers with 413.
 * - The response body may be a `ReadableStream`: it is written as it is produced, with
 *   back-pressure; when the client goes away the stream is cancelled and `request.signal` aborts.
 * - A thrown `RpcError` becomes the one JSON error shape with its HTTP status.
 *
 * @example
 * ```ts
 * ctx.endpoints.add({
 *   path: '/api/stt', methods: ['POST'], description: 'audio → text',
 *   maxBodyBytes: 50 * 1024 * 1024,
 *   async handle(request) {
 *     const audio = new Uint8Array(await request.arrayBuffer());
 *     return Response.json({ text: await transcribe(audio, request.signal) });
 *   },
 * });
 * ctx.endpoints.add({
 *   path: '/api/tts', methods: ['POST'], description: 'text → streamed audio/wav',
 *   async handle(request) {
 *     const { text } = await request.json();
 *     return new Response(synthesize(text, request.signal), { headers: { 'content-type': 'audio/wav' } });
 *   },
 * });
 * ```
 */
/**
 * What the OpenAPI document says of a raw endpoint beyond its verbs and description: its path
 * template (a prefix endpoint's `/api/download/{path}`), parameters, body and responses, with
 * zod schemas where the bodies are JSON (the same declarations the endpoint parses with).
 */
export interface RawEndpointDoc {
  /** The path as OpenAPI shows it; `{name}` segments become path parameters. Default: `path`. */
  readonly path?: string;
  readonly parameters?: readonly { name: string; in: 'query' | 'header'; required?: boolean; description: string }[];
  readonly request?: { readonly contentType: string; readonly schema?: z.ZodType; readonly description?: string };
  /** By status (`'200'`, `'206'`, `'413'`…). */
  readonly responses?: Readonly<Record<string, { readonly description: string; readonly contentType?: string; readonly schema?: z.ZodType }>>;
}

export interface RawEndpoint {
  /** An exact path (`/mcp`) or a prefix ending in `/` (`/files/`). Routes of the method table win over it. */
  readonly path: string;
  /** The verbs it answers (default: all). Another verb gets 404 with the allowed ones in `data.allow`. */
  readonly methods?: readonly RawVerb[];
  /** One line for discovery (`host/endpoints` is not a method; the OpenAPI document lists it). */
  readonly description: string;
  /** For the OpenAPI document (optional): path template, parameters, bodies. */
  readonly doc?: RawEndpointDoc;
  /** Largest request body in bytes; default: the server's `--max-body-bytes` (1 MiB). */
  readonly maxBodyBytes?: number;
  handle(request: Request, ctx: RawEndpointContext): Response | Promise<Response>;
}

/** The host's table of raw endpoints: plugins add (through `ctx.endpoints`), adapters serve. */
export interface RawEndpoints {
  /** Adds an endpoint; the same path twice throws. The disposable removes it. */
  add(endpoint: RawEndpoint): Disposable;
  /** The endpoint serving a path: an exact path first, else the longest matching prefix. */
  find(pathname: string): RawEndpoint | undefined;
  list(): readonly RawEndpoint[];
}

export class RawEndpointRegistry implements RawEndpoints {
  private readonly endpoints: RawEndpoint[] = [];

  add(endpoint: RawEndpoint): Disposable {
    if (!endpoint.path.startsWith('/')) throw new Error(`raw endpoint path "${endpoint.path}" must start with /`);
    if (this.endpoints.some((e) => e.path === endpoint.path)) throw new Error(`raw endpoint ${endpoint.path} is already declared`);
    this.endpoints.push(endpoint);
    return {
      dispose: () => {
        const i = this.endpoints.indexOf(endpoint);
        if (i >= 0) this.endpoints.splice(i, 1);
      },
    };
  }

  find(pathname: string): RawEndpoint | undefined {
    const exact = this.endpoints.find((e) => e.path === pathname);
    if (exact) return exact;
    let best: RawEndpoint | undefined;
    for (const e of this.endpoints) {
      if (e.path.endsWith('/') && pathname.startsWith(e.path) && (!best || e.path.length > best.path.length)) best = e;
    }
    return best;
  }

  list(): readonly RawEndpoint[] {
    return [...this.endpoints];
  }
}
