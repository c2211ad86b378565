import { positiveSetting } from '../../host/config.js';
import { notifyClient } from '../../host/client-calls.js';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { ParamsOf } from '../../host/method.js';
import type { Plugin } from '../../host/plugin.js';
import { compileGrep } from './grep.js';
import { levelNumber } from './levels.js';
import { LogFeed, matches, type LineFilter } from './log-feed.js';
import {
  defineLogsStream,
  LogDroppedNotification,
  LogFeedEvent,
  LogLineNotification,
  LogsClientMethods,
  LogsFiles,
  LogsMethods,
  LogsStreamParams,
  LogsSubscribe,
  LogsTail,
  LogsUnsubscribe,
} from './schemas.js';
import { knownSecrets, logSources } from './sources.js';
import { LogSubscriptions } from './subscriptions.js';

type FilterParams = Pick<ParamsOf<ReturnType<typeof defineLogsStream>>, 'files' | 'minLevel' | 'grep'>;

/** One filter for subscriptions and streams; names outside the tailed list are forbidden. */
function filterFor(feed: LogFeed, p: FilterParams): LineFilter & { names: string[] } {
  const names = p.files ? [...new Set(p.files.map((f) => feed.source(f).name))] : feed.files().map((f) => f.name);
  return {
    names,
    files: p.files ? new Set(names) : undefined,
    minLevel: levelNumber(p.minLevel),
    grep: p.grep === undefined ? undefined : compileGrep(p.grep),
  };
}

/**
 * Live logs, in-process: the daemon's own rotating log and the files named in config.json,
 * followed through rotation and truncation, each line parsed and redacted once, streamed to
 * subscribers over stdio and WebSocket through bounded queues, and over SSE (`GET /logs/stream`)
 * as a declared stream with Last-Event-ID resume.
 */
function createLogsPlugin(): Plugin {
  // The feed of the active plugin: the stream's `select` runs in the HTTP bridge, outside a call.
  let feed: LogFeed | undefined;
  const activeFeed = (): LogFeed => {
    if (!feed) throw new RpcError(ErrorCodes.Unavailable, 'the logs plugin is not running');
    return feed;
  };

  const LogsStream = defineLogsStream((raw) => {
    const parsed = LogsStreamParams.safeParse(raw);
    // Bad params are the method's to explain: it is dispatched with the same ones.
    if (!parsed.success) return () => false;
    const filter = filterFor(activeFeed(), parsed.data);
    return (line) => matches(filter, line);
  });

  return {
    name: 'logs',
    description: "in-process tail of the daemon's own log and config.json logs.files; bounded per-subscriber queues",
    methods: [...LogsMethods, LogsStream],
    events: [LogFeedEvent],
    clientMethods: LogsClientMethods,
    async activate(ctx) {
      const env = ctx.config.env;
      const tail = new LogFeed({
        sources: logSources(ctx.config, ctx.logger),
        logger: ctx.logger,
        maxLine: positiveSetting(env.SWITCHBOARD_LOGS_MAX_LINE, 64 * 1024),
        keepLines: positiveSetting(env.SWITCHBOARD_LOGS_KEEP_LINES, 1000),
        replayLines: positiveSetting(env.SWITCHBOARD_LOGS_REPLAY_LINES, 10_000),
        pollMs: positiveSetting(env.SWITCHBOARD_LOGS_POLL_MS, 1000),
        literals: knownSecrets(ctx.config.home),
      });
      ctx.subscriptions.add(tail);
      await tail.start();
      feed = tail;
      ctx.subscriptions.defer(() => void (feed = undefined));
      const subs = ctx.subscriptions.add(
        new LogSubscriptions(tail, {
          maxQueue: positiveSetting(env.SWITCHBOARD_LOGS_QUEUE, 1000),
          highWater: 64 * 1024,
          line: (peer, params) => notifyClient(peer, LogLineNotification, params),
          dropped: (peer, params) => notifyClient(peer, LogDroppedNotification, params),
        }),
      );
      // Every new line once on the bus, for the SSE streams open now (none: one map lookup).
      ctx.subscriptions.add(tail.listen((line) => ctx.events.emit(LogFeedEvent, line)));

      ctx.status.add('logs', () => ({
        files: tail.files().map(({ name, state, size, rotations, truncations, error }) => ({ name, state, size, rotations, truncations, ...(error ? { error } : {}) })),
        lastSeq: tail.lastSeq,
        watchers: tail.watchers.open,
        ...subs.stats(),
      }));

      ctx.handle(LogsFiles, () => ({ files: tail.files() }));

      ctx.handle(LogsTail, ({ file, lines, minLevel }) => ({
        lines: tail.tail(file, lines, levelNumber(minLevel)),
        lastSeq: tail.lastSeq,
      }));

      ctx.handle(LogsSubscribe, (params, call) => {
        if (!call.client.canRequest && call.client.transport === 'http') {
          throw new RpcError(ErrorCodes.InvalidRequest, 'a REST call cannot hold a subscription: use GET /logs/stream (SSE), or logs/subscribe over WebSocket or stdio');
        }
        const { names, ...filter } = filterFor(tail, params);
        const subscriptionId = subs.add(call.client, filter, params.maxQueue);
        return { subscriptionId, files: names, lastSeq: tail.lastSeq };
      });

      ctx.handle(LogsUnsubscribe, ({ subscriptionId }, call) => ({ unsubscribed: subs.remove(call.client, subscriptionId) }));

      ctx.handle(LogsStream, (params) => {
        const filter = filterFor(tail, params);
        if (params.after === undefined) return { events: [], lastSeq: tail.lastSeq };
        const { lines, gone, oldest } = tail.since(params.after);
        if (gone) {
          throw new RpcError(ErrorCodes.Gone, `lines after seq ${params.after} are no longer kept (the daemon keeps the last ${env.SWITCHBOARD_LOGS_REPLAY_LINES ?? 10_000}); streaming live from here`, {
            after: params.after,
            oldest,
            lastSeq: tail.lastSeq,
          });
        }
        return { events: lines.filter((l) => matches(filter, l)), lastSeq: tail.lastSeq };
      });
    },
  };
}

export const logsPlugin: Plugin = createLogsPlugin();
