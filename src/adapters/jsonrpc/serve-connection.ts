import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  CancellationReceiverStrategy,
  CancellationTokenSource,
  type CancellationSenderStrategy,
  ResponseError,
  createMessageConnection,
  type MessageConnection,
  type MessageReader,
  type Message,
  type MessageWriter,
} from 'vscode-jsonrpc/node';
import type { ClientPeer, PeerFlow, TransportKind } from '../../host/client.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { Host } from '../../host/host.js';
import { Tokens } from '../../host/tokens.js';
import type { FrameError } from './envelope.js';
import { FrameMessageReader } from './frame-reader.js';
import { RequestContext } from './request-context.js';

export interface ServedConnection {
  readonly peer: ClientPeer;
  readonly connection: MessageConnection;
  /** Resolves once the connection has closed and everything it owned is released. */
  readonly closed: Promise<void>;
  /** Resolves when no request or notification is being handled (after queued ones start). */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Binds a JSON-RPC connection (any transport's reader/writer pair) to the host: every request
 * and notification goes to the dispatcher with an AbortSignal that `$/cancelRequest` and the
 * connection's close both abort. The same binding serves stdio and WebSocket.
 */
export function serveConnection(
  host: Host,
  reader: MessageReader,
  writer: MessageWriter,
  opts: { transport: TransportKind; logger: Logger; flow?: PeerFlow },
): ServedConnection {
  const log = opts.logger;
  // Counts calls received, so `idle` knows about those vscode-jsonrpc has queued but not started.
  let received = 0;
  let started = 0;
  const counting: MessageReader = Object.assign(Object.create(reader) as MessageReader, {
    listen: (cb: (m: Message) => void) =>
      reader.listen((m) => {
        const method = (m as { method?: unknown }).method;
        const counts = typeof method === 'string' && !method.startsWith('$/');
        if (counts) received++;
        try {
          cb(method === '$/cancel_request' && !('id' in m) ? asLspCancel(m) : m);
        } catch (err) {
          // Never queued: `idle` must not wait for it (stdin closing would wait forever).
          if (counts) received--;
          throw err;
        }
      }),
  });
  // Each answer written frees its id for reuse (the frame reader refuses an id still in flight).
  const frames = reader instanceof FrameMessageReader ? reader : undefined;
  const answering: MessageWriter = Object.assign(Object.create(writer) as MessageWriter, {
    write: (m: Message) => {
      const r = m as { id?: string | number | null; method?: unknown };
      if (frames && r.method === undefined && 'id' in r) frames.answered(r.id ?? null);
      return writer.write(m);
    },
  });
  const connection = createMessageConnection(
    counting,
    answering,
    {
      error: (m) => log.error(m),
      warn: (m) => log.warn(m),
      info: (m) => log.debug(m),
      log: (m) => log.trace(m),
    },
    { cancellationStrategy: { receiver: CancellationReceiverStrategy.Message, sender: bothCancelSpellings } },
  );
  const closedController = new AbortController();
  const container = host.createChildContainer();
  const peer: ClientPeer = {
    id: randomUUID(),
    transport: opts.transport,
    info: { capabilities: {} },
    canRequest: true,
    closed: closedController.signal,
    container,
    ...(opts.flow ? { flow: opts.flow } : {}),
    notify: (method, params) => {
      if (closedController.signal.aborted) return;
      connection.sendNotification(method, params as object).catch((err) => log.debug({ err }, 'notify failed'));
    },
    request: async (method, params, signal) => {
      if (closedController.signal.aborted) throw new RpcError(ErrorCodes.Unavailable, 'the client has disconnected');
      const source = new CancellationTokenSource();
      const onAbort = () => source.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      closedController.signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await connection.sendRequest(method, params as object, source.token);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        closedController.signal.removeEventListener('abort', onAbort);
        source.dispose();
      }
    },
  };
  container.registerInstance(Tokens.ClientPeer, peer);
  const attached = host.attachClient(peer);
  let inflight = 0;
  const idleWaiters: (() => void)[] = [];
  const begin = () => {
    started++;
    inflight++;
  };
  const end = () => {
    if (--inflight === 0) for (const w of idleWaiters.splice(0)) w();
  };
  const idle = async () => {
    // vscode-jsonrpc starts queued messages one per tick: wait until all received have started.
    while (started < received) await new Promise((r) => setImmediate(r));
    while (inflight > 0) await new Promise<void>((r) => idleWaiters.push(r));
  };

  // One promise step per request on top of the handler's: this path is every round trip's cost.
  connection.onRequest((method, params, token) => {
    const ctx = new RequestContext(peer, token, closedController.signal);
    begin();
    return host.dispatch(method, params, ctx).then(
      (result) => {
        ctx.release();
        end();
        return result;
      },
      (err: unknown) => {
        ctx.release();
        end();
        const rpc = err instanceof RpcError ? err : new RpcError(ErrorCodes.InternalError, 'internal error');
        throw new ResponseError(rpc.code, rpc.message, rpc.data);
      },
    );
  });

  connection.onNotification((method, params) => {
    // Notifications get no answer (JSON-RPC); failures are only logged.
    begin();
    host
      .dispatch(method, params, { signal: closedController.signal, client: peer })
      .catch((err: RpcError) => log.debug({ method, code: err.code, message: err.message }, 'notification failed'))
      .finally(end);
  });

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let disposing: Promise<void> | undefined;
  const dispose = () =>
    (disposing ??= (async () => {
      closedController.abort();
      attached.dispose();
      try {
        connection.dispose();
      } catch {
        /* already closed */
      }
      await container.dispose();
      resolveClosed();
    })());

  connection.onClose(() => void dispose());
  connection.listen();
  return { peer, connection, closed, idle, dispose };
}

/** The error response for a frame that never became a message. */
export function frameErrorResponse(err: FrameError): object {
  return {
    jsonrpc: '2.0',
    id: err.id,
    error: err.data === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, data: err.data },
  };
}

/**
 * ACP spells cancellation `$/cancel_request` with `{requestId}`; vscode-jsonrpc knows LSP's
 * `$/cancelRequest` with `{id}`. Both must abort the handler's signal, so one becomes the other.
 */
function asLspCancel(m: Message): Message {
  // The envelope check let it through only with a string or number requestId.
  const params = (m as unknown as { params: { requestId: string | number } }).params;
  return { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: params.requestId } } as Message;
}

/**
 * When the host withdraws a request it sent (a permission prompt another client answered), it
 * says so in both spellings: LSP peers know `$/cancelRequest`, ACP peers (the official SDK) know
 * `$/cancel_request`; each side ignores the `$/` notification it does not know.
 */
const bothCancelSpellings: CancellationSenderStrategy = {
  async sendCancellation(conn, id) {
    await conn.sendNotification('$/cancelRequest', { id });
    await conn.sendNotification('$/cancel_request', { requestId: id });
  },
  cleanup() {},
};
