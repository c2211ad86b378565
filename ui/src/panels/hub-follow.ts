// One followed session of any hub agent: hub/follow replays what the agent still keeps and then
// streams hub/update notifications; the updates are drawn by the chat's own renderer, and each
// pending prompt becomes a card whose answer goes to the owning agent through hub/call.
import { Chat } from '../chat.js';
import { h } from '../dom.js';
import { permissionCard, type PermissionOption } from '../permissions.js';
import type { RpcError } from '../rpc.js';
import type { PanelContext } from './panel.js';

export interface FollowTargets {
  log: HTMLElement;
  prompts: HTMLElement;
  state: HTMLElement;
}

interface Prompt {
  requestId: string;
  toolCallId?: string;
  toolCall?: Record<string, any>;
  options?: PermissionOption[];
}

const GONE = -32009;
const CONFLICT = -32003;
const ANSWER: Record<string, string> = { allow_once: 'allowed once', allow_always: 'always allowed', reject_once: 'rejected', reject_always: 'always rejected' };

export class Follow {
  private readonly chat: Chat;
  private lastSeq = 0;
  /** Updates that arrive while hub/follow is answering; shown after its replay, in seq order. */
  private held: any[] | null = null;
  private subscriptionId: string | null = null;
  private stopped = false;
  private readonly cards = new Map<string, HTMLElement>();
  /** Prompts already answered: a late permissions/get must not bring their cards back. */
  private readonly resolved = new Set<string>();

  constructor(
    private readonly ctx: PanelContext,
    readonly agentId: string,
    readonly sessionId: string,
    private readonly el: FollowTargets,
  ) {
    this.chat = new Chat({ log: el.log });
    this.chat.reset();
    el.prompts.replaceChildren();
    el.state.textContent = 'following…';
  }

  is(agentId: string, sessionId: string): boolean {
    return !this.stopped && this.agentId === agentId && this.sessionId === sessionId;
  }

  /** Everything the agent still keeps of the session, then live. */
  start(): Promise<void> {
    return this.attach(0);
  }

  /** After a reconnect: on from the last event shown, nothing twice. */
  resume(): Promise<void> {
    return this.attach(this.lastSeq);
  }

  stop(): void {
    this.stopped = true;
    const id = this.subscriptionId;
    this.subscriptionId = null;
    if (id) this.ctx.rpc().request('hub/unsubscribe', { subscriptionId: id }).catch(() => undefined);
  }

  agentLeft(agentId: string, reason: string): void {
    if (agentId !== this.agentId || this.stopped) return;
    this.subscriptionId = null;
    for (const card of this.cards.values()) card.remove();
    this.cards.clear();
    this.setState(`the agent left (${reason})`);
  }

  onUpdate(u: any): void {
    if (this.stopped || u?.agentId !== this.agentId || u.sessionId !== this.sessionId) return;
    if (this.held) this.held.push(u);
    else this.apply(u.event);
  }

  private async attach(after: number): Promise<void> {
    if (this.stopped) return;
    this.held = [];
    const rpc = this.ctx.rpc();
    try {
      let res: any;
      try {
        res = await rpc.request('hub/follow', { agentId: this.agentId, sessionId: this.sessionId, after });
      } catch (err) {
        if ((err as RpcError).code !== GONE) throw err;
        // The agent no longer keeps the start: follow on from the oldest event it still has.
        const oldest = (err as RpcError & { data?: { oldestSeq?: number } }).data?.oldestSeq;
        this.chat.line('note', 'Earlier events of this session are no longer kept.');
        res = await rpc.request('hub/follow', { agentId: this.agentId, sessionId: this.sessionId, ...(oldest ? { after: oldest - 1 } : {}) });
      }
      if (this.stopped) return void rpc.request('hub/unsubscribe', { subscriptionId: res.subscriptionId }).catch(() => undefined);
      this.subscriptionId = res.subscriptionId;
      const held = this.held ?? [];
      this.held = null;
      for (const u of [...res.events, ...held]) this.apply(u.event);
      if (this.el.state.textContent === 'following…') this.setState('idle');
      await this.pendingFromAgent();
    } catch (err) {
      this.held = null;
      this.setState(`could not follow: ${(err as Error).message}`);
    }
  }

  private apply(e: any): void {
    if (typeof e?.seq !== 'number' || e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    switch (e.type) {
      case 'update':
        return this.chat.onUpdate(e.update);
      case 'turn_started':
        this.chat.break();
        return this.setState('running');
      case 'turn_ended':
        this.chat.break();
        if (e.error) this.chat.line('error', `turn failed: ${e.error.message}`);
        return this.setState(e.error ? 'turn failed' : `turn ended: ${e.stopReason}`);
      case 'permission':
        return e.state === 'pending' ? this.ask(e) : this.answered(e);
      default:
        return;
    }
  }

  /** Prompts asked before the replay starts (evicted events) are still waiting: ask the agent. */
  private async pendingFromAgent(): Promise<void> {
    try {
      const res = await this.ctx.rpc().request('hub/call', { agentId: this.agentId, method: 'permissions/get', params: { sessionId: this.sessionId } });
      if (!this.stopped) for (const p of res?.pending ?? []) this.ask(p);
    } catch {
      /* an agent without the permissions plugin has no prompts to show */
    }
  }

  private ask(p: Prompt): void {
    if (this.cards.has(p.requestId) || this.resolved.has(p.requestId)) return;
    const error = h('span', { class: 'field-error', role: 'alert' });
    let scope: HTMLSelectElement | null = null;
    const { box, buttons } = permissionCard(p, (optionId) => void this.respond(p.requestId, optionId, { buttons, error, scope }));
    box.dataset.requestId = p.requestId;
    if ((p.options ?? []).some((o) => o.optionId.endsWith('_always'))) {
      scope = h('select', { class: 'hub-scope' }, h('option', { value: 'session', text: 'this session' }), h('option', { value: 'workspace', text: 'this workspace' }));
      buttons.append(h('label', { class: 'hub-scope-label' }, '“always” applies to ', scope));
    }
    box.append(error);
    this.cards.set(p.requestId, box);
    this.el.prompts.append(box);
    this.setState(`waiting for approval: ${p.toolCall?.title ?? 'a tool call'}`);
  }

  private async respond(requestId: string, optionId: string, card: { buttons: HTMLElement; error: HTMLElement; scope: HTMLSelectElement | null }): Promise<void> {
    const controls = [...card.buttons.querySelectorAll('button, select')] as HTMLButtonElement[];
    for (const c of controls) c.disabled = true;
    card.error.textContent = '';
    const scope = optionId.endsWith('_always') && card.scope ? { scope: card.scope.value } : {};
    try {
      await this.ctx.rpc().request('hub/call', { agentId: this.agentId, method: 'permissions/respond', params: { sessionId: this.sessionId, requestId, optionId, ...scope } });
      this.close(requestId);
    } catch (err) {
      if ((err as RpcError).code === CONFLICT) return this.close(requestId, 'answered elsewhere');
      for (const c of controls) c.disabled = false;
      card.error.textContent = `Could not answer: ${(err as Error).message}`;
    }
  }

  private answered(e: { requestId: string; toolCall?: Record<string, any>; outcome?: { outcome: string; optionId?: string } }): void {
    const title = this.cards.get(e.requestId)?.querySelector('.permission-title')?.textContent?.replace(/^Allow |\?$/g, '') ?? 'a tool call';
    const how = e.outcome?.outcome === 'selected' ? (ANSWER[e.outcome.optionId ?? ''] ?? e.outcome.optionId) : 'withdrawn';
    this.chat.line('note', `${title}: ${how}`);
    this.close(e.requestId);
  }

  private close(requestId: string, why?: string): void {
    this.resolved.add(requestId);
    const card = this.cards.get(requestId);
    this.cards.delete(requestId);
    card?.remove();
    if (why) this.chat.line('note', why);
    if (!this.cards.size && this.el.state.textContent?.startsWith('waiting')) this.setState('running');
  }

  private setState(text: string): void {
    this.el.state.textContent = text;
  }
}
