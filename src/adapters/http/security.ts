import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { WS_SUBPROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../ws-protocol.js';

export { WS_SUBPROTOCOL, WS_TOKEN_PROTOCOL_PREFIX };

/** A fresh random token (256 bits, base64url: also valid in a Sec-WebSocket-Protocol entry). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Writes the token to `$SWITCHBOARD_HOME/token` with mode 0600 (temp file + rename, so a reader
 * never sees a half-written or world-readable token) and returns it.
 */
export function writeTokenFile(home: string, token = newToken()): string {
  const file = path.join(home, 'token');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, token + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return token;
}

/**
 * Compares a presented token with the real one in constant time: both are hashed first, so
 * neither the content nor the length of the real token leaks through timing.
 */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: `Authorization: Bearer`, the legacy `X-Ghost-Key`, or (upgrade only) a subprotocol entry. */
export function presentedToken(req: IncomingMessage, allowSubprotocol: boolean): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const ghost = req.headers['x-ghost-key'];
  if (typeof ghost === 'string' && ghost) return ghost.trim();
  if (allowSubprotocol) {
    const entry = subprotocols(req).find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX));
    if (entry) return entry.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

export function subprotocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  return typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.toLowerCase().endsWith('.localhost');
}

/** The hostname part of a `Host` header (`[::1]:7433` → `[::1]`, `localhost:7433` → `localhost`). */
export function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export interface GuardOptions {
  token: string;
  /** The `--host` the daemon bound to. */
  bindHost: string;
  /** Origins allowed besides the daemon's own (`--allow-origin`); they also turn CORS on. */
  allowOrigins: readonly string[];
}

/**
 * The checks every request goes through before it reaches a route: `Host` (DNS rebinding),
 * `Origin` (drive-by pages) and the token. Each failure is an RpcError with the code whose
 * HTTP status says what went wrong (403 or 401).
 */
export class RequestGuard {
  private readonly hostNames = new Set<string>();
  private readonly allowOrigins: Set<string>;

  constructor(private readonly opts: GuardOptions) {
    this.allowOrigins = new Set(opts.allowOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
    const bind = opts.bindHost.toLowerCase();
    if (WILDCARDS.has(bind)) {
      // Bound to every interface: the machine's own addresses and name are legitimate Hosts.
      this.hostNames.add(os.hostname().toLowerCase());
      for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list ?? []) this.hostNames.add(a.family === 'IPv6' ? `[${a.address.toLowerCase()}]` : a.address);
      }
    } else {
      this.hostNames.add(bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind);
    }
  }

  get corsEnabled(): boolean {
    return this.allowOrigins.size > 0;
  }

  /** 403 unless `Host` is a loopback name or the configured host. */
  checkHost(req: IncomingMessage): void {
    const header = req.headers.host;
    if (!header) throw new RpcError(ErrorCodes.Forbidden, 'forbidden: the request has no Host header');
    const name = hostnameOf(header);
    if (isLoopbackHost(name) || this.hostNames.has(name)) return;
    throw new RpcError(
      ErrorCodes.Forbidden,
      `forbidden: Host "${name}" is not this daemon's address (a DNS-rebinding guard); use localhost or 127.0.0.1`,
    );
  }

  /** Whether an Origin may call: the daemon's own (same Host) or one given with --allow-origin. */
  originAllowed(origin: string, req: IncomingMessage): boolean {
    const o = origin.replace(/\/+$/, '').toLowerCase();
    if (this.allowOrigins.has(o)) return true;
    const host = req.headers.host?.toLowerCase();
    return host !== undefined && (o === `http://${host}` || o === `https://${host}`);
  }

  /** 403 when a browser Origin is neither the daemon's own nor allowed; requests without Origin (curl, editors) pass. */
  checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    if (this.originAllowed(origin, req)) return;
    throw new RpcError(
      ErrorCodes.Forbidden,
      `forbidden: Origin "${origin}" may not call this daemon; start it with --allow-origin ${origin} to allow it`,
    );
  }

  /** 401 unless the request carries the token. */
  checkToken(req: IncomingMessage, allowSubprotocol = false): void {
    if (tokenMatches(presentedToken(req, allowSubprotocol), this.opts.token)) return;
    throw new RpcError(
      ErrorCodes.Unauthorized,
      'unauthorized: send "Authorization: Bearer <token>"; the token is in $SWITCHBOARD_HOME/token',
    );
  }

  /**
   * 400 when the only subprotocols offered are `bearer.<token>` entries: the server must select
   * one of the offered protocols (browsers fail the handshake otherwise), and selecting the token
   * entry would echo the token in the 101 answer. Offer `switchboard.jsonrpc` beside it.
   */
  checkSubprotocols(req: IncomingMessage): void {
    const offered = subprotocols(req);
    if (offered.length === 0 || offered.some((p) => !p.startsWith(WS_TOKEN_PROTOCOL_PREFIX))) return;
    throw new RpcError(
      ErrorCodes.InvalidRequest,
      `offer the "${WS_SUBPROTOCOL}" subprotocol beside the bearer entry: the server never selects (and so never echoes) the token entry`,
    );
  }

  /** CORS response headers for an allowed, configured origin (none otherwise: CORS is off by default). */
  corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (!this.corsEnabled || !origin || !this.allowOrigins.has(origin.replace(/\/+$/, '').toLowerCase())) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-headers': 'authorization, content-type, x-ghost-key, last-event-id, acp-connection-id, acp-session-id',
      'access-control-expose-headers': 'Acp-Connection-Id',
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      'access-control-max-age': '600',
      vary: 'Origin',
    };
  }
}
