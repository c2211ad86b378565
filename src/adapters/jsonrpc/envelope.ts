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

export type Checked = { ok: true; message: Message } | { ok: false; error: FrameError };

const isId = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * Checks one framed text as a JSON-RPC 2.0 message before vscode-jsonrpc sees it, because
 * vscode-jsonrpc drops malformed or odd messages silently and the client deserves an answer.
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
  if (m.jsonrpc !== '2.0') {
    return fail(id, ErrorCodes.InvalidRequest, `"jsonrpc" must be "2.0", got ${JSON.stringify(m.jsonrpc) ?? 'nothing'}`);
  }
  if ('id' in m && m.id !== null && !isId(m.id)) {
    return fail(null, ErrorCodes.InvalidRequest, '"id" must be a string or a number');
  }
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method.length === 0) {
      return fail(id, ErrorCodes.InvalidRequest, '"method" must be a non-empty string');
    }
    if ('params' in m && m.params !== undefined && (typeof m.params !== 'object')) {
      return fail(id, ErrorCodes.InvalidParams, '"params" must be an object or an array');
    }
    return { ok: true, message: m as unknown as Message };
  }
  if ('result' in m || 'error' in m) return { ok: true, message: m as unknown as Message };
  return fail(id, ErrorCodes.InvalidRequest, 'a JSON-RPC message needs a "method" (request or notification) or a "result"/"error" (response)');
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
