// Permission prompts (session/request_permission from the daemon) as cards: allow once / always /
// reject. A prompt the server withdraws (answered elsewhere, cancelled, timed out) closes here.
import { $, h } from './dom.js';
import { renderDiff } from './tool-card.js';

interface Asked {
  box: HTMLElement;
  sessionId: string;
  resolve: (r: unknown) => void;
}

export class Permissions {
  private readonly asked = new Map<number | string, Asked>();
  constructor(private readonly changed: () => void) {}

  /** Session ids with an open prompt on this page (shown as "waiting for approval"). */
  waiting(): Set<string> {
    return new Set([...this.asked.values()].map((a) => a.sessionId));
  }

  ask(id: number | string, params: any): Promise<unknown> {
    return new Promise((resolve) => {
      const { box, buttons } = permissionCard(params, (optionId) => this.close(id, { outcome: { outcome: 'selected', optionId } }));
      box.dataset.requestId = String(id);
      this.asked.set(id, { box, sessionId: params.sessionId, resolve });
      $('permissions').append(box);
      (buttons.querySelector('button') as HTMLButtonElement | null)?.focus();
      this.changed();
    });
  }

  withdraw(id: number | string): void {
    this.close(id, { outcome: { outcome: 'cancelled' } });
  }

  /** Questions asked on a dropped connection can no longer be answered there. */
  withdrawAll(): void {
    for (const id of [...this.asked.keys()]) this.withdraw(id);
  }

  private close(id: number | string, answer: unknown): void {
    const a = this.asked.get(id);
    if (!a) return;
    this.asked.delete(id);
    a.box.remove();
    a.resolve(answer);
    this.changed();
  }
}

export interface PermissionOption {
  optionId: string;
  name: string;
  kind: string;
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
