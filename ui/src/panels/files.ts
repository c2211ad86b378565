// The files panel: the open session's workspace, one folder at a time (workspace/list, through
// the daemon's fence), with upload (POST /api/upload), download (GET /api/download/{path}), and
// the whole workspace saved as a zip or loaded from one (POST /api/workspace/save / load).
// Every refusal (a path escape, a zip-slip entry, a file over the cap) shows the daemon's message.
import './files.css';
import { $, h } from '../dom.js';
import type { SessionInfo } from '../sessions.js';
import { api, filenameOf, saveBlob } from './http.js';
import type { Panel, PanelContext } from './panel.js';

interface Entry {
  name: string;
  path: string;
  kind: 'file' | 'folder' | 'symlink' | 'other';
  size?: number;
  mtime?: string;
}

const MARKUP = `
  <h2>Files</h2>
  <p id="files-note" class="note"></p>
  <div id="files-body" hidden>
    <nav id="files-crumbs" aria-label="Folder"></nav>
    <div class="files-actions">
      <button type="button" id="files-up" aria-label="Up one folder">Up</button>
      <button type="button" id="files-refresh">Refresh</button>
    </div>
    <ul id="files-list" aria-label="Workspace entries"></ul>
    <label class="files-pick">Upload files into this folder
      <input type="file" id="files-upload" multiple></label>
    <fieldset class="files-zip"><legend>The workspace as a zip</legend>
      <button type="button" id="files-save">Save as zip</button>
      <label class="files-pick">Load a zip into the workspace (nothing changes if any entry is refused)
        <input type="file" id="files-load" accept=".zip,application/zip"></label>
    </fieldset>
  </div>
  <p id="files-status" role="status" aria-live="polite"></p>`;

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Each segment percent-encoded, the slashes kept: what /api/download/{path} decodes. */
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

class FilesPanel implements Panel {
  readonly id = 'files';
  readonly title = 'Files';
  private ctx!: PanelContext;
  private folder = '.';
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    root.innerHTML = MARKUP;
    $('files-up').onclick = () => this.go(this.parent());
    $('files-refresh').onclick = () => void this.refresh();
    $('files-upload').onchange = () => void this.upload();
    $('files-save').onclick = () => void this.saveZip();
    $('files-load').onchange = () => void this.loadZip();
    // A tool that finished may have changed the workspace: list it again (once per burst).
    ctx.on('session/update', (p) => {
      if (!this.shown() || p?.sessionId !== ctx.current()?.sessionId) return;
      const u = p.update;
      if (u?.sessionUpdate === 'tool_call_update' && (u.status === 'completed' || u.status === 'failed')) {
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => void this.refresh(), 300);
      }
    });
    this.sessionChanged(null);
  }

  opened(): void {
    void this.refresh();
  }

  connected(): void {
    void this.refresh();
  }

  /** The host has no "closed" call: whether the view shows is read from it. */
  private shown(): boolean {
    return !$('files-panel').hidden;
  }

  sessionChanged(s: SessionInfo | null): void {
    this.folder = '.';
    $('files-body').hidden = !s;
    $('files-note').textContent = s ? `Workspace: ${s.cwd ?? ''}` : 'Open a session to browse its workspace.';
    this.say('');
    $('files-list').replaceChildren();
    if (s) void this.refresh();
  }

  private session(): string | undefined {
    return this.ctx.current()?.sessionId;
  }

  private parent(): string {
    const i = this.folder.lastIndexOf('/');
    return i < 0 ? '.' : this.folder.slice(0, i);
  }

  private go(folder: string): void {
    this.folder = folder;
    void this.refresh();
  }

  private say(text: string, error = false): void {
    const el = $('files-status');
    el.textContent = text;
    el.className = error ? 'error' : 'note';
  }

  async refresh(): Promise<void> {
    const sessionId = this.session();
    if (!sessionId || !this.shown()) return;
    try {
      const res = await this.ctx.rpc().request<{ path: string; entries: Entry[]; truncated: boolean }>('workspace/list', { sessionId, path: this.folder });
      if (sessionId !== this.session()) return; // another session was opened meanwhile
      this.folder = res.path;
      this.drawCrumbs();
      ($('files-up') as HTMLButtonElement).disabled = this.folder === '.';
      const rows = res.entries.map((e) => this.row(e));
      if (!rows.length) rows.push(h('li', { class: 'note', text: 'This folder is empty.' }));
      if (res.truncated) rows.push(h('li', { class: 'note', text: `Only the first ${res.entries.length} entries are shown.` }));
      $('files-list').replaceChildren(...rows);
    } catch (err) {
      this.say(`Cannot list ${this.folder}: ${(err as Error).message}`, true);
    }
  }

  private drawCrumbs(): void {
    const parts = this.folder === '.' ? [] : this.folder.split('/');
    const crumbs: HTMLElement[] = [h('button', { type: 'button', class: 'crumb', text: 'workspace', onclick: () => this.go('.') })];
    parts.forEach((name, i) => {
      const to = parts.slice(0, i + 1).join('/');
      crumbs.push(h('span', { class: 'note', 'aria-hidden': 'true', text: '/' }), h('button', { type: 'button', class: 'crumb', text: name, onclick: () => this.go(to) }));
    });
    crumbs.at(-1)!.setAttribute('aria-current', 'location');
    $('files-crumbs').replaceChildren(...crumbs);
  }

  private row(e: Entry): HTMLElement {
    const li = h('li', { 'data-path': e.path, 'data-kind': e.kind });
    if (e.kind === 'folder') {
      li.append(h('button', { type: 'button', class: 'file-name folder', 'aria-label': `Open folder ${e.name}`, text: `${e.name}/`, onclick: () => this.go(e.path) }));
    } else if (e.kind === 'file') {
      li.append(
        h('span', { class: 'file-name', text: e.name }),
        h('span', { class: 'file-size note', text: formatSize(e.size ?? 0) }),
        h('button', { type: 'button', class: 'file-download', 'aria-label': `Download ${e.name}`, text: 'Download', onclick: () => void this.download(e) }),
      );
    } else {
      li.append(
        h('span', { class: 'file-name note', text: e.name }),
        h('span', { class: 'file-size note', text: e.kind === 'symlink' ? 'symlink, not followed' : 'not a regular file' }),
      );
    }
    return li;
  }

  private async download(e: Entry): Promise<void> {
    const sessionId = this.session();
    if (!sessionId) return;
    this.say(`Downloading ${e.path}…`);
    try {
      const res = await api(`/api/download/${encodePath(e.path)}?session_id=${encodeURIComponent(sessionId)}`);
      saveBlob(await res.blob(), filenameOf(res, e.name));
      this.say(`Downloaded ${e.path}.`);
    } catch (err) {
      this.say(`Download of ${e.path} failed: ${(err as Error).message}`, true);
    }
  }

  private async upload(): Promise<void> {
    const input = $('files-upload') as HTMLInputElement;
    const sessionId = this.session();
    const files = [...(input.files ?? [])];
    input.value = '';
    if (!sessionId || !files.length) return;
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    const into = this.folder === '.' ? '' : `&path=${encodeURIComponent(`${this.folder}/`)}`;
    this.say(`Uploading ${files.map((f) => f.name).join(', ')}…`);
    try {
      const res = await api(`/api/upload?session_id=${encodeURIComponent(sessionId)}${into}`, { method: 'POST', body: form });
      const out = (await res.json()) as { files: { path: string; size: number }[] };
      this.say(`Uploaded ${out.files.map((f) => `${f.path} (${formatSize(f.size)})`).join(', ')}.`);
    } catch (err) {
      this.say(`Upload failed: ${(err as Error).message}`, true);
    }
    await this.refresh();
  }

  private async saveZip(): Promise<void> {
    const sessionId = this.session();
    if (!sessionId) return;
    this.say('Packing the workspace…');
    try {
      const res = await api('/api/workspace/save', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session_id: sessionId }) });
      const blob = await res.blob();
      saveBlob(blob, filenameOf(res, `${sessionId}.zip`));
      this.say(`Saved the workspace (${res.headers.get('x-entry-count') ?? '?'} entries, ${formatSize(blob.size)}).`);
    } catch (err) {
      this.say(`Saving the workspace failed: ${(err as Error).message}`, true);
    }
  }

  private async loadZip(): Promise<void> {
    const input = $('files-load') as HTMLInputElement;
    const sessionId = this.session();
    const file = input.files?.[0];
    input.value = '';
    if (!sessionId || !file) return;
    this.say(`Loading ${file.name}…`);
    try {
      const res = await api(`/api/workspace/load?session_id=${encodeURIComponent(sessionId)}`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: file });
      const out = (await res.json()) as { files: number; bytes: number };
      this.say(`Loaded ${file.name}: ${out.files} files, ${formatSize(out.bytes)}.`);
    } catch (err) {
      this.say(`Loading ${file.name} failed: ${(err as Error).message}`, true);
    }
    await this.refresh();
  }
}

export const filesPanel = new FilesPanel();
