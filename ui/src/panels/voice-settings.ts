// The voice panel's view: each server's live status (voice/status) and voice.json as a form
// (voice/config/get / update). API keys arrive as [redacted]; sent back unchanged they keep the
// stored key, emptied they remove it. Each field's error from the daemon is shown beside it.
import { $, h } from '../dom.js';
import type { PanelContext } from './panel.js';

type Role = 'stt' | 'tts';
const FIELDS: Record<Role, readonly string[]> = {
  stt: ['url', 'language', 'model', 'apiKey'],
  tts: ['url', 'voice', 'language', 'model', 'apiKey'],
};
const LEGEND: Record<Role, string> = { stt: 'Speech to text (STT)', tts: 'Text to speech (TTS)' };
const PLACEHOLDER: Record<string, string> = {
  url: 'tcp://host:port (Wyoming) or http(s)://host (OpenAI-style)',
  language: 'optional, e.g. en',
  model: 'optional',
  voice: 'optional',
  apiKey: 'optional; or ${env:NAME}',
};

interface RoleStatus {
  url: string;
  protocol: string;
  source: 'file' | 'env';
  reachable: boolean;
  latencyMs?: number;
  error?: { message: string };
  models?: { name: string }[];
  voices?: { name: string }[];
  streaming?: { transcript?: boolean; synthesize?: boolean };
}

function fieldset(role: Role): string {
  const rows = FIELDS[role]
    .map((f) => {
      const id = `voice-${role}-${f}`;
      const type = f === 'apiKey' ? 'password' : 'text';
      const label = f === 'apiKey' ? 'API key' : f === 'url' ? 'URL' : f;
      return `<label>${label} <input id="${id}" type="${type}" autocomplete="off" placeholder="${PLACEHOLDER[f]}"></label><span id="${id}-error" class="field-error"></span>`;
    })
    .join('');
  return `<fieldset><legend>${LEGEND[role]}</legend><p id="voice-${role}-env" class="note" hidden></p>${rows}</fieldset>`;
}

const MARKUP = `
  <h2>Voice</h2>
  <section aria-label="Voice servers" class="voice-status">
    <ul id="voice-servers"></ul>
    <button type="button" id="voice-status-refresh">Check again</button>
  </section>
  <form id="voice-form" novalidate>
    ${fieldset('stt')}${fieldset('tts')}
    <label class="check"><input type="checkbox" id="voice-autosend"> send the prompt as soon as dictation is transcribed</label>
    <div class="row"><button id="voice-save">Save voice settings</button><span id="voice-saved" class="note" role="status"></span></div>
    <span id="voice-form-error" class="field-error"></span>
    <p id="voice-config-file" class="note"></p>
  </form>`;

export class VoiceSettings {
  private stored: Record<Role, Record<string, unknown> | undefined> = { stt: undefined, tts: undefined };

  constructor(root: HTMLElement, private readonly ctx: PanelContext, private readonly autosendKey: string) {
    root.innerHTML = MARKUP;
    $('voice-status-refresh').onclick = () => void this.status();
    const auto = $('voice-autosend') as HTMLInputElement;
    auto.checked = localStorage.getItem(autosendKey) === 'true';
    auto.onchange = () => localStorage.setItem(autosendKey, String(auto.checked));
    $('voice-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.save();
    });
  }

  async refresh(): Promise<void> {
    await Promise.all([this.status(), this.load()]);
  }

  private async status(): Promise<void> {
    $('voice-servers').replaceChildren(h('li', { class: 'note', text: 'checking…' }));
    try {
      const s = await this.ctx.rpc().request<{ stt: RoleStatus | null; tts: RoleStatus | null; configProblem?: string }>('voice/status', {});
      const items = (['stt', 'tts'] as const).map((r) => this.serverRow(r, s[r]));
      if (s.configProblem) items.push(h('li', { class: 'error', text: `voice.json: ${s.configProblem}` }));
      $('voice-servers').replaceChildren(...items);
    } catch (err) {
      $('voice-servers').replaceChildren(h('li', { class: 'error', text: `Voice status unavailable: ${(err as Error).message}` }));
    }
  }

  private serverRow(role: Role, s: RoleStatus | null): HTMLElement {
    const name = role === 'stt' ? 'Speech to text' : 'Text to speech';
    if (!s) return h('li', { 'data-role': role, 'data-reachable': 'none' }, h('span', { class: 'voice-role', text: name }), h('span', { class: 'note', text: 'not configured' }));
    const offer = (role === 'stt' ? s.models : s.voices)?.map((m) => m.name).join(', ');
    const streams = role === 'stt' ? s.streaming?.transcript : s.streaming?.synthesize;
    const detail = s.reachable
      ? `reachable${s.latencyMs !== undefined ? ` · ${Math.round(s.latencyMs)} ms` : ''}${offer ? ` · ${role === 'stt' ? 'models' : 'voices'}: ${offer}` : ''}${streams ? ' · streaming' : ''}`
      : `unreachable: ${s.error?.message ?? 'no answer'}`;
    return h(
      'li',
      { 'data-role': role, 'data-reachable': String(s.reachable) },
      h('span', { class: 'voice-role', text: name }),
      h('span', { class: 'voice-url', text: `${s.protocol} · ${s.url}${s.source === 'env' ? ' (from the environment)' : ''}` }),
      h('span', { class: s.reachable ? 'voice-ok' : 'voice-bad', text: detail }),
    );
  }

  private async load(): Promise<void> {
    try {
      this.show(await this.ctx.rpc().request('voice/config/get', {}));
    } catch (err) {
      $('voice-form-error').textContent = `voice.json unavailable: ${(err as Error).message}`;
    }
  }

  private show(view: { configFile: string; config: Record<string, any>; problem?: string; effective: Record<Role, { url: string; source: string } | null> }): void {
    for (const role of ['stt', 'tts'] as const) {
      const conf = view.config[role] as Record<string, unknown> | undefined;
      this.stored[role] = conf;
      for (const f of FIELDS[role]) ($(`voice-${role}-${f}`) as HTMLInputElement).value = typeof conf?.[f] === 'string' ? (conf[f] as string) : '';
      const eff = view.effective[role];
      const env = $(`voice-${role}-env`);
      env.hidden = eff?.source !== 'env';
      env.textContent = eff?.source === 'env' ? `The environment (SWITCHBOARD_VOICE_${role.toUpperCase()}_URL) sets the URL in use: ${eff.url}` : '';
    }
    $('voice-config-file').textContent = `Stored in ${view.configFile}${view.problem ? ` (${view.problem})` : ''}`;
  }

  /** A patch of what changed: an emptied field is removed (null), an emptied role too. */
  private patch(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const role of ['stt', 'tts'] as const) {
      const values = Object.fromEntries(FIELDS[role].map((f) => [f, ($(`voice-${role}-${f}`) as HTMLInputElement).value.trim()]));
      if (Object.values(values).every((v) => !v)) {
        if (this.stored[role]) out[role] = null;
        continue;
      }
      out[role] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v || null]));
    }
    return out;
  }

  private async save(): Promise<void> {
    for (const role of ['stt', 'tts'] as const) for (const f of FIELDS[role]) $(`voice-${role}-${f}-error`).textContent = '';
    $('voice-form-error').textContent = '';
    $('voice-saved').textContent = '';
    try {
      this.show(await this.ctx.rpc().request('voice/config/update', this.patch()));
      $('voice-saved').textContent = 'saved';
      await this.status();
    } catch (err) {
      const issues = ((err as any).data?.issues ?? []) as { path: (string | number)[]; message: string }[];
      let placed = false;
      for (const i of issues) {
        const [role, field] = i.path as [string, string];
        const el = document.getElementById(`voice-${role}-${field}-error`);
        if (el) {
          el.textContent = i.message;
          placed = true;
        }
      }
      if (!placed) $('voice-form-error').textContent = (err as Error).message;
    }
  }
}
