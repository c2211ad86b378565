import type { Message } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../host/errors.js';

export type RpcId = string | number | null;

/** A framing or envelope problem, answered to the client without reaching the host. */
export interface FrameError {
  id: RpcId;
  code: number;
  message: string;
  data?: unknown;
}

/**
 * `ok`: a message vscode-jsonrpc can handle. `error`: answer it. `drop`: a notification or a
 * response that cannot be handled and must not be answered (JSON-RPC answers neither); the
 * reason is only logged.
 */
export type Checked = { ok: true; message: Message } | { ok: false; error: FrameError } | { ok: false; drop: string };

/**
 * Deepest nesting of arrays and objects accepted. vscode-jsonrpc, zod and JSON.stringify all
 * recurse: a 10,000-deep value parses but overflows the stack when it is echoed or logged.
 */
export const MAX_DEPTH = 128;

const isId = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** Both spellings of cancellation and the id field each one carries. */
const CANCEL_ID_FIELD: Record<string, string> = { '$/cancelRequest': 'id', '$/cancel_request': 'requestId' };

/**
 * Checks one framed text as a JSON-RPC 2.0 message before vscode-jsonrpc sees it. vscode-jsonrpc
 * trusts its input: it drops odd messages silently, wedges on `"id": null` requests and throws
 * (taking the process down) on a `$/cancelRequest` without an id. So only messages of a shape it
 * handles pass; everything else is answered here or, for notifications and responses, dropped.
 */
export function checkEnvelope(text: string): Checked {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(null, ErrorCodes.ParseError, `parse error: ${(err as Error).message}; each frame must hold one JSON object`);
  }
  if (Array.isArray(value)) {
    return fail(null, ErrorCodes.InvalidRequest, 'batch requests are not supported: send one JSON-RPC message per frame');
  }
  if (typeof value !== 'object' || value === null) {
    return fail(null, ErrorCodes.InvalidRequest, `a JSON-RPC message must be an object, got ${value === null ? 'null' : typeof value}`);
  }
  const m = value as Record<string, unknown>;
  const id: RpcId = isId(m.id) ? m.id : null;
  if (!('method' in m) && ('result' in m || 'error' in m)) return checkResponse(m);
  if (depthOver(m, MAX_DEPTH)) {
    return fail(id, ErrorCodes.InvalidRequest, `the message is nested more than ${MAX_DEPTH} levels deep`, { maxDepth: MAX_DEPTH });
  }
  if (m.jsonrpc !== '2.0') {
    return fail(id, ErrorCodes.InvalidRequest, `"jsonrpc" must be "2.0", got ${describe(m.jsonrpc)}`);
  }
  if ('id' in m && !isId(m.id)) {
    return fail(
      null,
      ErrorCodes.InvalidRequest,
      m.id === null
        ? '"id" may not be null: its answer could not be matched to it; use a string or a number, or leave "id" out for a notification'
        : `"id" must be a string or a finite number, got ${describe(m.id)}`,
    );
  }
  if (!('method' in m)) {
    return fail(id, ErrorCodes.InvalidRequest, 'a JSON-RPC message needs a "method" (request or notification) or a "result"/"error" (response)');
  }
  if (typeof m.method !== 'string' || m.method.length === 0) {
    return fail(id, ErrorCodes.InvalidRequest, `"method" must be a non-empty string, got ${describe(m.method)}`);
  }
  if ('params' in m && m.params !== undefined && m.params !== null && typeof m.params !== 'object') {
    return fail(id, ErrorCodes.InvalidParams, `"params" must be an object or an array, got ${describe(m.params)}`);
  }
  const cancelField = CANCEL_ID_FIELD[m.method];
  if (cancelField !== undefined && !('id' in m)) {
    const params = m.params as Record<string, unknown> | null | undefined;
    if (typeof params !== 'object' || params === null || Array.isArray(params) || !isId(params[cancelField])) {
      return { ok: false, drop: `${m.method} needs params.${cancelField} (a string or a number); ignored` };
    }
  }
  return { ok: true, message: m as unknown as Message };
}

/** A response (to a request the host sent): handed on when well formed, else dropped, never answered. */
function checkResponse(m: Record<string, unknown>): Checked {
  if (m.jsonrpc !== '2.0') return { ok: false, drop: `a response with "jsonrpc" ${describe(m.jsonrpc)}; ignored` };
  if (!('id' in m) || !(m.id === null || isId(m.id))) return { ok: false, drop: 'a response whose "id" is not a string, a number or null; ignored' };
  if ('result' in m === 'error' in m) return { ok: false, drop: 'a response must hold exactly one of "result" and "error"; ignored' };
  if ('result' in m && m.result === undefined) return { ok: false, drop: 'a response without a result; ignored' };
  if ('error' in m) {
    const e = m.error as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof e.code !== 'number' || typeof e.message !== 'string') {
      return { ok: false, drop: 'a response whose "error" is not {code: number, message: string}; ignored' };
    }
  }
  if (depthOver(m, MAX_DEPTH)) return { ok: false, drop: `a response nested more than ${MAX_DEPTH} levels deep; ignored` };
  return { ok: true, message: m as unknown as Message };
}

/**
 * Whether a parsed JSON value nests deeper than `max`. Recursive, but never more than `max`
 * frames deep, so it cannot overflow itself; it allocates nothing (it runs on every message).
 */
export function depthOver(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max <= 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (typeof child === 'object' && child !== null && depthOver(child, max - 1)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && depthOver(child, max - 1)) return true;
  }
  return false;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** Reads the id of a message too large to parse, from its first bytes, when it is plainly there. */
export function sniffId(prefix: string): RpcId {
  const match = /"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,16})/.exec(prefix);
  if (!match) return null;
  try {
    return JSON.parse(match[1]) as string | number;
  } catch {
    return null;
  }
}

function fail(id: RpcId, code: number, message: string, data?: unknown): Checked {
  return { ok: false, error: { id, code, message, data } };
}

export function tooLarge(size: number | undefined, limit: number, prefix: string): FrameError {
  return {
    id: sniffId(prefix),
    code: ErrorCodes.PayloadTooLarge,
    message: `message too large: ${size === undefined ? 'more than' : `${size} bytes, over`} the ${limit}-byte limit (raise it with --max-message-bytes)`,
    data: { limit, ...(size === undefined ? {} : { size }) },
  };
}
