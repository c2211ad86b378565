import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type { ClientPeer } from '../../host/client.js';
import type { RawEndpoint } from '../../host/endpoints.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { BASE_HEADERS, sendError, tooLarge } from './respond.js';

export interface RawServeOptions {
  /** The body limit when the endpoint declares none. */
  maxBodyBytes: number;
  /** CORS headers for this request (the adapter's guard computed them). */
  headers: Record<string, string>;
  client: ClientPeer;
  /** Aborted at daemon shutdown. */
  shutdown?: AbortSignal;
  /** The origin the Request's URL is built on (the server's own). */
  base: string;
}

/**
 * The request body as a web stream, with back-pressure (the socket is paused while the handler
 * does not read). Past `limit` bytes it errors with PayloadTooLarge and stops reading, leaving
 * the socket to the 413 answer (destroying it would reset the client before it reads the answer).
 */
function limitedBody(req: IncomingMessage, limit: number): ReadableStream<Uint8Array> {
  let size = 0;
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      const stop = (err?: Error) => {
        if (settled) return;
        settled = true;
        req.pause();
        req.removeListener('data', onData);
        if (err) ctl.error(err);
        else ctl.close();
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return stop(tooLarge(undefined, limit));
        ctl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((ctl.desiredSize ?? 1) <= 0) req.pause();
      };
      req.on('data', onData);
      req.once('end', () => stop());
      req.once('error', (err) => stop(err));
    },
    pull() {
      if (!settled) req.resume();
    },
    cancel() {
      settled = true;
      req.pause();
    },
  });
}

/** How much of a refused body is still read (and thrown away) after the 413, and for how long. */
const LINGER_BYTES = 8 * 1024 * 1024;
const LINGER_MS = 2000;

/**
 * A "lingering close" after an early 413: a client still writing its body when the socket closes
 * gets a reset (EPIPE) instead of the answer. So the rest of the body is read and discarded, up to
 * LINGER_BYTES or LINGER_MS, and only then is the socket closed; an endless body costs no more.
 */
function lingerThenClose(req: IncomingMessage): void {
  if (req.complete) return; // the whole body is in: nothing is left to linger for
  const socket = req.socket;
  let left = LINGER_BYTES;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) close();
  });
  req.once('end', close);
  req.once('error', close);
  // Node's own close after the answer would cut the read side: it waits for this instead.
  socket.destroySoon = () => socket.end();
  req.resume();
}

function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/**
 * Serves one raw endpoint (see `RawEndpoint` in src/host/endpoints.ts): the Node request becomes
 * a web `Request` whose body streams (with the size limit) and whose signal aborts when the client
 * goes away; the `Response` is written back, its body streamed with back-pressure. The caller
 * has already checked the token, Host and Origin.
 */
export async function serveRawEndpoint(endpoint: RawEndpoint, req: IncomingMessage, res: ServerResponse, opts: RawServeOptions): Promise<void> {
  const verb = req.method ?? 'GET';
  const allow = endpoint.methods;
  if (allow && !allow.includes(verb as never)) {
    throw new RpcError(ErrorCodes.MethodNotFound, `${verb} is not a method of ${endpoint.path}; it answers ${allow.join(', ')}`, { allow: [...allow] });
  }
  const limit = endpoint.maxBodyBytes ?? opts.maxBodyBytes;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared, limit);

  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort();
  };
  res.once('close', onClose);
  const onShutdown = () => gone.abort();
  opts.shutdown?.addEventListener('abort', onShutdown, { once: true });
  const hasBody = verb !== 'GET' && verb !== 'HEAD';
  try {
    const request = new Request(new URL(req.url ?? '/', opts.base), {
      method: verb,
      headers: requestHeaders(req),
      body: hasBody ? limitedBody(req, limit) : undefined,
      signal: gone.signal,
      // Required by undici for a streamed request body.
      duplex: 'half',
    } as RequestInit);
    let response: Response;
    try {
      response = await endpoint.handle(request, { signal: gone.signal, client: opts.client });
    } catch (err) {
      // A body that broke the limit while the handler read it: 413, and close (the rest is unread).
      const cause = err instanceof RpcError ? err : (err as { cause?: unknown })?.cause;
      if (cause instanceof RpcError && cause.code === ErrorCodes.PayloadTooLarge) {
        lingerThenClose(req);
        return sendError(res, cause, { ...opts.headers, connection: 'close' });
      }
      throw err;
    }
    await writeResponse(res, response, opts.headers);
  } finally {
    res.off('close', onClose);
    opts.shutdown?.removeEventListener('abort', onShutdown);
  }
}

async function writeResponse(res: ServerResponse, response: Response, extra: Record<string, string>): Promise<void> {
  const headers: Record<string, string | string[]> = { ...BASE_HEADERS, ...extra };
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // Each chunk goes out as it is produced; a client that goes away cancels the body stream.
  res.flushHeaders();
  await pipeline(Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>), res).catch(() => {
    if (!res.destroyed) res.destroy();
  });
}
