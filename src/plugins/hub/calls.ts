import { randomUUID } from 'node:crypto';
import type { DependencyContainer } from 'tsyringe';
import type { CallContext, ClientPeer } from '../../host/client.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { Tokens } from '../../host/tokens.js';
import { HUB_CALL_ALLOWLIST } from './schemas.js';

const allowed = new Set<string>(HUB_CALL_ALLOWLIST);

/** Refuses a method outside the hub allowlist, on the calling side and again on the called one. */
export function checkAllowed(method: string): void {
  if (!allowed.has(method)) {
    throw new RpcError(ErrorCodes.Forbidden, `hub/call does not allow "${method}"; allowed: ${HUB_CALL_ALLOWLIST.join(', ')}`, {
      method,
      allowed: [...HUB_CALL_ALLOWLIST],
    });
  }
}

/**
 * The client a remote hub agent is, as this host sees it: it cannot be asked anything (an
 * approval comes back as `permissions/respond` through the hub), and notifications to it are
 * dropped (followers get session events from the hub stream instead).
 */
export function hubPeer(parent: DependencyContainer, closed: AbortSignal, label: string): ClientPeer & { dispose(): Promise<void> } {
  const container = parent.createChildContainer();
  const peer: ClientPeer & { dispose(): Promise<void> } = {
    id: `hub:${label}:${randomUUID().slice(0, 8)}`,
    transport: 'internal',
    info: { capabilities: {}, clientInfo: { name: 'switchboard-hub', version: '1' } },
    canRequest: false,
    closed,
    container,
    notify: () => {},
    request: () => Promise.reject(new RpcError(ErrorCodes.Unavailable, 'a hub peer cannot be asked; answer through permissions/respond')),
    dispose: async () => {
      await container.dispose();
    },
  };
  container.registerInstance(Tokens.ClientPeer, peer);
  return peer;
}

/** Runs an allowlisted call that came from another agent, as `peer`. */
export type Dispatch = (method: string, params: unknown, ctx: CallContext) => Promise<unknown>;

export function serveRemoteCall(dispatch: Dispatch, peer: ClientPeer, method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
  checkAllowed(method);
  return dispatch(method, params, { signal, client: peer });
}

/** The error a caller gets when the agent it called went away before answering. */
export function agentGone(agentId: string): RpcError {
  return new RpcError(ErrorCodes.Unavailable, `agent ${agentId} went away before answering (it exited or crashed)`, { agentId });
}

export function unknownAgent(agentId: string): RpcError {
  return RpcError.notFound(`agent "${agentId}"`, { agentId });
}
