import { AbstractMessageReader, AbstractMessageWriter, type DataCallback, type Message } from 'vscode-jsonrpc/node';
import type { WebSocket } from 'ws';

/** The plainest vscode-jsonrpc reader over a `ws` socket: one message per text frame. */
export class WsReader extends AbstractMessageReader {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('close', () => this.fireClose());
  }
  listen(callback: DataCallback) {
    const onMessage = (data: Buffer) => callback(JSON.parse(data.toString('utf8')) as Message);
    this.ws.on('message', onMessage);
    return { dispose: () => void this.ws.off('message', onMessage) };
  }
}

export class WsWriter extends AbstractMessageWriter {
  constructor(private readonly ws: WebSocket) {
    super();
  }
  async write(message: Message): Promise<void> {
    this.ws.send(JSON.stringify(message));
  }
  end(): void {}
}
