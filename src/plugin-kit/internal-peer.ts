import { randomUUID } from 'node:crypto';
import type { DependencyContainer } from 'tsyringe';
import type { ClientPeer } from '../host/client.js';
import { ErrorCodes, RpcError } from '../host/errors.js';

/**
 * The ClientPeer a plugin calls host methods as (its `ctx.call`, an out-of-process plugin's
 * `host/call`): nobody can be asked through it, and it closes with the plugin.
 */
export function internalPeer(container: DependencyContainer, closed: AbortSignal): ClientPeer {
  return {
    id: `plugin-${randomUUID()}`,
    transport: 'internal',
    info: { capabilities: {} },
    canRequest: false,
    closed,
    container,
    notify: () => {},
    request: () => Promise.reject(new RpcError(ErrorCodes.Unavailable, 'a plugin cannot be asked: it is not a client that answers requests')),
  };
}
