import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCodes, RpcError, httpStatusFor, toRpcError } from '../../host/errors.js';
import type { RawEndpoint } from '../../host/endpoints.js';
import type { Host } from '../../host/host.js';
import type { Disposable } from '../../host/disposable.js';
import { AcpHttpAdapter } from '../acp-http/index.js';
import type { UpgradeHandler } from '../upgrade.js';
import { buildOpenApi } from './openapi.js';
import { serveRawEndpoint } from './raw-endpoints.js';
import { BASE_HEADERS, readJsonBody, sendError, sendJson } from './respond.js';
import { restPeer } from '../call-peer.js';
import { compileRoutes, matchRoute, paramsFromQuery, type CompiledRoute } from './routes.js';
import { RequestGuard, tokenMatches } from './security.js';
import { serveEventTail, serveTurnStream, type StreamContext } from './sse-routes.js';
import type { SseWriter } from './sse-writer.js';
import { STATIC_DIR, serveStatic } from './static-files.js';

export interface HttpServerOptions {
  host: Host;
  logger: Logger;
  token: string;
  /** Interface to bind (default 127.0.0.1). */
  bindHost: string;
  port: number;
  allowOrigins?: readonly string[];
  /** Body limit in bytes of JSON bodies and of raw endpoints that set none (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest POST /acp message (ACP Streamable HTTP); default `maxBodyBytes`. */
  maxMessageBytes?: number;
  /** Unread output of one /acp HTTP connection before it is closed (default 8 MiB). */
  maxAcpBufferedBytes?: number;
  /** An /acp HTTP connection with no reader and no request for this long is closed (default 5 min). */
  acpIdleMs?: number;
  /** Protocols served by upgrading a connection (the WebSocket adapter's `/ws`), after the same checks. */
  upgrades?: readonly UpgradeHandler[];
  heartbeatMs?: number;
  /** An SSE event larger than this is replaced by a `truncated` event (default 64 MiB). */
  sseMaxEventBytes?: number;
  staticDir?: string;
}

/**
 * `switchboard serve`'s one port: the REST bridge (routes derived from the method table), SSE
 * streams (declared on routes), upgrades (`/ws`), the host's raw endpoints, `/openapi.json`,
 * `/health` and the static UI. Every request passes the Host, Origin and (except `/health` and the page) token checks.
 */
export class HttpServer {
  private readonly server: http.Server;
  private readonly guard: RequestGuard;
  private readonly routes: CompiledRoute[];
  private readonly upgrades: readonly UpgradeHandler[];
  /** ACP's Streamable HTTP at `/acp` (its WebSocket profile is an upgrade handler at `/acp`). */
  private readonly acpHttp: AcpHttpAdapter;
  private readonly streams: StreamContext;
  private readonly shutdownCtl = new AbortController();
  private openapi?: Record<string, unknown>;
  private readonly statusSection: Disposable;
  private url = '';

  constructor(private readonly opts: HttpServerOptions) {
    const { host } = opts;
    this.guard = new RequestGuard({ token: opts.token, bindHost: opts.bindHost, allowOrigins: opts.allowOrigins ?? [] });
    this.routes = compileRoutes(host.methods());
    this.upgrades = opts.upgrades ?? [];
    this.acpHttp = new AcpHttpAdapter({ host, logger: opts.logger.child({ transport: 'acp-http' }), maxBodyBytes: opts.maxMessageBytes ?? opts.maxBodyBytes ?? 1024 * 1024, maxBufferedBytes: opts.maxAcpBufferedBytes, idleMs: opts.acpIdleMs, heartbeatMs: opts.heartbeatMs });
    this.streams = { host, writer: { heartbeatMs: opts.heartbeatMs, maxEventBytes: opts.sseMaxEventBytes }, shutdown: this.shutdownCtl.signal, open: new Set<SseWriter>() };
    this.statusSection = host.status.add('http', () => ({
      url: this.url,
      routes: this.routes.length,
      sseStreams: this.streams.open.size,
      endpoints: host.endpoints.list().map((e) => e.path),
      ...Object.fromEntries(this.upgrades.map((u) => [u.name, u.stats()])),
      acpHttp: this.acpHttp.stats(),
    }));
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (err, socket) => answerClientError(err as NodeJS.ErrnoException, socket));
  }

  /** Listens and resolves with the bound URL (port 0 picks a free port). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.bindHost, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const name = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${name}:${addr.port}`;
    return this.url;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const verb = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.once('finish', () =>
      this.opts.logger.debug({ verb, path: url.pathname, status: res.statusCode, ms: Date.now() - started }, 'http request'),
    );
    let cors: Record<string, string> = {};
    try {
      this.guard.checkHost(req);
      if (verb === 'OPTIONS') {
        this.guard.checkOrigin(req);
        cors = this.guard.corsHeaders(req);
        res.writeHead(204, cors).end();
        return;
      }
      this.guard.checkOrigin(req);
      cors = this.guard.corsHeaders(req);
      if (url.pathname === '/health' && (verb === 'GET' || verb === 'HEAD')) return sendJson(res, 200, { status: 'ok' }, cors);
      // The old page-gate link (`/?key=<token>`): once to the fragment form, which never reaches a
      // server or a log. Only the path is ever logged, so the key in this query is not either.
      if (url.pathname === '/' && verb === 'GET' && url.searchParams.has('key')) return this.redirectKey(res, url.searchParams.get('key') ?? '', cors);
      const match = matchRoute(this.routes, verb, url.pathname);
      if (!match && (verb === 'GET' || verb === 'HEAD') && serveStatic(this.opts.staticDir ?? STATIC_DIR, url.pathname, res, verb === 'HEAD', req.headers['if-none-match'])) {
        return;
      }
      this.guard.checkToken(req);
      if (match && 'route' in match) return await this.serveRoute(req, res, match.route, match.params, url, cors);
      if (url.pathname === '/acp') return await this.acpHttp.handle(req, res, cors);
      if (url.pathname === '/openapi.json' && verb === 'GET') {
        this.openapi ??= buildOpenApi(this.routes, this.opts.host.config.version, this.opts.host.endpoints.list());
        return sendJson(res, 200, this.openapi, cors);
      }
      const endpoint = this.opts.host.endpoints.find(url.pathname);
      if (endpoint) return await this.serveEndpoint(req, res, endpoint, cors);
      if (match) {
        throw new RpcError(ErrorCodes.MethodNotFound, `${verb} is not a method of ${url.pathname}; it answers ${match.allow.join(', ')}`, {
          allow: match.allow,
        });
      }
      throw new RpcError(ErrorCodes.MethodNotFound, `no route ${verb} ${url.pathname}; GET /openapi.json lists the routes`);
    } catch (err) {
      const rpc = toRpcError(err);
      if (rpc.code === ErrorCodes.InternalError) this.opts.logger.error({ err, verb, path: url.pathname }, 'request failed');
      // A 413 leaves the rest of the body unread: close the connection rather than read it.
      const close: Record<string, string> = rpc.code === ErrorCodes.PayloadTooLarge ? { connection: 'close' } : {};
      sendError(res, rpc, { ...cors, ...close });
    }
  }

  private redirectKey(res: ServerResponse, key: string, cors: Record<string, string>): void {
    if (!tokenMatches(key, this.opts.token)) {
      throw new RpcError(ErrorCodes.Unauthorized, 'unauthorized: the key in this link is not the daemon\'s token; open the URL printed at start (or $SWITCHBOARD_HOME/token)');
    }
    res.writeHead(302, { ...BASE_HEADERS, ...cors, location: `/#token=${encodeURIComponent(key)}`, 'content-length': 0 }).end();
  }

  /** Path params, query and JSON body become the method's params; the dispatcher validates them. */
  private async paramsFor(req: IncomingMessage, route: CompiledRoute, pathParams: Record<string, string>, url: URL): Promise<Record<string, unknown>> {
    const body = route.verb === 'GET' ? undefined : await readJsonBody(req, this.opts.maxBodyBytes);
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw RpcError.invalidParams(`the body of ${route.verb} ${route.path} must be a JSON object (the params of ${route.decl.name})`);
    }
    return { ...paramsFromQuery(route.decl, url.searchParams), ...(body as Record<string, unknown> | undefined), ...pathParams };
  }

  private async serveRoute(
    req: IncomingMessage,
    res: ServerResponse,
    route: CompiledRoute,
    pathParams: Record<string, string>,
    url: URL,
    cors: Record<string, string>,
  ): Promise<void> {
    if (route.stream && req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', ...cors }).end();
      return;
    }
    const params = await this.paramsFor(req, route, pathParams, url);
    if (route.stream) {
      return route.verb === 'GET'
        ? serveEventTail(this.streams, req, res, route, params, cors)
        : serveTurnStream(this.streams, res, route, params, cors);
    }
    // The call is cancelled when the client goes away before its answer.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', onClose);
    // The peer lives as long as the call: plugins that remember clients (a session's) let it go after.
    const callOver = new AbortController();
    const peer = restPeer(this.opts.host, callOver.signal);
    try {
      const result = await this.opts.host.dispatch(route.decl.name, params, { signal: gone.signal, client: peer });
      sendJson(res, route.status ?? 200, result, cors);
    } finally {
      res.off('close', onClose);
      callOver.abort();
      await peer.dispose();
    }
  }

  /** A host raw endpoint, with a peer that lives as long as the request. */
  private async serveEndpoint(req: IncomingMessage, res: ServerResponse, endpoint: RawEndpoint, cors: Record<string, string>): Promise<void> {
    const over = new AbortController();
    const peer = restPeer(this.opts.host, over.signal);
    try {
      await serveRawEndpoint(endpoint, req, res, {
        maxBodyBytes: this.opts.maxBodyBytes ?? 1024 * 1024,
        headers: cors,
        client: peer,
        shutdown: this.shutdownCtl.signal,
        base: this.url || 'http://localhost',
      });
    } finally {
      over.abort();
      await peer.dispose();
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      this.guard.checkHost(req);
      this.guard.checkOrigin(req);
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const handler = this.upgrades.find((u) => u.path === path);
      if (!handler) {
        const known = this.upgrades.map((u) => u.path).join(', ') || 'none';
        throw new RpcError(ErrorCodes.MethodNotFound, `no WebSocket endpoint at ${path}; use ${known}`);
      }
      this.guard.checkToken(req, true);
      this.guard.checkSubprotocols(req);
      if (this.shutdownCtl.signal.aborted) throw new RpcError(ErrorCodes.Unavailable, 'the daemon is shutting down');
      handler.upgrade(req, socket, head);
    } catch (err) {
      const rpc = toRpcError(err);
      const body = JSON.stringify({ error: rpc.toJSON() });
      const status = httpStatusFor(rpc.code);
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  }

  /**
   * Stops accepting, ends every stream with a final `shutdown` event, closes WebSocket clients
   * with 1001, then closes the remaining connections. The caller disposes the plugins after.
   */
  async close(reason = 'the daemon is shutting down'): Promise<void> {
    if (this.shutdownCtl.signal.aborted) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const finished = [...this.streams.open].map((w) => {
      w.send('shutdown', { reason });
      return w.endAndWait();
    });
    this.shutdownCtl.abort();
    await Promise.all([...this.upgrades.map((u) => u.close()), this.acpHttp.close()]);
    await Promise.race([Promise.all(finished), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.server.closeIdleConnections();
    const force = setTimeout(() => this.server.closeAllConnections(), 1000);
    force.unref();
    await closed;
    clearTimeout(force);
    await this.statusSection.dispose();
  }
}

/**
 * A request Node's HTTP parser refused (an unknown method, a bad header, a lying length): it is
 * answered 400 (431 for headers too large) in the one error shape, then the socket is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ error: { code: ErrorCodes.InvalidRequest, message: `malformed HTTP request (${err.code ?? 'parse error'})` } });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
