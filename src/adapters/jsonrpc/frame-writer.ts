import { AbstractMessageWriter, type Message } from 'vscode-jsonrpc/node';

/**
 * A vscode-jsonrpc MessageWriter that hands each encoded message to the transport. `send`
 * resolves when the bytes are handed over; the transport owns backpressure.
 */
export class FrameMessageWriter extends AbstractMessageWriter {
  constructor(
    private readonly send: (message: Message) => void | Promise<void>,
    /** Told the id of every response written (the reader frees it for reuse). */
    private readonly onResponse?: (id: string | number | null) => void,
  ) {
    super();
  }

  async write(message: Message): Promise<void> {
    const m = message as { id?: string | number | null; method?: unknown };
    if (this.onResponse && 'id' in m && m.method === undefined) this.onResponse(m.id ?? null);
    try {
      await this.send(message);
    } catch (err) {
      this.fireError(err as Error, message, 1);
      throw err;
    }
  }

  end(): void {}
}
