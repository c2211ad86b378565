// The conversation: user lines, the reply as streamed markdown, thinking (collapsible), tool
// cards, usage and the stop reason. Everything is fed from ACP session/update notifications.
import { $, h, stickToBottom } from './dom.js';
import { MarkdownView } from './markdown.js';
import { ToolCard, type ToolUpdate } from './tool-card.js';

type StreamKind = 'agent' | 'thought' | 'user';

/** Where a conversation is drawn: the page's chat by default, or a panel's own elements (the hub's follow view). */
export interface ChatTargets {
  log: HTMLElement;
  permissions?: HTMLElement;
  usage?: HTMLElement;
}

export class Chat {
  private readonly log: HTMLElement;
  private readonly usage: HTMLElement | undefined;
  private readonly permissions: HTMLElement | undefined;
  private open: { kind: StreamKind; view: MarkdownView | Text } | undefined;
  private readonly tools = new Map<string, ToolCard>();

  constructor(targets: ChatTargets = { log: $('log'), permissions: $('permissions'), usage: $('usage') }) {
    this.log = targets.log;
    this.usage = targets.usage;
    this.permissions = targets.permissions;
  }

  reset(): void {
    this.log.replaceChildren();
    this.permissions?.replaceChildren();
    if (this.usage) this.usage.textContent = '';
    this.open = undefined;
    this.tools.clear();
  }

  /** Ends the message being streamed, so the next chunk starts a new one. */
  break(): void {
    if (this.open?.view instanceof MarkdownView) this.open.view.flush();
    this.open = undefined;
  }

  line(kind: string, text: string): HTMLElement {
    this.break();
    const div = h('div', { class: `msg ${kind}`, text });
    stickToBottom(this.log, () => this.log.append(div));
    return div;
  }

  stream(kind: StreamKind, text: string): void {
    if (this.open?.kind !== kind) {
      this.break();
      this.open = { kind, view: this.start(kind) };
    }
    const v = this.open.view;
    if (v instanceof MarkdownView) v.append(text);
    else stickToBottom(this.log, () => v.appendData(text));
  }

  private start(kind: StreamKind): MarkdownView | Text {
    const scroll = () => stickToBottom(this.log, () => {});
    if (kind === 'user') {
      const t = document.createTextNode('');
      this.log.append(h('div', { class: 'msg user' }, t));
      return t;
    }
    if (kind === 'thought') {
      const body = h('div', { class: 'thought-body markdown' });
      this.log.append(h('details', { class: 'msg thought' }, h('summary', { text: 'Thinking' }), body));
      return new MarkdownView(body, scroll);
    }
    const el = h('div', { class: 'msg agent markdown' });
    this.log.append(el);
    return new MarkdownView(el, scroll);
  }

  onUpdate(u: any): void {
    switch (u.sessionUpdate) {
      case 'agent_message_chunk':
        return this.stream('agent', textOf(u.content));
      case 'agent_thought_chunk':
        return this.stream('thought', textOf(u.content));
      case 'user_message_chunk':
        return this.stream('user', textOf(u.content));
      case 'tool_call': {
        this.break();
        const card = new ToolCard(u as ToolUpdate);
        this.tools.set(u.toolCallId, card);
        return stickToBottom(this.log, () => this.log.append(card.el));
      }
      case 'tool_call_update':
        return stickToBottom(this.log, () => this.tools.get(u.toolCallId)?.update(u as ToolUpdate));
      case 'usage_update': {
        const m = u._meta ?? {};
        const size = u.size ? ` of ${u.size.toLocaleString()}` : '';
        if (this.usage) this.usage.textContent = `${(u.used ?? 0).toLocaleString()}${size} tokens (in ${m.inputTokens ?? '?'}, out ${m.outputTokens ?? '?'})`;
        return;
      }
      default:
        return;
    }
  }
}

function textOf(content: any): string {
  if (!content) return '';
  if (content.type === 'text') return content.text;
  return `[${content.type}]`;
}
