import type { Logger } from 'pino';
import { ErrorCodes, RpcError } from '../../host/errors.js';
import { PluginChild, type ChildSpec, type ExitInfo } from './child.js';
import { Handshake, PROTOCOL_API_VERSION } from './protocol.js';
import { RpcLink } from './rpc-link.js';

export interface SupervisorOptions {
  label: string;
  spec: ChildSpec;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  hostVersion: string;
  home: string;
  /** How long `initialize` may take. */
  handshakeTimeoutMs: number;
  /** Crashes tolerated before giving up (each followed by a restart). */
  maxRestarts: number;
  /** First restart delay; doubles each time. */
  backoffMs: number;
  /** Calls the plugin makes back (`host/call`), and its notifications (`host/emit`, `host/log`). */
  onRequest(method: string, params: unknown): Promise<unknown>;
  onNotification(method: string, params: unknown): void;
  /** It crashed more than `maxRestarts` times: the reason, for host/status. */
  onGiveUp(reason: string): void;
}

export type ProcessState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/**
 * Runs one out-of-process plugin: spawns it, shakes hands, proxies calls, and when it dies
 * fails the calls in flight (-32005, with its exit status and last stderr lines), restarts it
 * with backoff a bounded number of times, then gives up. `stop` closes stdin, then SIGTERM,
 * then SIGKILL.
 */
export class Supervisor {
  state: ProcessState = 'starting';
  restarts = 0;
  lastExit?: ExitInfo & { reason: string };
  private child?: PluginChild;
  private link?: RpcLink;
  private timer?: ReturnType<typeof setTimeout>;
  private stopping = false;

  /** Its name in messages: the label until the handshake names it. */
  name: string;

  constructor(private readonly opts: SupervisorOptions) {
    this.name = opts.label;
  }

  get pid(): number | undefined {
    return this.child?.running ? this.child.pid : undefined;
  }

  /** Spawns and shakes hands; throws, with the reason and the child's stderr, when it cannot. */
  async start(): Promise<Handshake> {
    const { opts } = this;
    const child = new PluginChild(opts.spec, opts.env, (line) => opts.logger.debug({ stderr: line }, 'plugin stderr'));
    const link = new RpcLink(child.process.stdout, child.process.stdin, {
      onRequest: (m, p) => opts.onRequest(m, p),
      onNotification: (m, p) => opts.onNotification(m, p),
      onGarbage: (line) => opts.logger.warn({ line: line.slice(0, 200) }, 'plugin wrote a line that is not JSON-RPC on stdout (logs go to stderr)'),
    });
    this.child = child;
    this.link = link;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), opts.handshakeTimeoutMs);
    const early = child.exited.then((e) => {
      throw new Error(`it exited before the handshake (${describeExit(e)})`);
    });
    try {
      const raw = await Promise.race([
        link.request('initialize', { apiVersion: PROTOCOL_API_VERSION, host: { name: 'switchboard', version: opts.hostVersion }, home: opts.home }, ac.signal),
        early,
      ]).catch((err) => {
        if (ac.signal.aborted) throw new Error(`it did not answer "initialize" within ${opts.handshakeTimeoutMs} ms`);
        throw err;
      });
      const parsed = Handshake.safeParse(raw);
      if (!parsed.success) throw new Error(`its "initialize" answer is not a handshake: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(result)'}: ${i.message}`).join('; ')}`);
      if (parsed.data.apiVersion !== PROTOCOL_API_VERSION) {
        throw new Error(`it speaks plugin protocol ${parsed.data.apiVersion}, and this Switchboard (${opts.hostVersion}) speaks ${PROTOCOL_API_VERSION}`);
      }
      this.state = 'running';
      void child.exited.then((e) => this.onExit(child, e));
      return parsed.data;
    } catch (err) {
      void early.catch(() => undefined);
      link.close(new RpcError(ErrorCodes.Unavailable, 'the plugin did not start'));
      await child.stop(200);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A call to the plugin; -32005 at once while it is down or restarting. */
  call(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.state !== 'running' || !this.link) {
      const why = this.lastExit ? `: it exited (${this.lastExit.reason})` : '';
      return Promise.reject(new RpcError(ErrorCodes.Unavailable, `plugin "${this.name}" is ${this.state}${why}`));
    }
    return this.link.request(method, params, signal);
  }

  private onExit(child: PluginChild, exit: ExitInfo): void {
    if (child !== this.child || this.stopping) return;
    const reason = describeExit(exit);
    this.lastExit = { ...exit, reason };
    this.link?.close(new RpcError(ErrorCodes.Unavailable, `plugin "${this.name}" exited during the call (${reason})`, { exit: { code: exit.code, signal: exit.signal }, stderr: exit.stderr }));
    this.opts.logger.error({ code: exit.code, signal: exit.signal, stderr: exit.stderr }, 'plugin process exited');
    if (this.restarts >= this.opts.maxRestarts) {
      this.state = 'failed';
      this.opts.onGiveUp(`its process exited ${this.restarts + 1} times; gave up restarting it (last: ${reason})`);
      return;
    }
    this.state = 'restarting';
    const delay = this.opts.backoffMs * 2 ** this.restarts;
    this.restarts++;
    this.timer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    try {
      const hs = await this.start();
      this.opts.logger.info({ restarts: this.restarts, pid: this.pid, methods: hs.methods.length }, 'plugin process restarted');
    } catch (err) {
      // A restart that cannot shake hands counts as one more crash.
      this.onExit(this.child!, { code: null, signal: null, stderr: [(err as Error).message] });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.link?.close(new RpcError(ErrorCodes.Unavailable, `plugin "${this.name}" is stopping`));
    await this.child?.stop();
  }
}

export function describeExit(e: ExitInfo): string {
  const how = e.signal ? `killed by ${e.signal}` : e.code === null ? 'could not run' : `exit code ${e.code}`;
  return e.stderr.length ? `${how}; last stderr: ${e.stderr.slice(-3).join(' | ')}` : how;
}
