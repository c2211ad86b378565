// The hub panel: every agent on this machine or the mesh (hub/agents, kept live by hub/subscribe's
// hub/event notifications), each with its sessions and their state. Any session can be followed
// (hub/follow): its events stream into a view drawn by the chat's own renderer, and its prompts
// become cards answered through the hub (hub/call → the owning agent's permissions/respond).
import './hub.css';
import { $, h } from '../dom.js';
import { Follow } from './hub-follow.js';
import type { Panel, PanelContext } from './panel.js';

interface HubSession {
  sessionId: string;
  title: string | null;
  cwd: string;
  state: 'idle' | 'running' | 'waiting';
  pending: { requestId: string; toolCallId: string; title: string }[];
}

export interface HubAgent {
  agentId: string;
  pid: number;
  kind: string;
  version: string;
  cwd: string;
  host: string;
  startedAt: string;
  self: boolean;
  sessions: HubSession[];
}

const STATE: Record<HubSession['state'], string> = { idle: 'idle', running: 'running', waiting: 'waiting for approval' };

// Static markup only: every value from the daemon is set as text later.
const MARKUP = `
  <h2>Hub</h2>
  <p id="hub-note" class="note" role="status"></p>
  <ul id="hub-agents" aria-label="Agents"></ul>
  <section id="hub-follow" aria-label="Followed session" hidden>
    <div class="hub-follow-head">
      <h3 id="hub-follow-title"></h3>
      <button type="button" id="hub-unfollow">Stop following</button>
    </div>
    <p id="hub-follow-state" class="note" role="status"></p>
    <div id="hub-follow-log" aria-live="polite" aria-relevant="additions text" tabindex="0" aria-label="Followed session's conversation"></div>
    <div id="hub-follow-prompts"></div>
  </section>`;

export const agentLabel = (a: HubAgent) => `${a.kind} · pid ${a.pid}${a.self ? ' (this daemon)' : ''}`;
const sessionName = (s: { sessionId: string; title: string | null }) => s.title || `Session ${s.sessionId.slice(0, 13)}`;

class HubPanel implements Panel {
  readonly id = 'hub';
  readonly title = 'Hub';
  private ctx!: PanelContext;
  /** Opened at least once: from then on the panel stays subscribed, across reconnects. */
  private wanted = false;
  private subscribed = false;
  private starting: Promise<void> | null = null;
  private agents: HubAgent[] = [];
  private refreshing: Promise<void> | null = null;
  private again = false;
  private follow: Follow | null = null;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    root.innerHTML = MARKUP;
    $('hub-unfollow').addEventListener('click', () => this.unfollow());
    ctx.on('hub/event', (e) => this.onEvent(e));
    ctx.on('hub/update', (u) => this.follow?.onUpdate(u));
  }

  opened(): void {
    this.wanted = true;
    void this.start();
  }

  connected(): void {
    // The old connection's streams died with it: subscribe again, and follow on from the last seq.
    this.subscribed = false;
    this.starting = null;
    if (!this.wanted) return;
    void this.start();
    void this.follow?.resume();
  }

  /** Subscribes (once per connection) and reads the agents; a second call meanwhile joins the first. */
  private start(): Promise<void> {
    if (this.starting) return this.starting;
    const run: Promise<void> = (async () => {
      if (!this.subscribed) {
        try {
          await this.ctx.rpc().request('hub/subscribe', {});
          this.subscribed = true;
        } catch (err) {
          $('hub-note').textContent = `Hub unavailable: ${(err as Error).message}`;
          return;
        }
      }
      await this.refresh();
    })().finally(() => {
      if (this.starting === run) this.starting = null;
    });
    this.starting = run;
    return run;
  }

  private onEvent(e: any): void {
    if (e.type === 'hub_connection') $('hub-note').textContent = e.state === 'connected' ? '' : `Mesh connection ${e.state}${e.server ? ` (${e.server})` : ''}; agents elsewhere may be missing.`;
    if (e.type === 'agent_left') this.follow?.agentLeft(e.agentId, e.reason);
    void this.refresh();
  }

  /** Re-reads every agent; events that come while a read is in flight cost one more read, not one each. */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const res = await this.ctx.rpc().request<{ mode: string; agents: HubAgent[] }>('hub/agents', {});
          this.agents = res.agents;
          if (!$('hub-note').textContent?.startsWith('Mesh')) $('hub-note').textContent = `${res.agents.length} agent${res.agents.length === 1 ? '' : 's'} (${res.mode})`;
          this.draw();
        } catch (err) {
          $('hub-note').textContent = `Hub unavailable: ${(err as Error).message}`;
        }
      } while (this.again);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  private draw(): void {
    // Redrawing must not lose the keyboard's place: the focused button is found again by its key.
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const list = $('hub-agents');
    const agents = [...this.agents].sort((a, b) => Number(b.self) - Number(a.self) || a.startedAt.localeCompare(b.startedAt));
    list.replaceChildren(...agents.map((a) => this.agentItem(a)));
    // A session gets its title from its first prompt: the followed one's heading follows suit.
    const f = this.follow;
    const fa = f && agents.find((a) => a.agentId === f.agentId);
    const fs = fa?.sessions.find((s) => s.sessionId === f!.sessionId);
    if (fa && fs) this.heading(fa, fs);
    if (focused) (list.querySelector(`[data-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  private agentItem(a: HubAgent): HTMLElement {
    const sessions = h('ul', { class: 'hub-sessions', 'aria-label': `Sessions of ${agentLabel(a)}` });
    for (const s of a.sessions) sessions.append(this.sessionItem(a, s));
    if (!a.sessions.length) sessions.append(h('li', { class: 'note', text: 'no session in use' }));
    return h(
      'li',
      { class: 'hub-agent', 'data-agent-id': a.agentId, 'data-self': String(a.self) },
      h('div', { class: 'hub-agent-head' }, h('span', { class: 'hub-agent-name', text: agentLabel(a) }), h('span', { class: 'note', text: `${a.host} · v${a.version}` })),
      h('div', { class: 'hub-agent-cwd note', title: a.cwd }, h('bdi', { text: a.cwd })),
      sessions,
    );
  }

  private sessionItem(a: HubAgent, s: HubSession): HTMLElement {
    const key = `${a.agentId}/${s.sessionId}`;
    const following = this.follow?.is(a.agentId, s.sessionId) ?? false;
    const actions = h('div', { class: 'hub-session-actions' });
    actions.append(
      h('button', {
        type: 'button',
        class: 'hub-follow-button',
        'data-key': `follow:${key}`,
        'aria-pressed': String(following),
        'aria-label': `${following ? 'Following' : 'Follow'} ${sessionName(s)} of ${agentLabel(a)}`,
        text: following ? 'Following' : 'Follow',
        onclick: () => void this.startFollow(a, s),
      }),
    );
    if (a.self) actions.append(h('button', { type: 'button', 'data-key': `open:${key}`, text: 'Open', 'aria-label': `Open ${sessionName(s)} in the chat`, onclick: () => void this.ctx.openSession(s.sessionId) }));
    const waitingFor = s.pending.map((p) => p.title).join(', ');
    return h(
      'li',
      { class: 'hub-session', 'data-session-id': s.sessionId, 'data-state': s.state },
      h('span', { class: 'hub-session-title', text: sessionName(s), title: s.sessionId }),
      h('span', { class: `session-state state-${s.state}`, text: STATE[s.state] }),
      waitingFor ? h('span', { class: 'hub-session-pending note', text: `asks: ${waitingFor}` }) : null,
      actions,
    );
  }

  private async startFollow(a: HubAgent, s: HubSession): Promise<void> {
    if (this.follow?.is(a.agentId, s.sessionId)) return;
    this.follow?.stop();
    $('hub-follow').hidden = false;
    this.heading(a, s);
    this.follow = new Follow(this.ctx, a.agentId, s.sessionId, {
      log: $('hub-follow-log'),
      prompts: $('hub-follow-prompts'),
      state: $('hub-follow-state'),
    });
    this.draw();
    await this.follow.start();
  }

  private heading(a: HubAgent, s: HubSession): void {
    $('hub-follow-title').textContent = `${sessionName(s)} · ${agentLabel(a)}`;
    $('hub-follow-title').title = `${a.agentId} / ${s.sessionId}`;
  }

  private unfollow(): void {
    this.follow?.stop();
    this.follow = null;
    $('hub-follow').hidden = true;
    this.draw();
  }
}

export const hubPanel = new HubPanel();
