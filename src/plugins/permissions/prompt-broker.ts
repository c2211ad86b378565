import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClientPeer } from '../../host/client.js';
import { requestClient } from '../../host/client-calls.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { SessionRequestPermission, type Grant, type PermissionOptionId } from './schemas.js';

export type PromptAnswer =
  | { outcome: 'selected'; optionId: PermissionOptionId; scope?: 'session' | 'workspace'; by: string; /** Set when the answer was remembered. */ grant?: Grant }
  | { outcome: 'cancelled'; by: string }
  | { outcome: 'timeout' };

export interface PromptOption {
  optionId: PermissionOptionId;
  name: string;
  kind: PermissionOptionId;
}

export const PROMPT_OPTIONS: PromptOption[] = [
  { optionId: 'allow_once', name: 'Allow once', kind: 'allow_once' },
  { optionId: 'allow_always', name: 'Always allow', kind: 'allow_always' },
  { optionId: 'reject_once', name: 'Reject', kind: 'reject_once' },
  { optionId: 'reject_always', name: 'Always reject', kind: 'reject_always' },
];

export interface PromptRequest {
  sessionId: string;
  toolCallId: string;
  /** ACP ToolCallUpdate describing the call. */
  toolCall: Record<string, unknown>;
  /** The turn's signal: aborting it resolves the prompt as cancelled. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Clients that get `session/request_permission` (those that can take requests). */
  clients: ClientPeer[];
  /** Extra facts the gate keeps with the prompt (to re-decide it when grants or modes change). */
  facts?: unknown;
}

export interface PendingPrompt {
  readonly requestId: string;
  readonly request: PromptRequest;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

interface Slot extends PendingPrompt {
  settle(answer: PromptAnswer): boolean;
}

/**
 * The prompts waiting for a person. Every way of answering (each ACP client's
 * `session/request_permission` reply, `permissions/respond`, cancel, timeout) goes through
 * `settle`, which is synchronous and checks-then-sets in one step: in a single-threaded event
 * loop exactly one answer counts, and the others are told they came too late.
 */
export class PromptBroker {
  private readonly pending = new Map<string, Slot>();

  constructor(
    private readonly logger: Logger,
    private readonly hooks: {
      onPending(p: PendingPrompt): void;
      onResolved(p: PendingPrompt, answer: PromptAnswer): void;
    },
  ) {}

  ask(req: PromptRequest): Promise<PromptAnswer> {
    const requestId = randomUUID();
    const createdAt = new Date();
    const done = new AbortController();
    return new Promise<PromptAnswer>((resolve) => {
      let settled = false;
      const slot: Slot = {
        requestId,
        request: req,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + req.timeoutMs),
        settle: (answer) => {
          if (settled) return false;
          settled = true;
          this.pending.delete(requestId);
          clearTimeout(timer);
          req.signal.removeEventListener('abort', onAbort);
          // Withdraws the question from the clients that did not answer ($/cancelRequest).
          done.abort();
          this.hooks.onResolved(slot, answer);
          resolve(answer);
          return true;
        },
      };
      const onAbort = () => slot.settle({ outcome: 'cancelled', by: 'turn' });
      const timer = setTimeout(() => slot.settle({ outcome: 'timeout' }), req.timeoutMs);
      this.pending.set(requestId, slot);
      this.hooks.onPending(slot);
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
      for (const client of req.clients) this.askClient(slot, client, done.signal);
    });
  }

  /** An answer from any source; false when the prompt is gone or was answered already. */
  respond(requestId: string, answer: PromptAnswer): boolean {
    return this.pending.get(requestId)?.settle(answer) ?? false;
  }

  get(requestId: string): PendingPrompt | undefined {
    return this.pending.get(requestId);
  }

  list(sessionId?: string): PendingPrompt[] {
    return [...this.pending.values()].filter((p) => !sessionId || p.request.sessionId === sessionId);
  }

  /** Resolves every pending prompt (shutdown, session deleted) as cancelled. */
  cancelAll(pred: (p: PendingPrompt) => boolean = () => true, by = 'shutdown'): void {
    for (const p of [...this.pending.values()]) if (pred(p)) p.settle({ outcome: 'cancelled', by });
  }

  private askClient(slot: Slot, client: ClientPeer, signal: AbortSignal): void {
    const { sessionId, toolCall } = slot.request;
    requestClient(client, SessionRequestPermission, { sessionId, toolCall, options: PROMPT_OPTIONS }, signal)
      .then(({ outcome }) => {
        if (outcome.outcome === 'cancelled') {
          slot.settle({ outcome: 'cancelled', by: client.id });
        } else if (PROMPT_OPTIONS.some((o) => o.optionId === outcome.optionId)) {
          slot.settle({ outcome: 'selected', optionId: outcome.optionId as PermissionOptionId, by: client.id });
        } else if (!signal.aborted) {
          this.logger.warn({ client: client.id, outcome }, 'session/request_permission answer not understood; waiting for another answer');
        }
      })
      .catch((err) => {
        // A client that fails, answers out of shape or goes away does not answer for the others.
        if (signal.aborted) return;
        if (err instanceof RpcError && err.code === ErrorCodes.UpstreamError) {
          this.logger.warn({ client: client.id, err: err.message }, 'session/request_permission answer not understood; waiting for another answer');
        } else this.logger.debug({ err, client: client.id }, 'session/request_permission failed');
      });
  }
}
