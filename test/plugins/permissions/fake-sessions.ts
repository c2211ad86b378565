import { z } from 'zod';
import type { DependencyContainer } from 'tsyringe';
import type { ClientPeer } from '../../../src/host/client.js';
import type { Disposable } from '../../../src/host/disposable.js';
import { defineMethod } from '../../../src/host/method.js';
import type { Plugin } from '../../../src/host/plugin.js';
import { corePlugins } from '../../../src/plugins/builtin.js';
import { PermissionEvent } from '../../../src/plugins/permissions/schemas.js';
import {
  SessionServiceToken,
  type SessionEvent,
  type SessionInfo,
  type SessionService,
  type UnsequencedSessionEvent,
} from '../../../src/plugins/sessions/contract.js';

const SetMode = defineMethod({
  name: 'session/set_mode',
  description: 'fake ACP session/set_mode',
  params: z.object({ sessionId: z.string(), modeId: z.string() }),
  result: z.object({}),
});

/** A stand-in for the sessions plugin: sessions, attached clients, and a log of published events. */
export class FakeSessions implements SessionService {
  readonly sessions = new Map<string, SessionInfo>();
  readonly attached = new Map<string, ClientPeer[]>();
  readonly events: SessionEvent[] = [];
  container!: DependencyContainer;
  private seq = 0;
  private readonly modeListeners = new Set<(s: SessionInfo) => void>();
  private readonly deleteListeners = new Set<(id: string) => void>();
  private readonly eventWaiters: { pred: (e: SessionEvent) => boolean; resolve: (e: SessionEvent) => void }[] = [];

  add(sessionId: string, workspace: string, mode = 'ask'): SessionInfo {
    const s = { sessionId, workspace, profile: 'test', mode, mcpServers: [], additionalDirectories: [] };
    this.sessions.set(sessionId, s);
    return s;
  }
  get(id: string) {
    return this.sessions.get(id);
  }
  list() {
    return [...this.sessions.values()];
  }
  onDidOpen(): Disposable {
    return { dispose() {} };
  }
  onDidDelete(l: (id: string) => void): Disposable {
    this.deleteListeners.add(l);
    return { dispose: () => void this.deleteListeners.delete(l) };
  }
  onDidClose(): Disposable {
    return { dispose() {} };
  }
  onDidChangeMode(l: (s: SessionInfo) => void): Disposable {
    this.modeListeners.add(l);
    return { dispose: () => void this.modeListeners.delete(l) };
  }
  clients(id: string) {
    return this.attached.get(id) ?? [];
  }
  publish(sessionId: string, event: UnsequencedSessionEvent): SessionEvent {
    const e = { ...event, sessionId, seq: ++this.seq } as SessionEvent;
    this.events.push(e);
    for (const w of [...this.eventWaiters]) {
      if (w.pred(e)) {
        this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
    return e;
  }
  setMode(sessionId: string, mode: string): void {
    const s = this.sessions.get(sessionId)!;
    s.mode = mode;
    for (const l of this.modeListeners) l(s);
  }
  delete(sessionId: string): void {
    this.sessions.delete(sessionId);
    for (const l of this.deleteListeners) l(sessionId);
  }
  /** Resolves with the first event (already published or future) that matches. */
  waitFor(pred: (e: SessionEvent) => boolean): Promise<SessionEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.eventWaiters.push({ pred, resolve }));
  }

  plugin(): Plugin {
    return {
      name: 'fake-sessions',
      // When the real sessions plugin is built in, it owns session/set_mode; the fake (registered
      // later, so it is what SessionServiceToken resolves to) then only answers the service.
      methods: FakeSessions.ownsSetMode ? [SetMode] : [],
      activate: (ctx) => {
        this.container = ctx.container;
        ctx.container.registerInstance(SessionServiceToken, this);
        // As the sessions plugin does: the permissions plugin's own events join the session's stream.
        ctx.subscriptions.add(ctx.events.on(PermissionEvent, (e) => void (this.sessions.has(e.sessionId) && this.publish(e.sessionId, { ...e, type: 'permission' }))));
        if (FakeSessions.ownsSetMode) {
          ctx.handle(SetMode, ({ sessionId, modeId }) => {
            this.setMode(sessionId, modeId);
            return {};
          });
        }
      },
    };
  }

  /** Whether no built-in plugin declares session/set_mode (then this fake does). */
  static readonly ownsSetMode = !corePlugins().some((p) => p.methods?.some((m) => m.name === 'session/set_mode'));
}
