import path from 'node:path';
import { z } from 'zod';
import type { CallContext } from '../../host/client.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { defineMethod, type PayloadOf } from '../../host/method.js';
import type { Plugin } from '../../host/plugin.js';
import { SessionServiceToken, type SessionService } from '../sessions/contract.js';
import { PermissionGateToken } from '../tools/contract.js';
import { Gate } from './gate.js';
import { GrantStore } from './grant-store.js';
import { PROMPT_OPTIONS, PromptBroker, type PendingPrompt, type PromptAnswer } from './prompt-broker.js';
import { PermissionsFile, RuleBook } from './rule-book.js';
import {
  PermissionEvent,
  PermissionsGet,
  PermissionsGrants,
  PermissionsRespond,
  PermissionsRevoke,
  PermissionsSetMode,
  PermissionsSetRules,
  SessionRequestPermission,
  permissionMethods,
} from './schemas.js';

export const DEFAULT_PROMPT_TIMEOUT_MS = 5 * 60_000;

/** The sessions plugin owns the mode; we reach its ACP method by name. */
const SessionSetMode = defineMethod({ name: 'session/set_mode', description: 'ACP session/set_mode', params: z.unknown(), result: z.unknown() });

/**
 * Permissions: the PermissionGate (modes, glob rules, remembered grants, prompts answered by
 * any attached client) and `permissions/*`. The session's mode lives in the sessions plugin
 * (`SessionInfo.mode`, changed by `session/set_mode`); this plugin only reads it.
 */
export const permissionsPlugin: Plugin = {
  name: 'permissions',
  description: 'tool approval: modes, rules, grants and prompts',
  // Not on `sessions` (which uses the gate): the session service is optional, wired up in the
  // ready phase once every plugin is active.
  dependsOn: ['tools'],
  provides: [PermissionGateToken],
  optional: [SessionServiceToken],
  methods: permissionMethods,
  events: [PermissionEvent],
  clientMethods: [SessionRequestPermission],
  activate(ctx) {
    const file = new PermissionsFile(path.join(ctx.config.home, 'permissions.json'), ctx.logger);
    const config = file.config;
    const envTimeout = Number(ctx.config.env.SWITCHBOARD_PERMISSION_TIMEOUT_MS);
    const timeoutMs = Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : (config.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS);
    const grants = new GrantStore(path.join(ctx.config.home, 'grants.json'), ctx.logger);
    const rules = new RuleBook(file);
    ctx.status.add('permissions', () => ({ config: file.state() }));

    // The session service, once the ready phase has found it (the sessions plugin activates
    // after this one, since it uses the gate).
    let service: SessionService | undefined;
    const sessions = (): SessionService | undefined => service;
    ctx.onReady(() => {
      service = ctx.optional(SessionServiceToken);
      if (!service) return ctx.logger.info('no sessions plugin: permissions/* have no sessions to act on');
      ctx.subscriptions.add(service.onDidChangeMode((s) => gate.redecidePending(s.sessionId)));
      ctx.subscriptions.add(
        service.onDidDelete((sessionId) => {
          broker.cancelAll((p) => p.request.sessionId === sessionId, 'session deleted');
          grants.remove((g) => g.scope === 'session' && g.sessionId === sessionId);
          rules.forget(sessionId);
        }),
      );
    });

    // Our own event: the sessions plugin adds it to the session's stream.
    const publish = (p: PendingPrompt, event: Omit<PayloadOf<typeof PermissionEvent>, 'sessionId' | 'requestId' | 'toolCallId'>) =>
      ctx.events.emit(PermissionEvent, { sessionId: p.request.sessionId, requestId: p.requestId, toolCallId: p.request.toolCallId, ...event });
    const broker = new PromptBroker(ctx.logger, {
      onPending: (p) => publish(p, { state: 'pending', options: PROMPT_OPTIONS, toolCall: p.request.toolCall }),
      onResolved: (p, answer) => {
        if (answer.outcome === 'selected') answer.grant = gate.onResolved(p, answer);
        publish(p, { state: 'resolved', outcome: outcomeOf(answer) });
      },
    });
    const gate = new Gate({ sessions, grants, rules, file, broker, timeoutMs, logger: ctx.logger });
    ctx.provide(PermissionGateToken, gate);
    ctx.subscriptions.defer(async () => {
      broker.cancelAll();
      await grants.flush();
    });

    const requireSession = (sessionId: string) => {
      const s = sessions()?.get(sessionId);
      if (!s) throw RpcError.notFound(`session ${sessionId}`, { sessionId });
      return s;
    };
    const pendingView = (p: PendingPrompt) => ({
      requestId: p.requestId,
      sessionId: p.request.sessionId,
      toolCallId: p.request.toolCallId,
      toolCall: p.request.toolCall,
      options: PROMPT_OPTIONS,
      createdAt: p.createdAt.toISOString(),
      expiresAt: p.expiresAt.toISOString(),
    });

    ctx.handle(PermissionsGet, ({ sessionId }) => {
      requireSession(sessionId);
      return {
        sessionId,
        mode: gate.modeOf(sessionId),
        rules: [
          ...rules.sessionRules(sessionId).map((r) => ({ ...r, source: 'session' as const })),
          ...rules.config.map((r) => ({ ...r, source: 'config' as const })),
        ],
        pending: broker.list(sessionId).map(pendingView),
      };
    });

    ctx.handle(PermissionsRespond, (params, call) => {
      requireSession(params.sessionId);
      const mine = broker.list(params.sessionId);
      const target = params.requestId
        ? broker.get(params.requestId)
        : params.toolCallId
          ? mine.find((p) => p.request.toolCallId === params.toolCallId)
          : mine.length === 1
            ? mine[0]
            : undefined;
      if (!target || target.request.sessionId !== params.sessionId) {
        if (!params.requestId && !params.toolCallId && mine.length > 1) {
          throw RpcError.invalidParams(`${mine.length} approvals are pending in session ${params.sessionId}; say which with requestId`, { pending: mine.map((p) => p.requestId) });
        }
        const which = params.requestId ?? params.toolCallId;
        throw RpcError.conflict(`no pending approval${which ? ` ${which}` : ''} in session ${params.sessionId}: it was answered, cancelled or timed out`, {
          sessionId: params.sessionId,
        });
      }
      const answer: PromptAnswer = { outcome: 'selected', optionId: params.optionId, scope: params.scope, by: call.client.id };
      if (!broker.respond(target.requestId, answer)) {
        throw RpcError.conflict(`approval ${target.requestId} was already answered`, { requestId: target.requestId });
      }
      return { requestId: target.requestId, optionId: params.optionId, ...(answer.grant ? { grant: answer.grant } : {}) };
    });

    ctx.handle(PermissionsSetMode, async ({ sessionId, mode }, call: CallContext) => {
      requireSession(sessionId);
      if (!ctx.host.isAvailable(SessionSetMode.name)) throw new RpcError(ErrorCodes.Unavailable, 'session/set_mode is not available: the sessions plugin is not running');
      await ctx.call(SessionSetMode, { sessionId, modeId: mode }, call);
      return { sessionId, mode: gate.modeOf(sessionId) };
    });

    ctx.handle(PermissionsSetRules, ({ sessionId, rules: next }) => {
      requireSession(sessionId);
      rules.set(sessionId, next);
      gate.redecidePending(sessionId);
      return { sessionId, rules: rules.sessionRules(sessionId) };
    });

    ctx.handle(PermissionsGrants, (params) => {
      // A session's view: its own grants plus its workspace's (grants elsewhere never apply to it).
      const workspace = params?.workspace ?? (params?.sessionId ? sessions()?.get(params.sessionId)?.workspace : undefined);
      return { grants: grants.list({ sessionId: params?.sessionId, workspace }) };
    });

    ctx.handle(PermissionsRevoke, ({ grantId, sessionId, workspace }) => {
      const revoked = grants.remove(
        (g) => (!grantId || g.grantId === grantId) && (!sessionId || g.sessionId === sessionId) && (!workspace || g.workspace === workspace),
      );
      if (grantId && revoked.length === 0) throw RpcError.notFound(`grant ${grantId}`, { grantId });
      return { revoked };
    });
  },
};

function outcomeOf(answer: PromptAnswer): { outcome: 'selected' | 'cancelled'; optionId?: string } {
  if (answer.outcome === 'cancelled') return { outcome: 'cancelled' };
  // An unanswered prompt counts as a rejection.
  if (answer.outcome === 'timeout') return { outcome: 'selected', optionId: 'reject_once' };
  return { outcome: 'selected', optionId: answer.optionId };
}

