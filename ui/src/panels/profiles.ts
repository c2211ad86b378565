// The profiles panel: list (secrets arrive redacted from the daemon and are shown as such),
// create and edit with each field's error next to it, make default, delete, test (a real
// minimal call to the provider). A stored key never reaches the page: editing shows the
// daemon's placeholder, and sending the placeholder back keeps the stored key.
import './profiles.css';
import { $, h } from '../dom.js';
import type { Panel, PanelContext } from './panel.js';
import { issuesOf, placeIssues } from './field-errors.js';

interface Profile {
  name: string;
  provider: string;
  model: string;
  baseUrl?: string;
  apiKey?: string;
  maxTokens?: number;
  temperature?: number;
  contextWindow?: number;
  isDefault: boolean;
  builtin: boolean;
  hasApiKey: boolean;
}

const TEXT_FIELDS = ['name', 'provider', 'model', 'baseUrl', 'apiKey'] as const;
const NUMBER_FIELDS = ['maxTokens', 'temperature', 'contextWindow'] as const;
const FIELDS = [...TEXT_FIELDS, ...NUMBER_FIELDS] as const;
/** What profiles/update calls the name field (a rename). */
const ALIASES = { newName: 'name' };

// Static markup only (no daemon data): every value shown later is set as text or as an input's value.
const MARKUP = `
  <h2>Profiles</h2>
  <ul id="profiles"></ul>
  <p id="profiles-note" class="note" role="status"></p>
  <form id="profile-form" novalidate aria-labelledby="profile-form-title">
  <h3 id="profile-form-title">New profile</h3>
  <label>name <input name="name" id="profile-name" autocomplete="off" required aria-describedby="profile-name-error"></label><span id="profile-name-error" class="field-error"></span>
  <label>provider <select name="provider" id="profile-provider" aria-describedby="profile-provider-error"><option>openai-compatible</option><option>anthropic</option><option>ollama</option></select></label><span id="profile-provider-error" class="field-error"></span>
  <label>model <input name="model" id="profile-model" autocomplete="off" required aria-describedby="profile-model-error"></label><span id="profile-model-error" class="field-error"></span>
  <label>base URL <input name="baseUrl" id="profile-baseUrl" autocomplete="off" placeholder="optional" aria-describedby="profile-baseUrl-error"></label><span id="profile-baseUrl-error" class="field-error"></span>
  <label>API key <input name="apiKey" id="profile-apiKey" type="password" autocomplete="off" placeholder="optional; or \${env:NAME}" aria-describedby="profile-apiKey-hint profile-apiKey-error"></label>
  <span id="profile-apiKey-hint" class="note" hidden>[redacted] stands for the stored key and keeps it; type a new key to replace it, or empty the field to remove it.</span>
  <span id="profile-apiKey-error" class="field-error"></span>
  <details id="profile-more"><summary>more settings</summary>
  <label>max tokens <input name="maxTokens" id="profile-maxTokens" inputmode="numeric" autocomplete="off" placeholder="provider default" aria-describedby="profile-maxTokens-error"></label><span id="profile-maxTokens-error" class="field-error"></span>
  <label>temperature <input name="temperature" id="profile-temperature" inputmode="decimal" autocomplete="off" placeholder="0–2" aria-describedby="profile-temperature-error"></label><span id="profile-temperature-error" class="field-error"></span>
  <label>context window <input name="contextWindow" id="profile-contextWindow" inputmode="numeric" autocomplete="off" placeholder="tokens" aria-describedby="profile-contextWindow-error"></label><span id="profile-contextWindow-error" class="field-error"></span>
  </details>
  <label class="check"><input name="makeDefault" id="profile-makeDefault" type="checkbox"> make default</label>
  <div class="row"><button id="profile-create">Add profile</button><button id="profile-cancel" type="button" hidden>Cancel edit</button></div>
  <span id="profile-form-error" class="field-error" role="alert"></span>
  </form>`;

class ProfilesPanel implements Panel {
  readonly id = 'profiles';
  readonly title = 'Profiles';
  private ctx!: PanelContext;
  /** The profile being edited (its name as stored), or null while the form creates one. */
  private editing: Profile | null = null;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    root.innerHTML = MARKUP;
    $('profile-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    $('profile-cancel').addEventListener('click', () => this.endEdit());
    $('profile-form').addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.editing) {
        e.stopPropagation();
        this.endEdit();
      }
    });
  }

  opened(): void {
    void this.refresh();
  }

  private rpc() {
    return this.ctx.rpc();
  }

  private form(): HTMLFormElement {
    return $('profile-form') as HTMLFormElement;
  }

  private input(name: string): HTMLInputElement {
    return this.form().elements.namedItem(name) as HTMLInputElement;
  }

  async refresh(): Promise<void> {
    try {
      const res = await this.rpc().request<{ profiles: Profile[]; problems: { index: number | null; name?: string; reason: string }[] }>('profiles/list', {});
      $('profiles').replaceChildren(...res.profiles.map((p) => this.row(p)));
      // Entries of profiles.json the daemon could not load are said, not hidden.
      $('profiles-note').textContent = res.problems.map((p) => `profiles.json ${p.name ? `"${p.name}"` : `entry ${p.index ?? ''}`}: ${p.reason}`).join('\n');
    } catch (err) {
      $('profiles').replaceChildren(h('li', { class: 'error', text: `Profiles unavailable: ${(err as Error).message}` }));
    }
  }

  private row(p: Profile): HTMLElement {
    const result = h('span', { class: 'profile-test note', 'aria-live': 'polite' });
    const label = (verb: string) => `${verb} profile ${p.name}`;
    const test = h('button', {
      type: 'button',
      text: 'Test',
      'aria-label': label('Test'),
      onclick: async () => {
        result.textContent = 'testing…';
        delete result.dataset.ok;
        try {
          const r = await this.rpc().request('profiles/test', { name: p.name });
          result.textContent = r.ok ? `ok · ${Math.round(r.latencyMs)} ms` : `failed: ${r.error?.message ?? 'unknown error'}`;
          result.dataset.ok = String(r.ok);
        } catch (err) {
          result.textContent = `failed: ${(err as Error).message}`;
          result.dataset.ok = 'false';
        }
      },
    });
    const act = (verb: string, run: () => Promise<void>, cls = '') =>
      h('button', {
        type: 'button',
        class: cls,
        text: verb,
        'aria-label': label(verb),
        onclick: () =>
          void run().catch((err: Error) => {
            result.textContent = `${verb.toLowerCase()} failed: ${err.message}`;
            result.dataset.ok = 'false';
          }),
      });
    const actions = h(
      'span',
      { class: 'profile-actions' },
      test,
      act('Edit', async () => this.startEdit(p)),
      p.isDefault
        ? null
        : act('Make default', async () => {
            await this.rpc().request('profiles/update', { name: p.name, makeDefault: true });
            await this.refresh();
          }),
      act(
        'Delete',
        async () => {
          if (!confirm(`Delete profile ${p.name}?${p.isDefault ? ' Another profile becomes the default.' : ''}`)) return;
          await this.rpc().request('profiles/delete', { name: p.name });
          if (this.editing?.name === p.name) this.endEdit();
          await this.refresh();
        },
        'danger',
      ),
    );
    const key = p.hasApiKey ? `key ${p.apiKey ?? '[redacted]'}` : 'no key';
    return h(
      'li',
      { 'data-profile': p.name, 'aria-current': this.editing?.name === p.name ? 'true' : undefined },
      h('span', { class: 'profile-name', text: `${p.name}${p.isDefault ? ' (default)' : ''}${p.builtin ? ' · built-in' : ''}` }),
      h('span', { class: 'profile-detail note', text: `${p.provider} · ${p.model} · ${key}` }),
      p.baseUrl ? h('span', { class: 'profile-url note', text: p.baseUrl }) : null,
      actions,
      result,
    );
  }

  /** Fills the form with the profile as the daemon shows it (the key as its placeholder). */
  private startEdit(p: Profile): void {
    this.editing = p;
    this.clearErrors();
    for (const f of FIELDS) {
      const v = p[f];
      this.input(f).value = v === undefined ? '' : String(v);
    }
    this.input('makeDefault').checked = p.isDefault;
    $('profile-apiKey-hint').hidden = !p.hasApiKey;
    $('profile-form-title').textContent = `Edit profile ${p.name}`;
    $('profile-create').textContent = 'Save changes';
    $('profile-cancel').hidden = false;
    if (NUMBER_FIELDS.some((f) => p[f] !== undefined)) ($('profile-more') as HTMLDetailsElement).open = true;
    for (const li of document.querySelectorAll('#profiles li')) li.toggleAttribute('aria-current', (li as HTMLElement).dataset.profile === p.name);
    this.input('name').focus();
  }

  private endEdit(): void {
    this.editing = null;
    this.form().reset();
    this.clearErrors();
    $('profile-apiKey-hint').hidden = true;
    $('profile-form-title').textContent = 'New profile';
    $('profile-create').textContent = 'Add profile';
    $('profile-cancel').hidden = true;
    for (const li of document.querySelectorAll('#profiles li')) li.removeAttribute('aria-current');
  }

  private clearErrors(): void {
    for (const f of FIELDS) $(`profile-${f}-error`).textContent = '';
    $('profile-form-error').textContent = '';
  }

  /** A number field as typed: a number when it reads as one, else the text (the daemon says what is wrong). */
  private numberOf(f: string): number | string | undefined {
    const v = this.input(f).value.trim();
    if (!v) return undefined;
    return Number.isFinite(Number(v)) ? Number(v) : v;
  }

  private params(): Record<string, unknown> {
    const editing = this.editing;
    const params: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const v = (NUMBER_FIELDS as readonly string[]).includes(f) ? this.numberOf(f) : this.input(f).value.trim() || undefined;
      if (!editing) {
        if (v !== undefined) params[f] = v;
        continue;
      }
      // Editing: an emptied optional field is removed (null), an unchanged one is left out.
      if (f === 'name') params.newName = v === editing.name ? undefined : v;
      else if (v === undefined) params[f] = f === 'model' ? '' : editing[f] === undefined ? undefined : null;
      else params[f] = v === editing[f] ? undefined : v;
    }
    // The key's placeholder goes back as it came: the daemon keeps the stored key, or refuses
    // if the profile now points at another server (a key never follows a changed base URL silently).
    if (editing?.hasApiKey && this.input('apiKey').value === editing.apiKey) params.apiKey = editing.apiKey;
    if (editing) params.name = editing.name;
    const makeDefault = this.input('makeDefault').checked;
    if (makeDefault && !editing?.isDefault) params.makeDefault = true;
    return params;
  }

  private async submit(): Promise<void> {
    const editing = this.editing;
    const params = this.params();
    this.clearErrors();
    try {
      await this.rpc().request(editing ? 'profiles/update' : 'profiles/create', params);
      if (editing) this.endEdit();
      else this.form().reset();
      await this.refresh();
    } catch (err) {
      // Invalid params carry zod issues by field: each is shown beside its input.
      const placed = placeIssues(issuesOf(err), FIELDS, (field, message) => ($(`profile-${field}-error`).textContent = message), ALIASES);
      if (!placed.length) $('profile-form-error').textContent = (err as Error).message;
      else {
        if (placed.some((f) => (NUMBER_FIELDS as readonly string[]).includes(f))) ($('profile-more') as HTMLDetailsElement).open = true;
        $(`profile-${placed[0]}`).focus();
        // The input and the words beside it both in view, in a long form.
        $(`profile-${placed[0]}-error`).scrollIntoView({ block: 'nearest' });
      }
    }
  }
}

export const profilesPanel = new ProfilesPanel();
