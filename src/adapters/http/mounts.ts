import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InjectionToken } from 'tsyringe';
import type { Disposable } from '../../host/disposable.js';

/**
 * A raw HTTP endpoint that a plugin serves under `switchboard serve` (e.g. the MCP plugin's
 * Streamable HTTP server at `/mcp`). The HTTP adapter has already checked the token, Host and
 * Origin before it calls `handle`; the plugin never sees the transport otherwise.
 */
export interface HttpMount {
  /** Exact path or prefix (ending in `/`). */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, body?: unknown): void | Promise<void>;
}

export interface HttpMounts {
  add(mount: HttpMount): Disposable;
  find(pathname: string): HttpMount | undefined;
}

export class HttpMountRegistry implements HttpMounts {
  private readonly mounts: HttpMount[] = [];

  add(mount: HttpMount): Disposable {
    this.mounts.push(mount);
    return { dispose: () => void this.mounts.splice(this.mounts.indexOf(mount) >>> 0, 1) };
  }

  find(pathname: string): HttpMount | undefined {
    return this.mounts.find((m) => (m.path.endsWith('/') ? pathname.startsWith(m.path) : pathname === m.path));
  }
}

/** Registered by the composition root; plugins add mounts, the HTTP adapter serves them. */
export const HttpMountsToken = Symbol('HttpMounts') as InjectionToken<HttpMounts>;
