import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import { ErrorCodes, RpcError, toRpcError } from '../../../host/errors.js';
import { agentGone, hubPeer, serveRemoteCall, unknownAgent, type Dispatch } from '../calls.js';
import type { AgentRecord, HubMember } from '../member.js';
import { PeerEvent, PeerRecord } from '../peer-protocol.js';
import type { HubSink, HubTransport } from '../view.js';
import type { NatsSettings } from './options.js';

export interface NatsTransportOptions {
  settings: NatsSettings;
  /** Subject prefix (`--hub-name`). */
  hubName: string;
  member: HubMember;
  sink: HubSink;
  dispatch: Dispatch;
  container: DependencyContainer;
  logger: Logger;
  /** Presence heartbeat period; an agent is gone after 3 missed beats. */
  beatMs: number;
  /** Whether to subscribe to every agent's session events from the start (serve: its clients follow). */
  wantSessions: boolean;
}

interface PendingCall {
  agentId: string;
  /** Cleared by the callee's ack: a request nobody took (lost while it reconnects) fails at once. */
  ackTimer?: NodeJS.Timeout;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** How long a call waits for the callee to say it has it. */
const ACK_MS = 2000;

type ConnState = 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/**
 * The hub across machines, on NATS. Subjects, under the hub name `<h>`:
 * `<h>.presence.<agent>` (heartbeat with the record), `<h>.leave.<agent>`, `<h>.hello` (a
 * newcomer asks everyone to announce), `<h>.events.<agent>`, `<h>.session.<agent>` (session
 * events), `<h>.rpc.<agent>` (request/reply hub calls) and `<h>.cancel.<agent>`.
 */
export class NatsTransport implements HubTransport {
  readonly mode = 'nats' as const;
  private nc?: NatsConnection;
  private state: ConnState = 'connecting';
  private readonly lastSeen = new Map<string, number>();
  private readonly pending = new Map<string, PendingCall>();
  private readonly running = new Map<string, AbortController>();
  private readonly subs: { dispose(): void }[] = [];
  private beat?: NodeJS.Timeout;
  private closed = false;
  private inbox = '';
  private reconnectDelay = 250;
  private stats = { reconnects: 0, disconnects: 0, lastError: undefined as string | undefined };
  private readonly selfId: string;

  constructor(private readonly opts: NatsTransportOptions) {
    this.selfId = opts.member.id.agentId;
  }

  private subject(kind: string, agentId?: string): string {
    return agentId ? `${this.opts.hubName}.${kind}.${agentId}` : `${this.opts.hubName}.${kind}`;
  }

  async start(): Promise<void> {
    const { settings, logger } = this.opts;
    // Loaded on first use: local-mode agents never pay for the NATS client.
    const nats = await import('@nats-io/transport-node');
    const authenticator = settings.creds
      ? nats.credsAuthenticator(settings.creds)
      : settings.user !== undefined
        ? nats.usernamePasswordAuthenticator(settings.user, settings.pass ?? '')
        : settings.token !== undefined
          ? nats.tokenAuthenticator(settings.token)
          : undefined;
    const nc = await nats.connect({
      servers: settings.servers,
      name: `switchboard ${this.selfId}`,
      ...(authenticator ? { authenticator } : {}),
      ...(settings.tls ? { tls: settings.caFile ? { caFile: settings.caFile } : {} } : {}),
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      // Backoff: 250 ms doubling to 5 s, back to 250 ms once connected again.
      reconnectDelayHandler: () => {
        const d = this.reconnectDelay;
        this.reconnectDelay = Math.min(5000, d * 2);
        return d;
      },
      pingInterval: 10_000,
    });
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.state = 'connected';
    this.inbox = nats.createInbox();
    void this.watchStatus(nc);
    this.listen(nc);
    this.opts.sink.connection('connected', settings.display);
    this.announce();
    nc.publish(this.subject('hello'), JSON.stringify({ agentId: this.selfId }));
    const { member } = this.opts;
    this.subs.push(
      member.onEvent((event) => this.publish(this.subject('events', this.selfId), { event, record: member.record() })),
      member.onChange(() => this.announce()),
      member.onSessionEvent((event) => this.publish(this.subject('session', this.selfId), { event })),
    );
    this.beat = setInterval(() => this.tick(), this.opts.beatMs);
    this.beat.unref();
    logger.info({ server: settings.display, hub: this.opts.hubName, agentId: this.selfId }, 'joined the NATS hub');
  }

  private publish(subject: string, body: unknown): void {
    if (!this.nc || this.state !== 'connected') return;
    try {
      this.nc.publish(subject, JSON.stringify(body));
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message, subject }, 'hub publish failed');
    }
  }

  private announce(): void {
    this.publish(this.subject('presence', this.selfId), { record: this.opts.member.record() });
  }

  /** Heartbeat, and the sweep of agents that missed three beats (paused while we are cut off). */
  private tick(): void {
    if (this.state !== 'connected') return;
    this.announce();
    const limit = Date.now() - 3 * this.opts.beatMs;
    for (const [agentId, seen] of this.lastSeen) {
      if (seen < limit) this.gone(agentId, 'timeout');
    }
  }

  private gone(agentId: string, reason: 'exit' | 'timeout'): void {
    if (!this.lastSeen.delete(agentId)) return;
    for (const [id, call] of this.pending) {
      if (call.agentId !== agentId) continue;
      this.pending.delete(id);
      call.reject(agentGone(agentId));
    }
    this.opts.sink.left(agentId, reason);
  }

  /** Subscribes; what this agent itself published on a `*` subject is skipped (the view has it already). */
  private sub(nc: NatsConnection, subject: string, handle: (msg: Msg, agentId: string) => void): void {
    const others = subject.endsWith('.*') && !subject.startsWith(this.inbox);
    const s: Subscription = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const agentId = msg.subject.split('.').at(-1) ?? '';
        if (others && agentId === this.selfId) return;
        try {
          handle(msg, agentId);
        } catch (e) {
          this.opts.logger.debug({ err: (e as Error).message, subject: msg.subject }, 'bad hub message ignored');
        }
      },
    });
    this.subs.push({ dispose: () => s.unsubscribe() });
  }

  private seen(record: AgentRecord): boolean {
    const known = this.lastSeen.has(record.agentId);
    this.lastSeen.set(record.agentId, Date.now());
    return known;
  }

  private listen(nc: NatsConnection): void {
    const { sink } = this.opts;
    this.sub(nc, this.subject('presence', '*'), (msg, agentId) => {
      const p = PeerRecord.params.safeParse(msg.json());
      if (!p.success || p.data.record.agentId !== agentId) return;
      if (this.seen(p.data.record)) sink.record(p.data.record);
      else sink.joined(p.data.record);
    });
    this.sub(nc, this.subject('leave', '*'), (_msg, agentId) => this.gone(agentId, 'exit'));
    this.sub(nc, this.subject('hello'), () => this.announce());
    this.sub(nc, this.subject('events', '*'), (msg, agentId) => {
      const p = PeerEvent.params.safeParse(msg.json());
      if (!p.success || p.data.record.agentId !== agentId) return;
      this.seen(p.data.record);
      sink.event(p.data.event, p.data.record);
    });
    if (this.opts.wantSessions) this.subscribeSessions(nc);
    this.sub(nc, this.subject('rpc', this.selfId), (msg) => void this.serve(msg));
    this.sub(nc, this.subject('cancel', this.selfId), (msg) => {
      const { callId } = msg.json() as { callId?: string };
      if (callId) this.running.get(callId)?.abort();
    });
    this.sub(nc, `${this.inbox}.*`, (msg) => {
      const callId = msg.subject.slice(this.inbox.length + 1);
      const call = this.pending.get(callId);
      if (!call) return;
      const body = msg.json() as { ack?: true; result?: unknown; error?: { code: number; message: string; data?: unknown } };
      clearTimeout(call.ackTimer);
      if (body.ack) return;
      this.pending.delete(callId);
      if (body.error) call.reject(new RpcError(body.error.code, body.error.message, body.error.data));
      else call.resolve(body.result);
    });
  }

  private sessionsSubscribed = false;

  private subscribeSessions(nc: NatsConnection): void {
    if (this.sessionsSubscribed) return;
    this.sessionsSubscribed = true;
    this.sub(nc, this.subject('session', '*'), (msg, agentId) => {
      const event = (msg.json() as { event?: unknown }).event;
      if (event && typeof event === 'object' && this.lastSeen.has(agentId)) this.opts.sink.session(agentId, event as never);
    });
  }

  wantSessionEvents(): void {
    this.opts.wantSessions = true;
    if (this.nc) this.subscribeSessions(this.nc);
  }

  /** One hub call from another agent: allowlisted, cancellable, answered on the message's reply subject. */
  private async serve(msg: Msg): Promise<void> {
    const req = msg.json() as { callId?: string; method?: string; params?: unknown; from?: string };
    if (!msg.reply || typeof req.callId !== 'string' || typeof req.method !== 'string') return;
    // Taken: from here the caller waits for the answer as long as we are alive.
    msg.respond(JSON.stringify({ ack: true }));
    const ctl = new AbortController();
    this.running.set(req.callId, ctl);
    const peer = hubPeer(this.opts.container, ctl.signal, `nats:${req.from ?? '?'}`);
    let body: string;
    try {
      const result = await serveRemoteCall(this.opts.dispatch, peer, req.method, req.params, ctl.signal);
      body = JSON.stringify({ result: result ?? null });
      const max = this.nc?.info?.max_payload ?? 1024 * 1024;
      if (Buffer.byteLength(body) > max) {
        throw new RpcError(ErrorCodes.PayloadTooLarge, `the answer (${Buffer.byteLength(body)} bytes) is larger than the NATS server's max_payload (${max})`);
      }
    } catch (err) {
      body = JSON.stringify({ error: toRpcError(err).toJSON() });
    } finally {
      this.running.delete(req.callId);
      ctl.abort();
      void peer.dispose();
    }
    if (this.nc && !this.nc.isClosed()) msg.respond(body);
  }

  call(agentId: string, method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    if (!this.lastSeen.has(agentId)) return Promise.reject(unknownAgent(agentId));
    if (!this.nc || this.state !== 'connected') {
      return Promise.reject(new RpcError(ErrorCodes.Unavailable, 'the hub is not connected to its NATS server right now; try again shortly', { state: this.state }));
    }
    const callId = randomUUID();
    const nc = this.nc;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        this.publish(this.subject('cancel', agentId), { callId });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const call: PendingCall = {
        agentId,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      };
      const done = () => {
        clearTimeout(call.ackTimer);
        signal.removeEventListener('abort', onAbort);
      };
      call.ackTimer = setTimeout(() => {
        if (this.pending.delete(callId)) call.reject(new RpcError(ErrorCodes.Unavailable, `agent ${agentId} did not take the call (it may be reconnecting to the hub); try again`, { agentId }));
      }, ACK_MS);
      this.pending.set(callId, call);
      nc.publish(this.subject('rpc', agentId), JSON.stringify({ callId, method, params, from: this.selfId }), { reply: `${this.inbox}.${callId}` });
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    const { sink, logger, settings } = this.opts;
    for await (const s of nc.status()) {
      if (this.closed) return;
      if (s.type === 'disconnect') {
        this.state = 'disconnected';
        this.stats.disconnects++;
        logger.warn({ server: settings.display }, 'lost the NATS hub server; reconnecting with backoff (local work goes on)');
        sink.connection('disconnected', settings.display);
        // Replies cannot reach us while we are cut off.
        for (const [id, call] of this.pending) {
          this.pending.delete(id);
          call.reject(new RpcError(ErrorCodes.Unavailable, 'the hub lost its NATS server while the call was in flight', { agentId: call.agentId }));
        }
      } else if (s.type === 'reconnecting') {
        this.state = 'reconnecting';
      } else if (s.type === 'reconnect') {
        this.state = 'connected';
        this.stats.reconnects++;
        this.reconnectDelay = 250;
        // Everyone gets three fresh beats to re-announce before being swept.
        const now = Date.now();
        for (const id of this.lastSeen.keys()) this.lastSeen.set(id, now);
        logger.info({ server: settings.display }, 'reconnected to the NATS hub server');
        sink.connection('connected', settings.display);
        this.announce();
        nc.publish(this.subject('hello'), JSON.stringify({ agentId: this.selfId }));
      } else if (s.type === 'error') {
        this.stats.lastError = redact(s.error?.message ?? 'error', settings);
      }
    }
  }

  status(): Record<string, unknown> {
    return {
      server: this.opts.settings.display,
      hubName: this.opts.hubName,
      connection: this.state,
      reconnects: this.stats.reconnects,
      disconnects: this.stats.disconnects,
      ...(this.stats.lastError ? { lastError: this.stats.lastError } : {}),
      pendingCalls: this.pending.size,
    };
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.beat) clearInterval(this.beat);
    for (const [, call] of this.pending) call.reject(new RpcError(ErrorCodes.Unavailable, 'this agent is shutting down'));
    this.pending.clear();
    for (const c of this.running.values()) c.abort();
    const nc = this.nc;
    if (!nc) return;
    this.publish(this.subject('leave', this.selfId), { agentId: this.selfId });
    for (const s of this.subs.splice(0)) s.dispose();
    this.state = 'closed';
    await Promise.race([nc.flush().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
    await nc.close().catch(() => undefined);
  }
}

/** Server error texts may quote what was sent; keep credentials out of status and logs. */
function redact(text: string, s: NatsSettings): string {
  let out = text;
  for (const secret of [s.pass, s.token, s.user].filter((x): x is string => !!x && x.length > 2)) out = out.split(secret).join('[redacted]');
  return out;
}
