import { AbstractMessageWriter, type Message } from 'vscode-jsonrpc/node';

const SENT: Promise<void> = Promise.resolve();

/**
 * A vscode-jsonrpc MessageWriter that hands each encoded message to the transport. `send`
 * resolves when the bytes are handed over; the transport owns backpressure.
 */
export class FrameMessageWriter extends AbstractMessageWriter {
  constructor(private readonly send: (message: Message) => void | Promise<void>) {
    super();
  }

  // Not async: a transport that sends synchronously (stdio, WebSocket) costs no promise per message.
  write(message: Message): Promise<void> {
    try {
      const sending = this.send(message);
      return sending ? sending.catch((err: unknown) => this.failed(err, message)) : SENT;
    } catch (err) {
      return Promise.reject(err).catch((e: unknown) => this.failed(e, message));
    }
  }

  private failed(err: unknown, message: Message): never {
    this.fireError(err as Error, message, 1);
    throw err;
  }

  end(): void {}
}
