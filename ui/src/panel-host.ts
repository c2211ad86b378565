// Draws the side panels as tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) and tells
// each panel what happens on the page. The panels themselves live in ui/src/panels/.
import { $, h } from './dom.js';
import type { Panel, PanelContext } from './panels/panel.js';
import type { SessionInfo } from './sessions.js';

export class PanelHost {
  private readonly tabs = new Map<string, HTMLButtonElement>();
  private readonly views = new Map<string, HTMLElement>();
  private shown: string | null = null;

  constructor(private readonly panels: Panel[], ctx: PanelContext) {
    const nav = $('panel-tabs');
    for (const p of panels) {
      const tab = h('button', {
        type: 'button', role: 'tab', id: `tab-${p.id}`, 'aria-controls': `${p.id}-panel`, 'aria-selected': 'false', tabindex: '-1', text: p.title,
        onclick: () => this.show(this.shown === p.id ? null : p.id),
        onkeydown: (e) => this.arrow(e as KeyboardEvent, p.id),
      });
      const view = h('section', { id: `${p.id}-panel`, class: 'panel-view', role: 'tabpanel', 'aria-labelledby': `tab-${p.id}`, hidden: true });
      nav.append(tab);
      $('panel-views').append(view);
      this.tabs.set(p.id, tab);
      this.views.set(p.id, view);
      p.mount(view, ctx);
    }
    this.tabs.get(panels[0]?.id ?? '')?.setAttribute('tabindex', '0');
  }

  /** Shows one panel (null: closes the side column). */
  show(id: string | null): void {
    this.shown = id;
    for (const [pid, tab] of this.tabs) {
      const on = pid === id;
      tab.setAttribute('aria-selected', String(on));
      this.views.get(pid)!.hidden = !on;
    }
    document.body.classList.toggle('panel-open', id !== null);
    if (id) this.panels.find((p) => p.id === id)?.opened?.();
  }

  disconnected(): void {
    for (const p of this.panels) p.disconnected?.();
  }

  connected(): void {
    for (const p of this.panels) p.connected?.();
    if (this.shown) this.panels.find((p) => p.id === this.shown)?.opened?.();
  }

  sessionChanged(s: SessionInfo | null): void {
    for (const p of this.panels) p.sessionChanged?.(s);
  }

  private arrow(e: KeyboardEvent, id: string): void {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const ids = this.panels.map((p) => p.id);
    const step = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : -1;
    const next = ids[(ids.indexOf(id) + step + ids.length) % ids.length]!;
    for (const [pid, tab] of this.tabs) tab.setAttribute('tabindex', pid === next ? '0' : '-1');
    this.tabs.get(next)!.focus();
    this.show(next);
  }
}
