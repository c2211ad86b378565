// Permission prompts as cards: allow once / always / reject, and for "always" the scope (this
// session or this workspace). Two sources: session/request_permission asked of this page, and
// the approvals already pending when the page (re)attached (permissions/get), answered through
// permissions/respond. A prompt answered elsewhere, cancelled or timed out closes here.
import { $, h, stickToBottom } from './dom.js';
import { renderDiff } from './tool-card.js';

export interface PermissionOption {
  optionId: string;
  name: string;
  kind: string;
}
type Option = PermissionOption;

interface Card {
  box: HTMLElement;
  sessionId: string;
  toolCallId: string;
  requestId?: string;
  /** Set for prompts asked of this page: the answer to send back. */
  resolve?: (r: unknown) => void;
}

/** permissions/respond, for pending approvals and for answers remembered for the workspace. */
export type Respond = (p: { sessionId: string; requestId?: string; toolCallId?: string; optionId: string; scope?: 'session' | 'workspace' }) => Promise<unknown>;

export class Permissions {
  private readonly cards = new Map<string, Card>();

  constructor(private readonly changed: () => void, private readonly respond: Respond, private readonly failed: (message: string) => void) {}

  private shown: string | undefined;

  /** Only the open session's cards are shown; the others wait (their sessions say "waiting for approval"). */
  show(sessionId: string | undefined): void {
    this.shown = sessionId;
    for (const c of this.cards.values()) c.box.hidden = c.sessionId !== sessionId;
  }

  /** Session ids with an open prompt on this page (shown as "waiting for approval"). */
  waiting(): Set<string> {
    return new Set([...this.cards.values()].map((a) => a.sessionId));
  }

  /** A session/request_permission from the daemon; resolves with the ACP answer. */
  ask(id: number | string, params: any): Promise<unknown> {
    return new Promise((resolve) => {
      const tc = params.toolCall ?? {};
      this.open(`ask:${id}`, { sessionId: params.sessionId, toolCallId: tc.toolCallId ?? '', resolve }, tc, params.options ?? [], String(id));
    });
  }

  /** Approvals that were pending before this page attached (permissions/get). */
  showPending(sessionId: string, pending: { requestId: string; toolCallId: string; toolCall: any; options: Option[] }[]): void {
    for (const p of pending) {
      if ([...this.cards.values()].some((c) => c.toolCallId === p.toolCallId)) continue;
      this.open(`pending:${p.requestId}`, { sessionId, toolCallId: p.toolCallId, requestId: p.requestId }, p.toolCall, p.options, p.requestId);
    }
  }

  /** The daemon withdrew a request asked of this page ($/cancel_request). */
  withdraw(id: number | string): void {
    this.close(`ask:${id}`, { outcome: { outcome: 'cancelled' } });
  }

  /** The hub says an approval was answered (anywhere): a pending card for it closes. */
  answered(requestId: string): void {
    this.close(`pending:${requestId}`);
  }

  /** Questions asked on a dropped connection can no longer be answered there. */
  withdrawAll(): void {
    for (const key of [...this.cards.keys()]) this.close(key, { outcome: { outcome: 'cancelled' } });
  }

  private open(key: string, card: Omit<Card, 'box'>, tc: any, options: Option[], requestLabel: string): void {
    const scope = h('select', { class: 'permission-scope', 'aria-label': 'remember the “always” answers for' },
      h('option', { value: 'session', text: 'always = this session' }),
      h('option', { value: 'workspace', text: 'always = this workspace' }));
    const { box, buttons } = permissionCard({ toolCall: tc, options }, (optionId) => {
      const option = options.find((o) => o.optionId === optionId);
      if (option) void this.pick(key, option, scope.value as 'session' | 'workspace');
    });
    box.dataset.requestId = requestLabel;
    if (options.some((o) => o.optionId.endsWith('_always'))) buttons.append(scope);
    this.cards.set(key, { ...card, box });
    box.hidden = card.sessionId !== this.shown;
    // The card takes room from the conversation: a reader at its bottom stays there.
    stickToBottom($('log'), () => $('permissions').append(box));
    if (!box.hidden) (buttons.querySelector('button') as HTMLButtonElement | null)?.focus();
    this.changed();
  }

  private async pick(key: string, option: Option, scope: 'session' | 'workspace'): Promise<void> {
    const card = this.cards.get(key);
    if (!card) return;
    const always = option.optionId.endsWith('_always');
    // The ACP answer carries no scope: a workspace-wide grant, or a prompt this page was not asked, goes through permissions/respond.
    if (card.resolve && !(always && scope === 'workspace')) return this.close(key, { outcome: { outcome: 'selected', optionId: option.optionId } });
    try {
      await this.respond({ sessionId: card.sessionId, ...(card.requestId ? { requestId: card.requestId } : { toolCallId: card.toolCallId }), optionId: option.optionId, ...(always ? { scope } : {}) });
      // Taken: the card closes (asked of this page too, its ACP answer says the same; the first answer won).
      this.close(key, { outcome: { outcome: 'selected', optionId: option.optionId } });
    } catch (err) {
      this.failed(`the answer was not taken: ${(err as Error).message}`);
    }
  }

  private close(key: string, answer?: unknown): void {
    const c = this.cards.get(key);
    if (!c) return;
    this.cards.delete(key);
    c.box.remove();
    c.resolve?.(answer);
    this.changed();
  }
}

/**
 * One prompt as a card: what the tool call would do (its whole command or input, an edit's diff)
 * and a button per option. Shared by the page's own prompts and the hub panel's followed agents.
 */
export function permissionCard(params: { toolCall?: any; options?: PermissionOption[] }, choose: (optionId: string) => void): { box: HTMLElement; buttons: HTMLElement } {
  const tc = params.toolCall ?? {};
  const box = h('div', { class: 'permission', role: 'group', 'aria-label': 'Permission request' });
  // A shell call's title is the bare command (as ACP editors show it); the page says what it does.
  const title = tc.title ?? 'this tool call';
  box.append(h('span', { class: 'permission-title', text: `Allow ${tc.kind === 'execute' && tc.title ? `Run \`${title}\`` : title}?` }));
  // The whole of what will run (the server escapes control characters), never just the title.
  const texts = (tc.content ?? []).filter((c: any) => c.type === 'content' && c.content?.type === 'text').map((c: any) => c.content.text);
  box.append(h('pre', { class: 'permission-detail', text: texts.length ? texts.join('\n') : JSON.stringify(tc.rawInput ?? {}, null, 2) }));
  // An edit asked about shows what it would change.
  for (const d of (tc.content ?? []).filter((c: any) => c.type === 'diff')) box.append(renderDiff(d.path ?? '', d.oldText ?? '', d.newText ?? ''));
  const buttons = h('div', { class: 'permission-options' });
  for (const option of params.options ?? []) {
    buttons.append(h('button', { type: 'button', text: option.name, 'data-option-id': option.optionId, 'data-kind': option.kind, onclick: () => choose(option.optionId) }));
  }
  box.append(buttons);
  return { box, buttons };
}
