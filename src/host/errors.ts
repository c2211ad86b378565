/**
 * The one error vocabulary of Switchboard. JSON-RPC codes, their HTTP statuses and the mapping
 * of unknown failures live here and nowhere else; no stack trace ever reaches a client.
 */
import { scrubDeep, scrubSecrets } from './secrets.js';
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** ACP: authentication required. */
  Unauthorized: -32000,
  Forbidden: -32001,
  /** ACP: resource not found. */
  NotFound: -32002,
  /** A turn is already running, a name is taken: the state conflicts with the request. */
  Conflict: -32003,
  PayloadTooLarge: -32004,
  /** A plugin failed to activate or a dependency is not available. */
  Unavailable: -32005,
  /** An upstream (provider, MCP server, voice server) failed. */
  UpstreamError: -32006,
  RateLimited: -32007,
  Timeout: -32008,
  /** Replay asked for events that were already evicted from the buffer. */
  Gone: -32009,
  /** A configuration file in $SWITCHBOARD_HOME is not valid (the message names it and what is wrong). */
  InvalidConfig: -32010,
  /** LSP/ACP convention for a request cancelled by the client. */
  RequestCancelled: -32800,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const httpStatusByCode: Record<number, number> = {
  [ErrorCodes.ParseError]: 400,
  [ErrorCodes.InvalidRequest]: 400,
  [ErrorCodes.MethodNotFound]: 404,
  [ErrorCodes.InvalidParams]: 400,
  [ErrorCodes.InternalError]: 500,
  [ErrorCodes.Unauthorized]: 401,
  [ErrorCodes.Forbidden]: 403,
  [ErrorCodes.NotFound]: 404,
  [ErrorCodes.Conflict]: 409,
  [ErrorCodes.PayloadTooLarge]: 413,
  [ErrorCodes.Unavailable]: 503,
  [ErrorCodes.UpstreamError]: 502,
  [ErrorCodes.RateLimited]: 429,
  [ErrorCodes.Timeout]: 504,
  [ErrorCodes.Gone]: 410,
  [ErrorCodes.InvalidConfig]: 500,
  [ErrorCodes.RequestCancelled]: 499,
};

/** The HTTP status for a JSON-RPC error code: the REST bridge's only mapping. */
export function httpStatusFor(code: number): number {
  return httpStatusByCode[code] ?? (code <= -32000 && code >= -32099 ? 500 : 500);
}

/**
 * An error that is safe to show a client: a code, a message that says what to do, and data.
 * Known secret values (and URL credentials) are scrubbed from both as it is made, whatever put
 * them there (a server's stderr, a provider's error body, a URL).
 */
export class RpcError extends Error {
  readonly data?: unknown;

  constructor(
    readonly code: number,
    message: string,
    data?: unknown,
  ) {
    super(scrubSecrets(message));
    this.name = 'RpcError';
    this.data = data === undefined ? undefined : scrubDeep(data, 0);
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static notFound(what: string, data?: unknown): RpcError {
    return new RpcError(ErrorCodes.NotFound, `${what} not found`, data);
  }
  static invalidParams(message: string, data?: unknown): RpcError {
    return new RpcError(ErrorCodes.InvalidParams, message, data);
  }
  static conflict(message: string, data?: unknown): RpcError {
    return new RpcError(ErrorCodes.Conflict, message, data);
  }
  static cancelled(message = 'request cancelled'): RpcError {
    return new RpcError(ErrorCodes.RequestCancelled, message);
  }
}

/** True when an error is the abort of an AbortSignal (DOMException or a Node AbortError). */
export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { name?: string }).name === 'AbortError' ||
      (err as { code?: string }).code === 'ABORT_ERR')
  );
}

/**
 * Maps anything thrown by a handler to a client-safe RpcError. Unknown errors become an
 * InternalError whose message names no internals; the caller logs the original.
 */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (isAbortError(err)) return RpcError.cancelled();
  return new RpcError(ErrorCodes.InternalError, 'internal error: the request failed; see the daemon log for details');
}
