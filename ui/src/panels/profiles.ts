// The profiles panel: list (secrets arrive redacted from the daemon and are shown as such),
// create with each field's error next to it, test (a real minimal call to the provider).
import './profiles.css';
import { $, h } from '../dom.js';
import type { Panel, PanelContext } from './panel.js';

interface Profile {
  name: string;
  provider: string;
  model: string;
  baseUrl?: string;
  apiKey?: string;
  isDefault: boolean;
  hasApiKey: boolean;
}

const FIELDS = ['name', 'provider', 'model', 'baseUrl', 'apiKey'] as const;

// Static markup only (no daemon data): every value shown later is set as text.
const MARKUP = `
  <h2>Profiles</h2>
  <ul id="profiles"></ul>
  <form id="profile-form" novalidate>
  <label>name <input name="name" id="profile-name" autocomplete="off" required></label><span id="profile-name-error" class="field-error"></span>
  <label>provider <select name="provider" id="profile-provider"><option>openai-compatible</option><option>anthropic</option><option>ollama</option></select></label><span id="profile-provider-error" class="field-error"></span>
  <label>model <input name="model" id="profile-model" autocomplete="off" required></label><span id="profile-model-error" class="field-error"></span>
  <label>base URL <input name="baseUrl" id="profile-baseUrl" autocomplete="off" placeholder="optional"></label><span id="profile-baseUrl-error" class="field-error"></span>
  <label>API key <input name="apiKey" id="profile-apiKey" type="password" autocomplete="off" placeholder="optional; or \${env:NAME}"></label><span id="profile-apiKey-error" class="field-error"></span>
  <label class="check"><input name="makeDefault" type="checkbox"> make default</label>
  <button id="profile-create">Add profile</button>
  <span id="profile-form-error" class="field-error"></span>
  </form>`;

class ProfilesPanel implements Panel {
  readonly id = 'profiles';
  readonly title = 'Profiles';
  private ctx!: PanelContext;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    root.innerHTML = MARKUP;
    $('profile-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create();
    });
  }

  opened(): void {
    void this.refresh();
  }

  private rpc() {
    return this.ctx.rpc();
  }

  async refresh(): Promise<void> {
    try {
      const res = await this.rpc().request<{ profiles: Profile[] }>('profiles/list', {});
      $('profiles').replaceChildren(...res.profiles.map((p) => this.row(p)));
    } catch (err) {
      $('profiles').replaceChildren(h('li', { class: 'error', text: `Profiles unavailable: ${(err as Error).message}` }));
    }
  }

  private row(p: Profile): HTMLElement {
    const result = h('span', { class: 'profile-test note', 'aria-live': 'polite' });
    const test = h('button', {
      type: 'button',
      text: 'Test',
      onclick: async () => {
        result.textContent = 'testing…';
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
    const key = p.hasApiKey ? `key ${p.apiKey ?? '[redacted]'}` : 'no key';
    return h(
      'li',
      { 'data-profile': p.name },
      h('span', { class: 'profile-name', text: `${p.name}${p.isDefault ? ' (default)' : ''}` }),
      h('span', { class: 'profile-detail note', text: `${p.provider} · ${p.model} · ${key}` }),
      test,
      result,
    );
  }

  private async create(): Promise<void> {
    const form = $('profile-form') as HTMLFormElement;
    const params: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const v = (form.elements.namedItem(f) as HTMLInputElement).value.trim();
      if (v) params[f] = v;
      $(`profile-${f}-error`).textContent = '';
    }
    $('profile-form-error').textContent = '';
    if ((form.elements.namedItem('makeDefault') as HTMLInputElement).checked) params.makeDefault = true;
    try {
      await this.rpc().request('profiles/create', params);
      form.reset();
      await this.refresh();
    } catch (err) {
      // Invalid params carry zod issues by field: each is shown beside its input.
      const issues = ((err as any).data?.issues ?? []) as { path: string[]; message: string }[];
      let placed = false;
      for (const i of issues) {
        const field = i.path[0];
        if (field && (FIELDS as readonly string[]).includes(field)) {
          $(`profile-${field}-error`).textContent = i.message;
          placed = true;
        }
      }
      if (!placed) $('profile-form-error').textContent = (err as Error).message;
    }
  }
}

export const profilesPanel = new ProfilesPanel();
