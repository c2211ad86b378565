import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A protocol served by upgrading an HTTP connection (the WebSocket adapter's `/ws`). The HTTP
 * adapter checks Host, Origin and the token first, then hands the socket over; it knows the
 * handler only through this interface, so `adapters/http` and `adapters/ws` never import each other.
 */
export interface UpgradeHandler {
  /** The exact path it answers, e.g. `/ws`. */
  readonly path: string;
  /** Its key in the HTTP adapter's `host/status` section (e.g. `ws`). */
  readonly name: string;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every connection (the daemon is stopping). */
  close(): Promise<void>;
  /** For `host/status`. */
  stats(): Record<string, unknown>;
}
