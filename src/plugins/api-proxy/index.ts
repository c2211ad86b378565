import { positiveSetting } from '../../host/config.js';
import type { Plugin } from '../../host/plugin.js';
import { SessionServiceToken, type SessionService } from '../sessions/contract.js';
import { chatEndpoints } from './chat-routes.js';
import { chatTurns } from './chat-turns.js';
import { ChatTurnsToken } from './contract.js';
import { downloadEndpoint } from './download.js';
import { Fence } from '../tools/fence.js';
import { TaskStore } from './task-store.js';
import { uploadEndpoint } from './upload.js';
import { listWorkspace, WorkspaceList } from './workspace-list.js';
import { workspaceLoadEndpoint } from './workspace-load.js';
import { workspaceSaveEndpoint } from './workspace-save.js';

const MB = 1024 * 1024;

/**
 * The older browser proxy's `/api/*` surface, as thin raw endpoints over the host's session
 * methods: chat tasks (streamed, resumable by offset, cancellable, capped, evicted by a janitor),
 * files in and out of a session's workspace, and the workspace as a zip. It also provides the
 * chat-turn service the OpenAI-compatible surface uses.
 */
export const apiProxyPlugin: Plugin = {
  name: 'api-proxy',
  description: 'the legacy /api/* surface: chat tasks, upload/download, workspace zip save/load; workspace/list for file browsers',
  dependsOn: ['sessions'],
  methods: [WorkspaceList],
  provides: [ChatTurnsToken],
  requires: [SessionServiceToken],
  activate(ctx) {
    const env = ctx.config.env;
    const sessions = ctx.require(SessionServiceToken);
    const turns = chatTurns(ctx);
    ctx.provide(ChatTurnsToken, turns);
    const tasks = new TaskStore({
      cap: positiveSetting(env.SWITCHBOARD_STREAM_CAP, 50 * 1000 * 1000),
      ttlMs: positiveSetting(env.SWITCHBOARD_TASK_TTL_MS, 10 * 60 * 1000),
      maxTasks: positiveSetting(env.SWITCHBOARD_TASKS_MAX, 200),
    });
    // The janitor: finished tasks go after their TTL (and past the count, on every create).
    const janitor = setInterval(() => tasks.sweep(), Math.min(60_000, positiveSetting(env.SWITCHBOARD_TASK_TTL_MS, 600_000))).unref();
    ctx.subscriptions.defer(() => clearInterval(janitor));
    ctx.status.add('apiProxy', () => ({ chatTasks: tasks.size }));

    const sessionsOf = (): SessionService => sessions;
    const uploadCap = positiveSetting(env.SWITCHBOARD_UPLOAD_MAX_BYTES, 100 * MB);
    // The tools' fence: the same confinement, and the daemon's home is out of bounds even inside a workspace.
    const fence = Fence.forHome(ctx.config.home);
    for (const e of chatEndpoints({ turns: () => turns, tasks, heartbeatMs: positiveSetting(env.SWITCHBOARD_SSE_HEARTBEAT_MS, 15_000) })) ctx.endpoints.add(e);
    ctx.endpoints.add(uploadEndpoint(sessionsOf, uploadCap, fence));
    ctx.endpoints.add(downloadEndpoint(sessionsOf, fence));
    ctx.handle(WorkspaceList, ({ sessionId, path, limit }) => listWorkspace(sessions, fence, sessionId, path, limit));
    ctx.endpoints.add(workspaceSaveEndpoint(sessionsOf, fence));
    ctx.endpoints.add(
      workspaceLoadEndpoint(sessionsOf, {
        maxArchiveBytes: uploadCap,
        maxBytes: positiveSetting(env.SWITCHBOARD_ZIP_MAX_BYTES, 1024 * MB),
        maxEntries: positiveSetting(env.SWITCHBOARD_ZIP_MAX_ENTRIES, 10_000),
      }, fence),
    );
  },
};
