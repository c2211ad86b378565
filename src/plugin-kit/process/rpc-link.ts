import type { Readable, Writable } from 'node:stream';
import { ErrorCodes, RpcError } from '../../host/errors.js';

type Id = number;
interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cleanup(): void;
}

/** Largest line accepted from a plugin (the host's own limit for a JSON-RPC message). */
const MAX_LINE = 16 * 1024 * 1024;

/**
 * JSON-RPC 2.0 over newline-delimited JSON on a child's stdin/stdout, both directions: the
 * host calls the plugin (`request`, with cancellation by `$/cancelRequest`) and serves the
 * plugin's calls back (`onRequest`) and notifications (`onNotification`). Deliberately tiny:
 * one line per message, no batches, and every failure of the link ends every pending call.
 */
export class RpcLink {
  private nextId = 1;
  private readonly pending = new Map<Id, Pending>();
  private buffered = '';
  private closedWith?: RpcError;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly handlers: {
      onRequest(method: string, params: unknown): Promise<unknown>;
      onNotification(method: string, params: unknown): void;
      /** A line that is not JSON-RPC: the plugin wrote something else on stdout. */
      onGarbage(line: string): void;
    },
  ) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => this.feed(chunk));
    output.on('error', () => undefined); // EPIPE when the child is gone: its exit is reported instead
  }

  private feed(chunk: string): void {
    this.buffered += chunk;
    if (this.buffered.length > MAX_LINE && !this.buffered.includes('\n')) {
      this.handlers.onGarbage(`${this.buffered.slice(0, 200)}… (a line over ${MAX_LINE} bytes, dropped)`);
      this.buffered = '';
      return;
    }
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.receive(line);
    }
  }

  private receive(line: string): void {
    let msg: { id?: Id | string | null; method?: unknown; params?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    try {
      msg = JSON.parse(line);
    } catch {
      this.handlers.onGarbage(line);
      return;
    }
    if (typeof msg !== 'object' || msg === null) return this.handlers.onGarbage(line);
    if (typeof msg.method === 'string') {
      if (msg.id === undefined || msg.id === null) return this.handlers.onNotification(msg.method, msg.params);
      const id = msg.id;
      void this.handlers.onRequest(msg.method, msg.params).then(
        (result) => this.send({ jsonrpc: '2.0', id, result: result ?? null }),
        (err) => this.send({ jsonrpc: '2.0', id, error: toWire(err) }),
      );
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return; // an answer to a call we gave up on (cancelled, timed out)
    this.pending.delete(msg.id as Id);
    p.cleanup();
    if (msg.error) {
      const code = typeof msg.error.code === 'number' ? msg.error.code : ErrorCodes.InternalError;
      p.reject(new RpcError(code, typeof msg.error.message === 'string' ? msg.error.message : 'the plugin failed', msg.error.data));
    } else p.resolve(msg.result);
  }

  /** Calls the plugin. Aborting sends `$/cancelRequest` and rejects at once with -32800. */
  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(RpcError.cancelled());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.notify('$/cancelRequest', { id });
        reject(RpcError.cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      this.send({ jsonrpc: '2.0', id, method, params: params ?? {} });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The child is gone: every pending call gets `error` (an Unavailable -32005), and later ones too. */
  close(error: RpcError): void {
    this.closedWith ??= error;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(error);
    }
  }

  private send(msg: unknown): void {
    if (this.closedWith || !this.output.writable) return;
    this.output.write(`${JSON.stringify(msg)}\n`);
  }
}

function toWire(err: unknown): { code: number; message: string; data?: unknown } {
  if (err instanceof RpcError) return err.toJSON();
  return { code: ErrorCodes.InternalError, message: 'internal error' };
}
