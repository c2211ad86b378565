import { AbstractMessageReader, type DataCallback, type Disposable as RpcDisposable } from 'vscode-jsonrpc/node';
import { checkEnvelope, type FrameError } from './envelope.js';

/**
 * A vscode-jsonrpc MessageReader fed with whole frames (a line, a Content-Length body, a
 * WebSocket text frame). Frames that are not valid JSON-RPC are reported through `onFrameError`
 * instead of reaching the connection, so the adapter can answer them.
 */
export class FrameMessageReader extends AbstractMessageReader {
  private callback?: DataCallback;
  private readonly early: string[] = [];

  constructor(private readonly onFrameError: (err: FrameError) => void) {
    super();
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
    if (checked.ok) this.callback(checked.message);
    else this.onFrameError(checked.error);
  }

  rejectFrame(err: FrameError): void {
    this.onFrameError(err);
  }

  /** The transport ended: the connection closes. */
  end(): void {
    this.fireClose();
  }

  failed(err: Error): void {
    this.fireError(err);
  }
}
