import { ErrorCodes, RpcError } from '../../host/errors.js';
import type { Plugin } from '../../host/plugin.js';
import { StatusRegistryToken } from '../host-info/status-registry.js';
import { compileGrep } from './grep.js';
import { levelNumber } from './levels.js';
import { LogFeed } from './log-feed.js';
import { LogsEvents, LogsFiles, LogsMethods, LogsSubscribe, LogsTail, LogsUnsubscribe } from './schemas.js';
import { knownSecrets, logSources } from './sources.js';
import { LogSubscriptions } from './subscriptions.js';

const positive = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/**
 * Live logs, in-process: the daemon's own rotating log and the files named in config.json,
 * followed through rotation and truncation, each line parsed and redacted once, and streamed
 * to subscribers over any transport through bounded queues.
 */
export const logsPlugin: Plugin = {
  name: 'logs',
  description: "in-process tail of the daemon's own log and config.json logs.files; bounded per-subscriber queues",
  methods: LogsMethods,
  events: LogsEvents,
  async activate(ctx) {
    const env = ctx.config.env;
    const feed = new LogFeed({
      sources: logSources(ctx.config, ctx.logger),
      logger: ctx.logger,
      maxLine: positive(env.SWITCHBOARD_LOGS_MAX_LINE, 64 * 1024),
      keepLines: positive(env.SWITCHBOARD_LOGS_KEEP_LINES, 1000),
      replayLines: positive(env.SWITCHBOARD_LOGS_REPLAY_LINES, 10_000),
      pollMs: positive(env.SWITCHBOARD_LOGS_POLL_MS, 1000),
      literals: knownSecrets(ctx.config.home),
    });
    ctx.subscriptions.add(feed);
    await feed.start();
    const subs = ctx.subscriptions.add(
      new LogSubscriptions(feed, { maxQueue: positive(env.SWITCHBOARD_LOGS_QUEUE, 1000), highWater: 64 * 1024 }),
    );

    if (ctx.container.isRegistered(StatusRegistryToken, true)) {
      ctx.subscriptions.add(
        ctx.container.resolve(StatusRegistryToken).add('logs', () => ({
          files: feed.files().map(({ name, state, size, rotations, truncations, error }) => ({ name, state, size, rotations, truncations, ...(error ? { error } : {}) })),
          lastSeq: feed.lastSeq,
          watchers: feed.watchers.open,
          ...subs.stats(),
        })),
      );
    }

    ctx.handle(LogsFiles, () => ({ files: feed.files() }));

    ctx.handle(LogsTail, ({ file, lines, minLevel }) => ({
      lines: feed.tail(file, lines, levelNumber(minLevel)),
      lastSeq: feed.lastSeq,
    }));

    ctx.handle(LogsSubscribe, ({ files, minLevel, grep, maxQueue }, call) => {
      if (!call.client.canRequest && call.client.transport === 'http') {
        throw new RpcError(ErrorCodes.InvalidRequest, 'a REST call cannot hold a subscription: use GET /logs/stream (SSE), or logs/subscribe over WebSocket or stdio');
      }
      const names = files ? [...new Set(files.map((f) => feed.source(f).name))] : feed.files().map((f) => f.name);
      const filter = {
        files: files ? new Set(names) : undefined,
        minLevel: levelNumber(minLevel),
        grep: grep === undefined ? undefined : compileGrep(grep),
      };
      const subscriptionId = subs.add(call.client, filter, maxQueue);
      return { subscriptionId, files: names, lastSeq: feed.lastSeq };
    });

    ctx.handle(LogsUnsubscribe, ({ subscriptionId }, call) => ({ unsubscribed: subs.remove(call.client, subscriptionId) }));
  },
};
