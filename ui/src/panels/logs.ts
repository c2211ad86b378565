// The logs panel: the daemon's own log and the files it tails (logs/files), live. The file and the
// level are asked of the daemon (logs/tail for what came before, then logs/subscribe's logs/line
// notifications); the search narrows what is on the page as you type. At most MAX_LINES rows stay
// in the DOM. Every line is shown as text, never parsed as HTML (lines arrive redacted).
import './logs.css';
import { $, h } from '../dom.js';
import type { Panel, PanelContext } from './panel.js';
import type { RpcError } from '../rpc.js';
import { lineRow, searchText, type LogLine } from './log-line.js';

export const MAX_LINES = 1000;
/** How much of the past is shown when the panel opens or the filter changes. */
const BACKLOG = 200;
const GONE = -32009;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

// Static markup only: every value from the daemon is set as text later.
const MARKUP = `
  <h2>Logs</h2>
  <div class="logs-controls">
    <label>File <select id="logs-file"><option value="">all files</option></select></label>
    <label>Level <select id="logs-level">${LEVELS.map((l) => `<option value="${l}"${l === 'info' ? ' selected' : ''}>${l}</option>`).join('')}</select></label>
    <label class="logs-search">Search <input id="logs-search" type="search" autocomplete="off" placeholder="text in the line"></label>
    <button type="button" id="logs-pause" aria-pressed="false">Pause</button>
  </div>
  <p id="logs-note" class="note" role="status"></p>
  <div id="logs-lines" role="log" aria-live="off" aria-label="Log lines" tabindex="0"></div>`;

class LogsPanel implements Panel {
  readonly id = 'logs';
  readonly title = 'Logs';
  private ctx!: PanelContext;
  private wanted = false;
  /** Bumped by every (re)subscription: answers and lines of an older one are ignored. */
  private generation = 0;
  private subscriptionId: string | null = null;
  /** Live lines that come while the backlog is being fetched (null once it is shown). */
  private early: (LogLine & { subscriptionId: string })[] | null = null;
  private lastSeq = 0;
  private paused = false;
  /** Lines that came while paused (bounded like the page), and how many of them fell off. */
  private waiting: LogLine[] = [];
  private missedWhilePaused = 0;
  private multiFile = false;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    root.innerHTML = MARKUP;
    $('logs-file').addEventListener('change', () => void this.subscribe());
    $('logs-level').addEventListener('change', () => void this.subscribe());
    $('logs-search').addEventListener('input', () => this.applySearch());
    $('logs-pause').addEventListener('click', () => this.togglePause());
    ctx.on('logs/line', (l: LogLine & { subscriptionId: string }) => this.onLine(l));
    ctx.on('logs/dropped', (d: { subscriptionId: string; count: number }) => {
      if (d.subscriptionId === this.subscriptionId) this.marker(`… ${d.count} line${d.count === 1 ? '' : 's'} dropped while the page fell behind`);
    });
  }

  opened(): void {
    if (this.wanted) return void this.listFiles();
    this.wanted = true;
    void this.listFiles();
    void this.subscribe();
  }

  connected(): void {
    // The subscription died with the old connection: a new one, from the last line shown.
    this.subscriptionId = null;
    if (!this.wanted) return;
    void this.listFiles();
    void this.subscribe(true);
  }

  private rpc() {
    return this.ctx.rpc();
  }

  private async listFiles(): Promise<void> {
    const select = $('logs-file') as HTMLSelectElement;
    try {
      const res = await this.rpc().request<{ files: { name: string; own: boolean; state: string }[] }>('logs/files', {});
      const chosen = select.value;
      this.multiFile = res.files.length > 1;
      select.replaceChildren(
        h('option', { value: '', text: 'all files' }),
        ...res.files.map((f) => h('option', { value: f.name, text: `${f.name}${f.own ? ' (this daemon)' : ''}${f.state === 'tailing' ? '' : ` — ${f.state}`}` })),
      );
      select.value = res.files.some((f) => f.name === chosen) ? chosen : '';
    } catch (err) {
      $('logs-note').textContent = `Log files unavailable: ${(err as Error).message}`;
    }
  }

  /**
   * (Re)subscribes with the chosen file and level and shows what came before the live lines: the
   * last BACKLOG lines, or after a reconnect (`resume`) exactly those missed since the last one
   * shown (logs/stream's replay), so nothing is lost or shown twice.
   */
  private async subscribe(resume = false): Promise<void> {
    const gen = ++this.generation;
    const old = this.subscriptionId;
    this.subscriptionId = null;
    if (old) this.rpc().request('logs/unsubscribe', { subscriptionId: old }).catch(() => undefined);
    const file = ($('logs-file') as HTMLSelectElement).value;
    const filter = { ...(file ? { files: [file] } : {}), minLevel: ($('logs-level') as HTMLSelectElement).value };
    this.early = [];
    try {
      const sub = await this.rpc().request<{ subscriptionId: string }>('logs/subscribe', filter);
      if (gen !== this.generation) return void this.rpc().request('logs/unsubscribe', { subscriptionId: sub.subscriptionId }).catch(() => undefined);
      this.subscriptionId = sub.subscriptionId;
      let missed: LogLine[] | null = null;
      let lost = false;
      if (resume && this.lastSeq > 0) {
        try {
          missed = (await this.rpc().request<{ events: LogLine[] }>('logs/stream', { ...filter, after: this.lastSeq })).events;
        } catch (err) {
          if ((err as RpcError).code !== GONE) throw err;
          lost = true; // evicted, or the daemon restarted (its seq starts again): read afresh
        }
      }
      const backlog = missed ?? (await this.rpc().request<{ lines: LogLine[] }>('logs/tail', { ...(file ? { file } : {}), lines: BACKLOG, minLevel: filter.minLevel })).lines;
      if (gen !== this.generation) return;
      const early = (this.early ?? []).filter((l) => l.subscriptionId === sub.subscriptionId);
      this.early = null;
      if (missed) return this.take([...missed, ...early]);
      $('logs-lines').replaceChildren();
      this.waiting = [];
      this.missedWhilePaused = 0;
      this.lastSeq = 0;
      if (lost) this.marker('… lines from while the page was offline are no longer kept');
      this.show([...backlog, ...early]);
      $('logs-lines').scrollTop = $('logs-lines').scrollHeight;
    } catch (err) {
      if (gen === this.generation) $('logs-note').textContent = `Logs unavailable: ${(err as Error).message}`;
    }
  }

  private onLine(l: LogLine & { subscriptionId: string }): void {
    if (this.early && !this.subscriptionId) return void this.early.push(l); // the subscribe answer is on its way
    if (l.subscriptionId !== this.subscriptionId) return;
    if (this.early) return void this.early.push(l);
    this.take([l]);
  }

  /** Live lines: shown, or held while paused (bounded like the page). */
  private take(lines: LogLine[]): void {
    if (!this.paused) return this.show(lines);
    this.waiting.push(...lines);
    if (this.waiting.length > MAX_LINES) this.missedWhilePaused += this.waiting.splice(0, this.waiting.length - MAX_LINES).length;
    this.note();
  }

  /** Appends lines (in seq order, each once), keeping the reader's place unless they were at the bottom. */
  private show(lines: LogLine[]): void {
    const box = $('logs-lines');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const query = this.query();
    for (const l of lines) {
      if (l.seq <= this.lastSeq) continue;
      this.lastSeq = l.seq;
      const row = lineRow(l, this.multiFile && !($('logs-file') as HTMLSelectElement).value);
      row.hidden = !matches(row, query);
      box.append(row);
    }
    while (box.childElementCount > MAX_LINES) box.firstElementChild!.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
    this.note();
  }

  private marker(text: string): void {
    const box = $('logs-lines');
    box.append(h('div', { class: 'log-marker', text }));
    while (box.childElementCount > MAX_LINES) box.firstElementChild!.remove();
  }

  private query(): string {
    return ($('logs-search') as HTMLInputElement).value.trim().toLowerCase();
  }

  private applySearch(): void {
    const query = this.query();
    for (const row of $('logs-lines').querySelectorAll<HTMLElement>('.log-line')) row.hidden = !matches(row, query);
    this.note();
  }

  private togglePause(): void {
    this.paused = !this.paused;
    const button = $('logs-pause');
    button.setAttribute('aria-pressed', String(this.paused));
    button.textContent = this.paused ? 'Resume' : 'Pause';
    if (!this.paused) {
      const lines = this.waiting;
      const missed = this.missedWhilePaused;
      this.waiting = [];
      this.missedWhilePaused = 0;
      if (missed) this.marker(`… ${missed} lines left out while paused`);
      this.show(lines);
      $('logs-lines').scrollTop = $('logs-lines').scrollHeight;
    }
    this.note();
  }

  private note(): void {
    const rows = $('logs-lines').querySelectorAll('.log-line');
    const query = this.query();
    const shown = query ? [...rows].filter((r) => !(r as HTMLElement).hidden).length : rows.length;
    const parts = [query ? `${shown} of ${rows.length} lines match` : `${rows.length} lines`];
    if (rows.length >= MAX_LINES) parts.push(`the last ${MAX_LINES} kept`);
    if (this.paused) parts.push(`paused: ${this.waiting.length + this.missedWhilePaused} new`);
    $('logs-note').textContent = parts.join(' · ');
  }
}

function matches(row: HTMLElement, query: string): boolean {
  return !query || searchText(row).includes(query);
}

export const logsPanel = new LogsPanel();
