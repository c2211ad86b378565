// The new-session form: a workspace picker that needs nothing typed (empty: a new folder under the
// daemon's workspaces; the datalist offers the workspaces of recent sessions; any absolute path
// may be typed), a profile (profiles/list), a mode and an optional system prompt. What the daemon
// refuses is shown next to the field it is about.
import { $, h } from './dom.js';
import type { Rpc, RpcError } from './rpc.js';
import type { SessionInfo } from './sessions.js';

const FIELDS = ['cwd', 'new-profile', 'new-session'] as const;

export class SessionForm {
  constructor(
    private readonly rpc: () => Rpc,
    private readonly created: (sessionId: string, view: SessionInfo) => Promise<void>,
  ) {
    $('new-session').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });
    $('cwd').addEventListener('input', () => ($('cwd-error').textContent = ''));
  }

  /** Recent workspaces, most recently used first, each once. */
  sessionsChanged(sessions: SessionInfo[]): void {
    const seen = new Set<string>();
    const options = [];
    for (const s of sessions) {
      if (!s.cwd || seen.has(s.cwd)) continue;
      seen.add(s.cwd);
      options.push(h('option', { value: s.cwd, label: s.title ? `${s.cwd} (${s.title})` : s.cwd }));
      if (options.length >= 20) break;
    }
    $('recent-workspaces').replaceChildren(...options);
  }

  /** The profiles to choose from (re-read on each connect: another client may have added one). */
  async connected(): Promise<void> {
    const select = $<HTMLSelectElement>('new-profile');
    const chosen = select.value;
    try {
      const { profiles } = await this.rpc().request<{ profiles: { name: string; model: string; isDefault: boolean }[] }>('profiles/list', {});
      const def = profiles.find((p) => p.isDefault);
      select.replaceChildren(
        h('option', { value: '', text: def ? `default (${def.name})` : 'default' }),
        ...profiles.map((p) => h('option', { value: p.name, text: `${p.name} · ${p.model}` })),
      );
      if (profiles.some((p) => p.name === chosen)) select.value = chosen;
    } catch {
      /* the default profile still works; an error shows when creating */
    }
  }

  private async submit(): Promise<void> {
    for (const f of FIELDS) $(`${f}-error`).textContent = '';
    const cwd = $<HTMLInputElement>('cwd').value.trim();
    const title = $<HTMLInputElement>('new-title').value.trim();
    const profile = $<HTMLSelectElement>('new-profile').value;
    const mode = $<HTMLSelectElement>('new-mode').value;
    const systemPrompt = $<HTMLTextAreaElement>('new-system-prompt').value.trim();
    const button = $<HTMLButtonElement>('new-session-button');
    button.disabled = true;
    try {
      // No workspace given: the daemon makes one under $SWITCHBOARD_HOME/workspaces/<id>.
      const res = await this.rpc().request('session/new', {
        ...(cwd ? { cwd } : {}),
        ...(title ? { title } : {}),
        ...(profile ? { profile } : {}),
        ...(mode !== 'ask' ? { mode } : {}),
        ...(systemPrompt ? { systemPrompt } : {}),
        mcpServers: [],
      });
      $<HTMLInputElement>('new-title').value = '';
      $<HTMLTextAreaElement>('new-system-prompt').value = '';
      // A wider mode is chosen for one session, never carried over to the next by accident.
      $<HTMLSelectElement>('new-mode').value = 'ask';
      if (res.warnings?.length) $('cwd-error').textContent = `Created; note: ${res.warnings.join('; ')}`;
      await this.created(res.sessionId, { ...res, mode: res.modes?.currentModeId ?? res.mode });
    } catch (err) {
      this.place(err as RpcError);
    } finally {
      button.disabled = false;
    }
  }

  /** The daemon's error beside its field: the workspace, the profile, or the form as a whole. */
  private place(err: RpcError): void {
    const data = (err.data ?? {}) as { profile?: string; issues?: { path: (string | number)[]; message: string }[] };
    const issue = data.issues?.[0];
    const field = issue ? String(issue.path[0]) : '';
    if (field === 'cwd' || field === 'workspace' || /^cwd\b/.test(err.message)) {
      $('cwd-error').textContent = issue?.message ?? err.message;
      $('cwd').focus();
    } else if (field === 'profile' || data.profile !== undefined) {
      ($('new-options') as HTMLDetailsElement).open = true;
      $('new-profile-error').textContent = issue?.message ?? err.message;
    } else $('new-session-error').textContent = `Could not create a session: ${err.message}`;
  }
}
