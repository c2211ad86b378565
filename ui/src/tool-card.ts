// One tool call as a card: its title (the command or path), status, output and, for edits, a diff.
import { diffLines } from 'diff';
import { h } from './dom.js';

export interface ToolContent {
  type: 'content' | 'diff' | 'terminal';
  content?: { type: string; text?: string };
  path?: string;
  oldText?: string | null;
  newText?: string;
  terminalId?: string;
}

export interface ToolUpdate {
  toolCallId: string;
  title?: string;
  kind?: string;
  status?: string;
  content?: ToolContent[] | null;
  rawInput?: unknown;
  locations?: { path: string }[] | null;
}

export class ToolCard {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private title: string;
  private status: string;

  constructor(u: ToolUpdate) {
    this.title = u.title ?? u.toolCallId;
    this.status = u.status ?? 'pending';
    this.head = h('div', { class: 'tool-head' });
    this.body = h('div', { class: 'tool-body' });
    this.el = h('div', { class: 'msg tool', 'data-tool-call-id': u.toolCallId }, this.head, this.body);
    this.update(u);
  }

  update(u: ToolUpdate): void {
    if (u.title) this.title = u.title;
    if (u.status) this.status = u.status;
    this.el.dataset.status = this.status;
    this.head.textContent = `⚙ ${this.title} — ${this.status}`;
    if (u.content?.length) this.body.replaceChildren(...u.content.map(renderContent));
  }
}

function renderContent(c: ToolContent): HTMLElement {
  if (c.type === 'diff') return renderDiff(c.path ?? '', c.oldText ?? '', c.newText ?? '');
  if (c.type === 'terminal') return h('pre', { class: 'tool-output', text: `[terminal ${c.terminalId}]` });
  const text = c.content?.type === 'text' ? (c.content.text ?? '') : `[${c.content?.type ?? 'content'}]`;
  return h('pre', { class: 'tool-output', text });
}

/** A line diff of an edit; long unchanged stretches are folded to a few lines of context. */
export function renderDiff(path: string, oldText: string, newText: string): HTMLElement {
  const pre = h('pre', { class: 'diff' });
  for (const part of diffLines(oldText, newText)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    const sign = part.added ? '+' : part.removed ? '-' : ' ';
    const cls = part.added ? 'add' : part.removed ? 'del' : 'ctx';
    const shown = !part.added && !part.removed && lines.length > 7 ? [...lines.slice(0, 3), `… ${lines.length - 6} unchanged lines …`, ...lines.slice(-3)] : lines;
    for (const line of shown) pre.append(h('span', { class: `diff-${cls}`, text: `${sign} ${line}\n` }));
  }
  return h('div', { class: 'tool-diff' }, h('div', { class: 'diff-path', text: path }), pre);
}
