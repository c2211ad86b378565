import { z } from 'zod';
import { APPROVAL_MODES, ApprovalMode } from '../tools/modes.js';
import { NoParams, defineClientNotification, defineMethod } from '../../host/method.js';
import { SessionEventPayload, SessionStream, StopReason } from './contract.js';

/** The approval modes (the permissions plugin enforces them; `ask` is the default) a session can be in: declared once, by the tools plugin. */
export const SESSION_MODES = APPROVAL_MODES;
export const ModeId = ApprovalMode;

const SessionId = z.string().min(1).max(200);
const Meta = z.record(z.string(), z.unknown()).nullable().optional();
/** ACP ContentBlock, checked for its type and kept open for passthrough. */
export const ContentBlockSchema = z.object({ type: z.string() }).catchall(z.unknown());
const McpServers = z.array(z.record(z.string(), z.unknown())).nullable().optional();
/** ACP `additionalDirectories`: extra absolute roots beside `cwd` (the fence and MCP roots cover all). */
const AdditionalDirectories = z.array(z.string()).max(32).nullable().optional();

/** ACP SessionConfigOption (select, or boolean for clients that advertise it). */
export const ConfigOption = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('select'),
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    category: z.string().optional(),
    currentValue: z.string(),
    options: z.array(z.object({ value: z.string(), name: z.string(), description: z.string().optional() })),
  }),
  z.object({
    type: z.literal('boolean'),
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    category: z.string().optional(),
    currentValue: z.boolean(),
  }),
]);
const ConfigOptions = z.array(ConfigOption);

const ModeState = z.object({
  currentModeId: z.string(),
  availableModes: z.array(z.object({ id: z.string(), name: z.string(), description: z.string().nullable().optional() })),
});

/** A session as `session/get`, `session/list` and `POST /sessions` show it. */
export const SessionView = z.object({
  sessionId: z.string(),
  /** ACP SessionInfo.cwd: the workspace. */
  cwd: z.string(),
  workspace: z.string(),
  profile: z.string(),
  mode: z.string(),
  systemPrompt: z.string().nullable(),
  title: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  messageCount: z.number().int(),
  turnActive: z.boolean(),
  lastSeq: z.number().int(),
  forkedFrom: z.string().optional(),
  mcpServers: z.array(z.unknown()),
  /** ACP SessionInfo.additionalDirectories: the extra roots, in order. */
  additionalDirectories: z.array(z.string()),
});

export const SessionNew = defineMethod({
  name: 'session/new',
  description:
    'ACP: creates a session. `cwd` (absolute) becomes its workspace (`workspace` is an alias for REST); with neither, a folder under $SWITCHBOARD_HOME/workspaces/<id> is made. Optional `profile` (default: the default profile), `systemPrompt`, `mode`, and `history` (earlier user/assistant messages as text).',
  params: z.object({
    cwd: z.string().optional(),
    workspace: z.string().optional(),
    additionalDirectories: AdditionalDirectories,
    mcpServers: McpServers,
    profile: z.string().optional(),
    systemPrompt: z.string().optional(),
    mode: ModeId.optional(),
    title: z.string().max(200).optional(),
    /** Earlier turns to start from (the `/api/chat` and OpenAI surfaces bring the conversation with them). */
    history: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })).max(10_000).optional(),
    _meta: Meta,
  }).optional(),
  result: SessionView.extend({
    modes: ModeState,
    configOptions: ConfigOptions,
    warnings: z.array(z.string()).optional().describe('what to know about the workspace: the file-system root or a home folder is a very wide fence'),
    _meta: Meta,
  }),
  rest: { verb: 'POST', path: '/sessions', status: 201 },
});

export const SessionLoad = defineMethod({
  name: 'session/load',
  description: 'ACP: loads a persisted session and replays its history to this client as session/update notifications before answering.',
  params: z.object({ sessionId: SessionId, cwd: z.string().optional(), additionalDirectories: AdditionalDirectories, mcpServers: McpServers, _meta: Meta }),
  result: z.object({ modes: ModeState, configOptions: ConfigOptions, _meta: Meta }),
});

export const SessionResume = defineMethod({
  name: 'session/resume',
  description:
    'ACP: reattaches this client to a session without replaying its history (unlike session/load). `cwd` must be the session\'s; `additionalDirectories`, when given, replaces its extra roots.',
  params: z.object({ sessionId: SessionId, cwd: z.string().optional(), additionalDirectories: AdditionalDirectories, mcpServers: McpServers, _meta: Meta }),
  result: z.object({ modes: ModeState, configOptions: ConfigOptions, _meta: Meta }),
});

export const SessionClose = defineMethod({
  name: 'session/close',
  description:
    'ACP: cancels any running turn, then frees the session\'s in-memory state (history, replay buffer, provider, MCP connections, attached clients). The log stays: session/load or session/resume brings it back.',
  params: z.object({ sessionId: SessionId, _meta: Meta }),
  result: z.object({ _meta: Meta }),
});

export const SessionSetConfigOption = defineMethod({
  name: 'session/set_config_option',
  description:
    'ACP: sets one of the session\'s configOptions (`mode`, `model` = a profile, `thought_level` where the provider supports reasoning effort); answers with all of them, and attached clients get config_option_update.',
  params: z.object({
    sessionId: SessionId,
    configId: z.string().min(1),
    type: z.string().optional(),
    value: z.union([z.string(), z.boolean()]),
    _meta: Meta,
  }),
  result: z.object({ configOptions: ConfigOptions, _meta: Meta }),
});

export const SessionList = defineMethod({
  name: 'session/list',
  description:
    'ACP: lists sessions, most recently updated first, a page at a time (`nextCursor` is set while more remain; pass it as `cursor`); `cwd` filters by workspace.',
  params: z.object({ cwd: z.string().nullable().optional(), cursor: z.string().nullable().optional(), _meta: Meta }).optional().nullable(),
  result: z.object({ sessions: z.array(SessionView), nextCursor: z.string().nullable().optional() }),
  rest: { verb: 'GET', path: '/sessions' },
});

export const SessionGet = defineMethod({
  name: 'session/get',
  description: 'One session: workspace, profile, mode, system prompt, counts, whether a turn runs.',
  params: z.object({ sessionId: SessionId }),
  result: SessionView,
  rest: { verb: 'GET', path: '/sessions/{session_id}' },
});

export const SessionDelete = defineMethod({
  name: 'session/delete',
  description: 'Cancels any running turn, removes the session and its log (owners of per-session resources release them).',
  params: z.object({ sessionId: SessionId, _meta: Meta }),
  result: z.object({}).loose(),
  rest: { verb: 'DELETE', path: '/sessions/{session_id}' },
});

const HistoryMessage = z.object({ role: z.enum(['user', 'assistant', 'tool']) }).catchall(z.unknown());

export const SessionHistory = defineMethod({
  name: 'session/history',
  description: 'The conversation: the system prompt and the messages (user, assistant with tool calls, tool results).',
  params: z.object({ sessionId: SessionId }),
  result: z.object({ sessionId: z.string(), systemPrompt: z.string().nullable(), messages: z.array(HistoryMessage) }),
  rest: { verb: 'GET', path: '/sessions/{session_id}/history' },
});

export const SessionClear = defineMethod({
  name: 'session/clear',
  description: 'Clears the history, keeping the system prompt. Refused while a turn runs.',
  params: z.object({ sessionId: SessionId }),
  result: z.object({ sessionId: z.string(), cleared: z.number().int() }),
  rest: { verb: 'DELETE', path: '/sessions/{session_id}/history' },
});

export const SessionSetSystemPrompt = defineMethod({
  name: 'session/set_system_prompt',
  description: 'Sets (or with null, removes) the system prompt; it applies from the next model request.',
  params: z.object({ sessionId: SessionId, systemPrompt: z.string().nullable() }),
  result: z.object({ sessionId: z.string(), systemPrompt: z.string().nullable() }),
});

export const SessionFork = defineMethod({
  name: 'session/fork',
  description:
    'A new session with the same workspace, profile, mode and system prompt, and the history up to and including message index `upTo` (0-based; default: all).',
  params: z.object({ sessionId: SessionId, upTo: z.number().int().min(-1).optional(), title: z.string().optional() }),
  result: SessionView,
});

export const SessionSetMode = defineMethod({
  name: 'session/set_mode',
  description: 'ACP: sets the approval mode (ask, accept-edits, read-only, bypass).',
  params: z.object({ sessionId: SessionId, modeId: ModeId, _meta: Meta }),
  result: z.object({}).loose(),
});

export const SessionPrompt = defineMethod({
  name: 'session/prompt',
  description:
    'ACP: runs one turn. `prompt` is ACP ContentBlock[]; `message` (a string) is the REST shorthand. Streams session/update notifications; answers with the stopReason. One turn at a time per session (else -32003).',
  params: z
    .object({ sessionId: SessionId, prompt: z.array(ContentBlockSchema).optional(), message: z.string().optional(), _meta: Meta })
    .refine((p) => (p.prompt && p.prompt.length > 0) || (p.message !== undefined && p.message.length > 0), {
      message: 'give `prompt` (ACP ContentBlock[]) or `message` (text)',
      path: ['prompt'],
    }),
  result: z.object({ stopReason: StopReason, _meta: Meta }),
  rest: { verb: 'POST', path: '/sessions/{session_id}/message', stream: SessionStream },
});

export const SessionCancel = defineMethod({
  name: 'session/cancel',
  description: 'ACP notification (also usable as a request): cancels the running turn, which ends with stopReason "cancelled".',
  params: z.object({ sessionId: SessionId, _meta: Meta }),
  result: z.object({ cancelled: z.boolean() }),
  rest: { verb: 'POST', path: '/sessions/{session_id}/cancel' },
});

export const SessionEvents = defineMethod({
  name: 'session/events',
  description:
    'The buffered events after seq `after` (default: all kept). Asking for events already evicted fails with -32009 (Gone), naming the oldest seq kept; so does resuming from a seq inside an event that log compaction merged (`data.compacted: {from, seq}`).',
  params: z.object({ sessionId: SessionId, after: z.coerce.number().int().min(0).optional() }),
  result: z.object({ sessionId: z.string(), events: z.array(SessionEventPayload), lastSeq: z.number().int(), oldestSeq: z.number().int() }),
  rest: { verb: 'GET', path: '/sessions/{session_id}/events', stream: SessionStream },
});

/** ACP `session/update`: how a session's events reach the attached ACP clients. */
export const SessionUpdate = defineClientNotification({
  name: 'session/update',
  description:
    'ACP notification to every attached client: one SessionUpdate (agent_message_chunk, agent_thought_chunk, tool_call, tool_call_update, usage_update, current_mode_update…) with the event seq in `_meta.seq` (`_meta.replay` for session/load history).',
  params: z.object({
    sessionId: z.string(),
    update: z.object({ sessionUpdate: z.string() }).catchall(z.unknown()),
    _meta: z.object({ seq: z.number().int().optional(), replay: z.boolean().optional() }).loose().optional(),
  }),
});

export const SessionMethods = [
  SessionNew,
  SessionLoad,
  SessionResume,
  SessionClose,
  SessionList,
  SessionGet,
  SessionDelete,
  SessionHistory,
  SessionClear,
  SessionSetSystemPrompt,
  SessionFork,
  SessionSetMode,
  SessionSetConfigOption,
  SessionPrompt,
  SessionCancel,
  SessionEvents,
];

export { NoParams };
