import type { z } from 'zod';
import type { ClientPeer } from './client.js';
import { describeIssues } from './dispatcher.js';
import { ErrorCodes, RpcError } from './errors.js';
import type { ClientMethodDecl } from './method.js';

/**
 * Sends a declared host→client request and validates the client's answer against the
 * declaration's `result`: a plugin gets typed data, or an UpstreamError (-32006) that says which
 * field of the client's answer was wrong. The params are typed by the declaration at compile time.
 *
 * @example
 * ```ts
 * const { content } = await requestClient(ctx.client, FsReadTextFile, { sessionId, path }, ctx.signal);
 * ```
 */
export async function requestClient<M extends ClientMethodDecl>(
  client: ClientPeer,
  decl: M,
  params: z.input<M['params']>,
  signal?: AbortSignal,
): Promise<z.output<M['result']>> {
  const answer = await client.request(decl.name, params, signal);
  const checked = decl.result.safeParse(answer ?? null);
  if (!checked.success) {
    const issues = checked.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
    throw new RpcError(
      ErrorCodes.UpstreamError,
      `the client's answer to ${decl.name} does not match its declaration: ${describeIssues(checked.error.issues)}`,
      { method: decl.name, issues },
    );
  }
  return checked.data as z.output<M['result']>;
}

/** Sends a declared host→client notification (hot path: not validated at run time, typed at compile time). */
export function notifyClient<M extends ClientMethodDecl>(client: ClientPeer, decl: M, params: z.input<M['params']>): void {
  client.notify(decl.name, params);
}
