import type { DependencyContainer } from 'tsyringe';
import type { Disposable } from './disposable.js';

export type TransportKind = 'stdio' | 'ws' | 'http' | 'mcp' | 'internal';

/** What a client said about itself in ACP `initialize`. */
export interface ClientInfo {
  protocolVersion?: number;
  /** ACP clientCapabilities, e.g. `{ fs: { readTextFile: true }, terminal: true }`. */
  capabilities: Record<string, unknown>;
  clientInfo?: { name: string; version: string; title?: string | null };
}

/**
 * How much a transport holds for one client that the client has not read yet. A plugin that
 * pushes a stream the client may not keep up with (log lines) holds back while this is high
 * and drops its own oldest items, rather than filling the transport's queue (which would end
 * with the transport dropping the client).
 */
export interface PeerFlow {
  /** Bytes queued for the client that the operating system has not taken yet. */
  queuedBytes(): number;
  /** Calls back (once) when the queue may have drained; the caller checks `queuedBytes` again. */
  onceDrained(listener: () => void): Disposable;
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
  /** Flow control, when the transport can tell (stdio, WebSocket); absent: notify never waits. */
  readonly flow?: PeerFlow;
  /** Sends a request to the client (e.g. `session/request_permission`). */
  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown>;
}

/** Passed to every handler: who called, and the signal that cancels the call. */
export interface CallContext {
  readonly signal: AbortSignal;
  readonly client: ClientPeer;
}

/**
 * A CallContext whose `signal` is made only when first read (a transport's per-request context:
 * most calls never look at it, and each AbortController costs microseconds) answers this
 * instead, saying whether the call is cancelled without making one.
 */
export const PeekAborted: unique symbol = Symbol('switchboard.peekAborted');

/** A context that can say whether its call is cancelled without making its signal. */
export interface PeekableContext extends CallContext {
  [PeekAborted](): boolean;
}

/** Whether the call is cancelled, without making a lazy context's signal. */
export function callAborted(ctx: CallContext): boolean {
  return PeekAborted in ctx ? (ctx as PeekableContext)[PeekAborted]() : ctx.signal.aborted;
}
