import { AbstractMessageReader, type DataCallback, type Disposable as RpcDisposable } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../host/errors.js';
import { checkEnvelope, type FrameError } from './envelope.js';

/** What the reader reports besides messages: frames to answer, frames dropped, handling that threw. */
export interface FrameReaderEvents {
  /** A frame that never became a message: the adapter answers it. */
  onFrameError(err: FrameError): void;
  /** A notification or response that cannot be handled and gets no answer (only logged). */
  onDropped?(reason: string): void;
  /**
   * Handling one message threw (a defect, not bad input). The message was answered when it had
   * an id; the adapter may also close this connection. Never the process.
   */
  onHandlerError?(err: unknown): void;
}

/**
 * A vscode-jsonrpc MessageReader fed with whole frames (a line, a Content-Length body, a
 * WebSocket text frame). Frames that are not valid JSON-RPC, or not of a shape vscode-jsonrpc
 * handles, are reported instead of reaching the connection, so the adapter can answer them.
 */
export class FrameMessageReader extends AbstractMessageReader {
  private callback?: DataCallback;
  private readonly early: string[] = [];
  private readonly events: FrameReaderEvents;
  /**
   * Ids of requests handed on and not answered yet, as vscode-jsonrpc keys them (`1` and `"1"`
   * alike): it queues by id, so a second request with an id in flight would silently replace
   * the first, which then never gets an answer.
   */
  private readonly inflight = new Set<string>();

  constructor(events: FrameReaderEvents | ((err: FrameError) => void)) {
    super();
    this.events = typeof events === 'function' ? { onFrameError: events } : events;
  }

  listen(callback: DataCallback): RpcDisposable {
    this.callback = callback;
    for (const text of this.early.splice(0)) this.acceptFrame(text);
    return { dispose: () => (this.callback = undefined) };
  }

  acceptFrame(text: string): void {
    if (!this.callback) {
      this.early.push(text);
      return;
    }
    const checked = checkEnvelope(text);
    if (checked.ok) {
      const id = (checked.message as { id?: unknown; method?: unknown }).id;
      if ((typeof id === 'string' || typeof id === 'number') && 'method' in checked.message) {
        if (this.inflight.has(String(id))) {
          this.events.onFrameError({
            id,
            code: ErrorCodes.InvalidRequest,
            message: `id ${JSON.stringify(id)} is already used by a request still in flight; give each request its own id`,
          });
          return;
        }
        this.inflight.add(String(id));
      }
      this.deliver(checked.message);
    }
    else if ('error' in checked) this.events.onFrameError(checked.error);
    else this.events.onDropped?.(checked.drop);
  }

  /** The answer to a request went out (the writer says so): its id may be used again. */
  answered(id: string | number | null): void {
    if (id !== null) this.inflight.delete(String(id));
  }

  rejectFrame(err: FrameError): void {
    this.events.onFrameError(err);
  }

  /**
   * vscode-jsonrpc handles part of each message synchronously, inside this call: whatever it
   * throws would otherwise unwind into the socket's 'data' handler and end the process.
   */
  private deliver(message: Parameters<DataCallback>[0]): void {
    try {
      this.callback?.(message);
    } catch (err) {
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'string' || typeof id === 'number') {
        this.answered(id);
        this.events.onFrameError({ id, code: ErrorCodes.InternalError, message: 'internal error: the message could not be handled; see the daemon log' });
      }
      this.events.onHandlerError?.(err);
    }
  }

  /** The transport ended: the connection closes. */
  end(): void {
    this.fireClose();
  }

  failed(err: Error): void {
    this.fireError(err);
  }
}
