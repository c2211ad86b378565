import type { DependencyContainer } from 'tsyringe';

export type TransportKind = 'stdio' | 'ws' | 'http' | 'mcp' | 'internal';

/** What a client said about itself in ACP `initialize`. */
export interface ClientInfo {
  protocolVersion?: number;
  /** ACP clientCapabilities, e.g. `{ fs: { readTextFile: true }, terminal: true }`. */
  capabilities: Record<string, unknown>;
  clientInfo?: { name: string; version: string; title?: string | null };
}

/**
 * One connected client, as the host sees it: the only way plugins talk back to a client.
 * Transports implement it; plugins never learn which transport is behind it.
 */
export interface ClientPeer {
  readonly id: string;
  readonly transport: TransportKind;
  /** Filled by `initialize`; empty capabilities until then. */
  info: ClientInfo;
  /** Whether `request` can reach the client (false for one-shot REST calls). */
  readonly canRequest: boolean;
  /** Aborted when the connection closes. */
  readonly closed: AbortSignal;
  /** Per-connection child container, disposed when the connection closes. */
  readonly container: DependencyContainer;
  notify(method: string, params: unknown): void;
  /** Sends a request to the client (e.g. `session/request_permission`). */
  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown>;
}

/** Passed to every handler: who called, and the signal that cancels the call. */
export interface CallContext {
  readonly signal: AbortSignal;
  readonly client: ClientPeer;
}
