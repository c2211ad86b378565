import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, RpcError, httpStatusFor, toRpcError } from '../../host/errors.js';

/** Headers on every response: no sniffing, no framing, no referrer leaking a URL. */
export const BASE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The one error shape of the REST bridge: `{"error":{"code","message","data"}}`, its HTTP status
 * from `httpStatusFor` (the only mapping of codes to statuses).
 */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const rpc = toRpcError(err);
  const extra: Record<string, string> = { ...headers };
  if (rpc.code === ErrorCodes.Unauthorized) extra['www-authenticate'] = 'Bearer realm="switchboard"';
  sendJson(res, httpStatusFor(rpc.code), { error: rpc.toJSON() }, extra);
}

const DEFAULT_JSON_LIMIT = 1024 * 1024;

/**
 * Reads a JSON body up to `limit` bytes. Too large → PayloadTooLarge (413) without reading the
 * rest; not JSON → ParseError (400); empty → undefined.
 */
export async function readJsonBody(req: IncomingMessage, limit = DEFAULT_JSON_LIMIT): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(undefined, limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RpcError(ErrorCodes.ParseError, `malformed JSON body: ${(err as Error).message}`);
  }
}

export function tooLarge(size: number | undefined, limit: number): RpcError {
  return new RpcError(
    ErrorCodes.PayloadTooLarge,
    `request body too large: ${size === undefined ? 'more than' : `${size} bytes, over`} the ${limit}-byte limit (raise it with --max-body-bytes)`,
    { limit, ...(size === undefined ? {} : { size }) },
  );
}
