import { randomUUID } from 'node:crypto';
import type { ClientPeer, TransportKind } from '../host/client.js';
import { ErrorCodes, RpcError } from '../host/errors.js';
import type { Host } from '../host/host.js';
import { Tokens } from '../host/tokens.js';

/**
 * The ClientPeer of one call made by an adapter for a client that cannot take requests (a REST
 * call, a stream's replay). It cannot be asked anything (`canRequest` false: a plugin that needs
 * an answer, such as a permission, waits for a separate call instead), and it closes when
 * `closed` aborts.
 */
export function restPeer(host: Host, closed: AbortSignal, transport: TransportKind = 'http'): ClientPeer & { dispose(): Promise<void> } {
  const container = host.createChildContainer();
  const peer: ClientPeer & { dispose(): Promise<void> } = {
    id: randomUUID(),
    transport,
    info: { capabilities: {} },
    canRequest: false,
    closed,
    container,
    notify: () => {},
    request: () =>
      Promise.reject(new RpcError(ErrorCodes.Unavailable, 'a REST client cannot be asked: answer through the REST route instead')),
    dispose: async () => {
      await container.dispose();
    },
  };
  container.registerInstance(Tokens.ClientPeer, peer);
  return peer;
}
