import { ndJsonStream } from '@agentclientprotocol/sdk';
import type { AcpValidator } from './acp-schema.js';
import type { SpawnedCli } from './spawn-cli.js';

/**
 * The ACP SDK's NDJSON stream over a spawned `switchboard stdio`, with every message in both
 * directions fed to the schema validator and every line Switchboard sends kept in `received`.
 */
export function acpWire(cli: SpawnedCli, validator: AcpValidator): { stream: ReturnType<typeof ndJsonStream>; received: string[] } {
  const received: string[] = [];
  let buf = '';
  let open = true;
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      cli.child.stdout.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          received.push(line);
          validator.received(JSON.parse(line));
        }
        if (open) controller.enqueue(new Uint8Array(d));
      });
      cli.child.stdout.on('end', () => {
        if (open) controller.close();
        open = false;
      });
    },
    cancel() {
      open = false; // the SDK let go of the stream when its connection closed
    },
  });
  const output = new WritableStream<Uint8Array>({
    write(chunk) {
      for (const line of Buffer.from(chunk).toString('utf8').split('\n')) if (line.trim()) validator.sent(JSON.parse(line));
      return new Promise((resolve, reject) => cli.child.stdin.write(chunk, (err) => (err ? reject(err) : resolve())));
    },
  });
  return { stream: ndJsonStream(output, input), received };
}

type AnyMessage = { id?: string | number | null; method?: string; params?: unknown; result?: unknown; error?: unknown; jsonrpc?: string };
type MessageStream = { readable: ReadableStream<AnyMessage>; writable: WritableStream<AnyMessage> };

/**
 * Wraps an SDK message stream (`createHttpStream`, `createWebSocketStream`…) so that every
 * message in both directions goes through the schema validator, and what Switchboard sends is
 * kept in arrival order in `received`.
 */
export function validatedStream<S extends MessageStream>(stream: S, validator: AcpValidator): { stream: S; received: AnyMessage[] } {
  const received: AnyMessage[] = [];
  const readable = stream.readable.pipeThrough(
    new TransformStream<AnyMessage, AnyMessage>({
      transform(message, controller) {
        received.push(message);
        validator.received(message);
        controller.enqueue(message);
      },
    }),
  );
  const writer = stream.writable.getWriter();
  const writable = new WritableStream<AnyMessage>({
    write: (message) => {
      validator.sent(message as { id?: string | number; method?: string });
      return writer.write(message);
    },
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  });
  return { stream: { ...stream, readable, writable }, received };
}
