import { randomUUID } from 'node:crypto';
import type { DependencyContainer } from 'tsyringe';
import type { ClientPeer } from '../../host/client.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { Tokens } from '../../host/tokens.js';

/**
 * The caller of a turn that belongs to no connection: a chat task outlives the HTTP request that
 * started it (a client that goes away never cancels it), so the turn's client is the task itself.
 * It cannot be asked anything: a tool that must ask waits for the session's other clients (the
 * browser UI, the hub) or `permissions/respond`. It closes, and its container goes, with the task.
 */
export function taskPeer(container: DependencyContainer): ClientPeer & { close(): Promise<void> } {
  const closed = new AbortController();
  const peer = {
    id: `task_${randomUUID()}`,
    transport: 'internal' as const,
    info: { capabilities: {} },
    canRequest: false,
    closed: closed.signal,
    container,
    notify: () => {},
    request: () => Promise.reject(new RpcError(ErrorCodes.Unavailable, 'a chat task cannot be asked: answer the session\'s permission prompt from the UI or with permissions/respond')),
    async close() {
      if (closed.signal.aborted) return;
      closed.abort();
      await container.dispose();
    },
  };
  container.registerInstance(Tokens.ClientPeer, peer);
  return peer;
}
