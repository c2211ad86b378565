import { AbstractMessageWriter, type Message } from 'vscode-jsonrpc/node';

/**
 * A vscode-jsonrpc MessageWriter that hands each encoded message to the transport. `send`
 * resolves when the bytes are handed over; the transport owns backpressure.
 */
export class FrameMessageWriter extends AbstractMessageWriter {
  constructor(private readonly send: (message: Message) => void | Promise<void>) {
    super();
  }

  async write(message: Message): Promise<void> {
    try {
      await this.send(message);
    } catch (err) {
      this.fireError(err as Error, message, 1);
      throw err;
    }
  }

  end(): void {}
}
