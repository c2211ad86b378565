import type { ClientPeer } from '../../host/client.js';
import { notifyClient } from '../../host/client-calls.js';
import { RpcError } from '../../host/errors.js';
import type { PluginContext } from '../../host/plugin.js';
import { partitionAcpServers, redactAcpServers } from '../mcp/acp-servers.js';
import { describeCall } from '../tools/acp-fields.js';
import type { ToolRegistry } from '../tools/contract.js';
import { workspaceWarnings } from '../tools/fence.js';
import { AVAILABLE_COMMANDS } from './commands.js';
import type { SessionConfig } from './config-options.js';
import type { SessionManager } from './manager.js';
import { historyUpdates } from './replay.js';
import {
  SESSION_MODES,
  SessionClose,
  SessionList,
  SessionLoad,
  SessionNew,
  SessionResume,
  SessionSetConfigOption,
  SessionSetMode,
  SessionUpdate,
} from './schemas.js';
import type { Session } from './session.js';

export interface LifecycleDeps {
  manager: SessionManager;
  config: SessionConfig;
  /** The profile a new session uses (the given one, or the default), or a clear error. */
  profileOf(name: string | undefined): string;
  /** Sessions per `session/list` page. */
  pageSize: number;
  tools: ToolRegistry;
}

export const modesOf = (s: Session) => ({ currentModeId: s.meta.mode, availableModes: SESSION_MODES.map((m) => ({ ...m })) });

/** A session as `session/get`, `session/list` and `POST /sessions` show it. */
export function viewOf(s: Session) {
  return {
    sessionId: s.id,
    cwd: s.meta.workspace,
    workspace: s.meta.workspace,
    additionalDirectories: s.meta.additionalDirectories ?? [],
    profile: s.meta.profile,
    mode: s.meta.mode,
    systemPrompt: s.meta.systemPrompt,
    title: s.meta.title,
    createdAt: s.meta.createdAt,
    updatedAt: s.updatedAt,
    messageCount: s.messageCount,
    turnActive: s.turn !== undefined,
    lastSeq: s.seq,
    mcpServers: redactAcpServers(s.meta.mcpServers),
    ...(s.meta.forkedFrom ? { forkedFrom: s.meta.forkedFrom } : {}),
  };
}

/** `session/list` paging: an opaque cursor naming the last session of the previous page. */
const cursorOf = (s: Session) => Buffer.from(JSON.stringify([s.updatedAt, s.id])).toString('base64url');
function afterCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    /* answered below */
  }
  throw RpcError.invalidParams('cursor is not one this agent gave: pass the nextCursor of the previous session/list answer, or none for the first page');
}

/** Most recently updated first; the id breaks ties so that paging is a total order. */
const newerFirst = (a: Session, b: Session) =>
  a.updatedAt !== b.updatedAt ? (a.updatedAt < b.updatedAt ? 1 : -1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The ACP session lifecycle: new, load, resume, close, list (paged), set_mode and
 * set_config_option. Delete, prompt and the host extras live in the plugin's index.
 */
export function registerLifecycle(ctx: PluginContext, deps: LifecycleDeps): void {
  const { manager, config } = deps;

  /**
   * ACP editors learn the slash commands from `available_commands_update`, which must follow the
   * answer that told them the session id: queued behind the answer, which is written first.
   */
  const announceCommands = (s: Session, client: ClientPeer) =>
    setImmediate(() => {
      // Per client, like a replay: not a session event (no seq, not in the log).
      if (!manager.get(s.id) || client.closed.aborted) return;
      notifyClient(client, SessionUpdate, { sessionId: s.id, update: { sessionUpdate: 'available_commands_update', availableCommands: AVAILABLE_COMMANDS.map((c) => ({ ...c })) } });
    });

  /** load and resume: new roots and MCP servers replace the old ones; the session comes into use. */
  const reattach = (s: Session, p: { additionalDirectories?: string[] | null; mcpServers?: Record<string, unknown>[] | null }, client: ClientPeer) => {
    const at = new Date().toISOString();
    const { kept, skipped } = partitionAcpServers(p.mcpServers ?? []);
    const serversChanged = kept.length > 0 && JSON.stringify(kept) !== JSON.stringify(s.meta.mcpServers);
    if (serversChanged) s.record({ k: 'set', patch: { mcpServers: kept }, at });
    const dirs = manager.directoriesOf(p.additionalDirectories, s.meta.workspace);
    const dirsChanged = JSON.stringify(dirs) !== JSON.stringify(s.meta.additionalDirectories ?? []);
    if (dirsChanged) s.record({ k: 'set', patch: { additionalDirectories: dirs }, at });
    manager.attach(s, client);
    if (serversChanged || dirsChanged) manager.reopen(s);
    else manager.activate(s);
    announceCommands(s, client);
    return { modes: modesOf(s), configOptions: config.options(s), ...(skipped.length ? { _meta: { warnings: skipped } } : {}) };
  };

  ctx.handle(SessionNew, (p, call) => {
    const { kept, skipped } = partitionAcpServers(p?.mcpServers ?? []);
    const s = manager.create({
      workspace: p?.cwd ?? p?.workspace,
      additionalDirectories: p?.additionalDirectories ?? [],
      profile: deps.profileOf(p?.profile),
      mode: p?.mode ?? 'ask',
      systemPrompt: p?.systemPrompt,
      title: p?.title,
      mcpServers: kept,
      messages: p?.history?.map((m) =>
        m.role === 'user' ? { role: 'user' as const, content: [{ type: 'text', text: m.content }] } : { role: 'assistant' as const, text: m.content },
      ),
    });
    manager.attach(s, call.client);
    ctx.logger.info({ sessionId: s.id, profile: s.meta.profile }, 'session created');
    if (skipped.length) ctx.logger.warn({ sessionId: s.id, skipped }, 'ACP mcpServers of an unsupported type skipped');
    // Every root is a fence: one that is the whole disk or a home folder deserves a word.
    const warnings = [
      ...workspaceWarnings(s.meta.workspace, ctx.config.home, ctx.config.env.HOME),
      ...(s.meta.additionalDirectories ?? []).flatMap((d) => workspaceWarnings(d, ctx.config.home, ctx.config.env.HOME).map((w) => `additionalDirectories ${d}: ${w}`)),
    ];
    if (warnings.length > 0) ctx.logger.warn({ sessionId: s.id, workspace: s.meta.workspace, warnings }, 'wide workspace');
    announceCommands(s, call.client);
    return {
      ...viewOf(s),
      modes: modesOf(s),
      configOptions: config.options(s),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(skipped.length ? { _meta: { warnings: skipped } } : {}),
    };
  });

  ctx.handle(SessionLoad, (p, call) => {
    const s = manager.require(p.sessionId);
    const describe = (name: string, args: unknown) => describeCall(deps.tools.get(name, s.id), name, args, s.meta.workspace);
    for (const update of historyUpdates(s.id, s.messages, describe)) {
      notifyClient(call.client, SessionUpdate, { sessionId: s.id, update, _meta: { replay: true } });
    }
    return reattach(s, p, call.client);
  });

  ctx.handle(SessionResume, (p, call) => {
    const s = manager.require(p.sessionId);
    if (p.cwd !== undefined && manager.workspaceOf(p.cwd) !== s.meta.workspace) {
      throw RpcError.invalidParams(`cwd "${p.cwd}" is not the cwd of session ${s.id} (${s.meta.workspace})`, { sessionId: s.id });
    }
    return reattach(s, p, call.client);
  });

  ctx.handle(SessionClose, async ({ sessionId }) => {
    const s = manager.require(sessionId);
    await s.lock.run(() => manager.close(s));
    ctx.logger.info({ sessionId }, 'session closed');
    return {};
  });

  ctx.handle(SessionList, (p) => {
    const cwd = p?.cwd ?? undefined;
    const after = p?.cursor ? afterCursor(p.cursor) : undefined;
    // The workspace is never changed by a later record: the filter needs no more than the meta.
    const all = manager
      .listed(cwd ? (s) => s.meta.workspace === cwd : undefined)
      .sort(newerFirst)
      .filter((s) => !after || s.updatedAt < after[0] || (s.updatedAt === after[0] && s.id > after[1]));
    const page = all.slice(0, deps.pageSize);
    return { sessions: page.map(viewOf), ...(all.length > page.length ? { nextCursor: cursorOf(page[page.length - 1]) } : {}) };
  });

  const setMode = (s: Session, mode: string) => {
    const before = s.meta.mode;
    manager.setMode(s, mode);
    // `modes` and the `mode` config option are one value: both views hear of a change.
    if (before !== mode) config.announce(s);
  };

  ctx.handle(SessionSetMode, ({ sessionId, modeId }) => {
    const s = manager.require(sessionId);
    return s.lock.run(() => {
      setMode(s, modeId);
      return {};
    });
  });

  ctx.handle(SessionSetConfigOption, ({ sessionId, configId, value }) => {
    const s = manager.require(sessionId);
    return s.lock.run(() => {
      return { configOptions: config.set(s, configId, value, (mode) => setMode(s, mode)) };
    });
  });
}
