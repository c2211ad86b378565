import { z } from 'zod';
import { defineClientNotification, defineEvent, defineMethod, defineStream, NoParams } from '../../host/method.js';
import { MAX_GREP_LENGTH } from './grep.js';
import { LEVEL_NAMES, type LevelName } from './levels.js';

export const LevelNameSchema = z.enum(LEVEL_NAMES as [LevelName, ...LevelName[]]);
/** A level by name or by pino number (30 = info); lines below it are left out. */
export const MinLevel = z.union([LevelNameSchema, z.number().int().min(0).max(100)]).describe('trace|debug|info|warn|error|fatal, or a pino level number');

/** One line as it leaves the daemon: parsed once, secrets redacted, shared by every subscriber. */
export const LogLine = z.object({
  seq: z.number().int().describe('monotonic across every tailed file: the SSE id and the resume point'),
  file: z.string().describe('the tailed file, by its name in logs/files'),
  time: z.number().describe("epoch ms: the line's own time (pino `time`), else when it was read"),
  level: z.number().int().describe('pino level number; plain lines get one from their words'),
  levelName: LevelNameSchema,
  msg: z.string().describe('pino `msg` (or `message`); the whole text for a plain line'),
  text: z.string().describe('the whole line, secrets redacted, control characters replaced'),
  isError: z.boolean().describe('level error or above, or text that says so (Exception, Traceback…)'),
  json: z.boolean().describe('a JSON (pino-style) line'),
  clipped: z.literal(true).optional().describe('the line was longer than the limit and was cut'),
});
export type LogLine = z.infer<typeof LogLine>;

export const LogFileState = z.enum(['waiting', 'tailing', 'vanished', 'error']);

export const LogFile = z.object({
  name: z.string(),
  path: z.string(),
  own: z.boolean().describe("the daemon's own log"),
  state: LogFileState.describe('waiting: not there yet; vanished: was there, is gone (resumes when it returns)'),
  size: z.number().int().nullable(),
  position: z.number().int(),
  bytesRead: z.number().int().describe('since start, the start-up tail included'),
  lines: z.number().int(),
  rotations: z.number().int(),
  truncations: z.number().int(),
  error: z.string().optional(),
});

const FileName = z.string().min(1).max(4096);

export const LogsFiles = defineMethod({
  name: 'logs/files',
  description: "The tailed logs (the daemon's own and those in config.json logs.files): state, size, rotations.",
  params: NoParams,
  result: z.object({ files: z.array(LogFile) }),
});

export const LogsTail = defineMethod({
  name: 'logs/tail',
  description: 'The last lines of one tailed log (by name or path; all of them when left out), oldest first.',
  params: z
    .object({
      file: FileName.optional(),
      lines: z.number().int().min(1).max(1000).default(100),
      minLevel: MinLevel.optional(),
    })
    .default({ lines: 100 }),
  result: z.object({ lines: z.array(LogLine), lastSeq: z.number().int() }),
  rest: { verb: 'GET', path: '/logs/tail' },
});

const Filter = z.object({
  files: z.array(FileName).min(1).max(64).optional().describe('names or paths from logs/files; all when left out'),
  minLevel: MinLevel.optional(),
  grep: z.string().min(1).max(MAX_GREP_LENGTH).optional().describe('substring, or an RE2 pattern (linear time; (?i) for case-insensitive)'),
});

export const LogsSubscribe = defineMethod({
  name: 'logs/subscribe',
  description:
    'Streams new lines as logs/line notifications until logs/unsubscribe or the connection closes. A client that stops reading gets logs/dropped {count} and then the newest lines.',
  params: Filter.extend({
    maxQueue: z.number().int().min(10).max(100_000).optional().describe('lines held for a client that is not reading (default 1000)'),
  }).default({}),
  result: z.object({ subscriptionId: z.string(), files: z.array(z.string()), lastSeq: z.number().int() }),
});

export const LogsUnsubscribe = defineMethod({
  name: 'logs/unsubscribe',
  description: 'Ends a subscription of this connection.',
  params: z.object({ subscriptionId: z.string().min(1) }),
  result: z.object({ unsubscribed: z.boolean() }),
});

export const LogLineNotification = defineClientNotification({
  name: 'logs/line',
  description: 'One new line of a logs/subscribe subscription.',
  params: LogLine.extend({ subscriptionId: z.string() }),
});

export const LogDroppedNotification = defineClientNotification({
  name: 'logs/dropped',
  description: 'Lines a subscription dropped because the client was not reading; the newest lines follow.',
  params: z.object({ subscriptionId: z.string(), count: z.number().int().min(1) }),
});

/** Every new line, once, on the in-process bus: what GET /logs/stream serves. */
export const LogFeedEvent = defineEvent({
  name: 'logs/feed',
  description: 'Every new line of every tailed log, in seq order (in-process bus; GET /logs/stream serves it).',
  payload: LogLine,
});

export const LogsStreamParams = Filter.extend({
  after: z.number().int().min(0).optional().describe('resume after this seq (the SSE Last-Event-ID)'),
}).default({});

/**
 * `logs/stream` and its route `GET /logs/stream`: SSE of LogFeedEvent, selected by the same
 * filter as logs/subscribe (`select`, built once per stream by the plugin, which knows the
 * tailed files), `event: line`, `id:` the seq. The method answers the replay before going live.
 */
export function defineLogsStream(select: (params: Record<string, unknown>) => (line: LogLine) => boolean) {
  return defineMethod({
    name: 'logs/stream',
    description:
      'What GET /logs/stream (SSE, `event: line`, `id:` the seq) replays before going live: the kept lines after `after`, filtered like logs/subscribe. Gone (-32009) when `after` is no longer kept (or is from before a restart).',
    params: LogsStreamParams,
    result: z.object({ events: z.array(LogLine), lastSeq: z.number().int() }),
    rest: {
      verb: 'GET',
      path: '/logs/stream',
      stream: defineStream({ event: LogFeedEvent, select, name: () => 'line', seq: (l) => l.seq }),
    },
  });
}

export const LogsMethods = [LogsFiles, LogsTail, LogsSubscribe, LogsUnsubscribe];
export const LogsClientMethods = [LogLineNotification, LogDroppedNotification];
