// The rules & grants panel: the open session's approval mode, its rules (its own, editable, and
// those of permissions.json, read-only) and its remembered answers ("always" grants, for this
// session or this workspace) with revoke. It redraws when the session's mode changes and after
// each tool call's status changes, which is when an "always" answer has just made a grant.
import './rules.css';
import { $, h } from '../dom.js';
import type { SessionInfo } from '../sessions.js';
import { issuesOf } from './field-errors.js';
import type { Panel, PanelContext } from './panel.js';

interface Rule {
  pattern: string;
  action: 'allow' | 'ask' | 'deny';
  source?: 'session' | 'config';
}

interface Grant {
  grantId: string;
  scope: 'session' | 'workspace';
  sessionId?: string;
  workspace: string;
  tool: string;
  subject?: string;
  effect: 'allow' | 'deny';
  createdAt: string;
}

// What each mode lets run (the daemon's own words for them: src/plugins/tools/modes.ts).
const MODES: Record<string, string> = {
  ask: 'Reads inside the workspace run; edits and commands ask first.',
  'accept-edits': 'Edits inside the workspace run; commands ask first.',
  'read-only': 'Nothing that changes anything runs.',
  bypass: 'Everything runs without asking (deny rules still apply).',
};

const MARKUP = `
  <h2>Rules &amp; grants</h2>
  <p id="rules-note" class="note" role="status"></p>
  <div id="rules-body" hidden>
  <label class="rules-mode">Approval mode
    <select id="rules-mode" aria-describedby="rules-mode-about">
      <option value="ask">ask</option><option value="accept-edits">accept edits</option><option value="read-only">read only</option><option value="bypass">bypass</option>
    </select></label>
  <p id="rules-mode-about" class="note"></p>
  <h3>Rules</h3>
  <ul id="rules-list" aria-label="Rules of this session"></ul>
  <form id="rule-form" novalidate>
    <label>pattern <input id="rule-pattern" name="pattern" autocomplete="off" placeholder="shell:git *, read_file:src/**, mcp_*" aria-describedby="rule-pattern-error"></label>
    <label>action <select id="rule-action" name="action"><option>allow</option><option>ask</option><option>deny</option></select></label>
    <button id="rule-add">Add rule</button>
    <span id="rule-pattern-error" class="field-error" role="alert"></span>
  </form>
  <h3>Remembered answers</h3>
  <ul id="grants-list" aria-label="Remembered answers (always allow / always reject)"></ul>
  </div>`;

class RulesPanel implements Panel {
  readonly id = 'rules';
  readonly title = 'Rules';
  private ctx!: PanelContext;
  private root!: HTMLElement;
  private rules: Rule[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every refresh: an answer that arrives after a newer request started is dropped. */
  private generation = 0;

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    this.root = root;
    root.innerHTML = MARKUP;
    $('rule-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.addRule();
    });
    $('rules-mode').addEventListener('change', () => void this.setMode(($('rules-mode') as HTMLSelectElement).value));
    ctx.on('session/update', (p) => {
      if (p?.sessionId !== this.ctx.current()?.sessionId) return;
      const kind = p?.update?.sessionUpdate;
      // An answer to a prompt shows as the tool call moving on (running, or failed when rejected).
      if (kind === 'current_mode_update' || (kind === 'tool_call_update' && p.update.status)) this.soon();
    });
    this.drawEmpty();
  }

  opened(): void {
    void this.refresh();
  }

  connected(): void {
    this.soon();
  }

  sessionChanged(_s: SessionInfo | null): void {
    this.rules = [];
    this.soon();
  }

  private rpc() {
    return this.ctx.rpc();
  }

  /** Reads again shortly (one read for a burst of updates); a closed panel reads when opened. */
  private soon(): void {
    if (this.root.hidden) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 50);
  }

  private drawEmpty(): void {
    $('rules-body').hidden = true;
    $('rules-note').textContent = 'Open a session to see its approval mode, rules and remembered answers.';
  }

  async refresh(): Promise<void> {
    const gen = ++this.generation;
    const session = this.ctx.current();
    if (!session) return this.drawEmpty();
    try {
      const [perms, grants] = await Promise.all([
        this.rpc().request<{ mode: string; rules: Rule[] }>('permissions/get', { sessionId: session.sessionId }),
        this.rpc().request<{ grants: Grant[] }>('permissions/grants', { sessionId: session.sessionId }),
      ]);
      if (gen !== this.generation) return;
      this.rules = perms.rules;
      $('rules-note').textContent = '';
      $('rules-body').hidden = false;
      ($('rules-mode') as HTMLSelectElement).value = perms.mode;
      $('rules-mode-about').textContent = MODES[perms.mode] ?? '';
      this.drawRules();
      this.drawGrants(grants.grants, session);
    } catch (err) {
      if (gen !== this.generation) return;
      $('rules-body').hidden = true;
      $('rules-note').textContent = `Permissions unavailable: ${(err as Error).message}`;
    }
  }

  private drawRules(): void {
    const own = this.rules.filter((r) => r.source !== 'config');
    const rows = this.rules.map((r) =>
      h(
        'li',
        { 'data-pattern': r.pattern, 'data-action': r.action, 'data-source': r.source ?? 'session' },
        h('span', { class: `rule-action action-${r.action}`, text: r.action }),
        h('code', { class: 'rule-pattern', text: r.pattern }),
        r.source === 'config'
          ? h('span', { class: 'note', text: 'from permissions.json' })
          : h('button', {
              type: 'button',
              text: 'Remove',
              'aria-label': `Remove rule ${r.action} ${r.pattern}`,
              onclick: () => void this.saveRules(own.filter((x) => x !== r)),
            }),
      ),
    );
    $('rules-list').replaceChildren(...(rows.length ? rows : [h('li', { class: 'note', text: 'No rules: the mode decides, and prompts ask.' })]));
  }

  private drawGrants(grants: Grant[], session: SessionInfo): void {
    const rows = grants.map((g) => {
      const scope = g.scope === 'session' ? 'this session' : `workspace ${g.workspace}`;
      return h(
        'li',
        { 'data-grant-id': g.grantId, 'data-scope': g.scope, 'data-effect': g.effect },
        h('span', { class: `rule-action action-${g.effect}`, text: g.effect === 'allow' ? 'always allow' : 'always reject' }),
        h('code', { class: 'grant-what', text: g.subject === undefined ? `${g.tool} (any)` : `${g.tool}: ${g.subject}` }),
        h('button', {
          type: 'button',
          text: 'Revoke',
          'aria-label': `Revoke: ${g.effect} ${g.tool}${g.subject ? ` ${g.subject}` : ''}`,
          onclick: () => void this.revoke(g.grantId),
        }),
        h('span', { class: 'grant-scope note', title: g.workspace, text: `for ${scope} · since ${new Date(g.createdAt).toLocaleString()}` }),
      );
    });
    const all =
      grants.some((g) => g.scope === 'session') &&
      h('button', {
        type: 'button',
        class: 'danger',
        id: 'grants-revoke-session',
        text: 'Revoke all of this session',
        onclick: () => void this.revoke(undefined, session.sessionId),
      });
    $('grants-list').replaceChildren(
      ...(rows.length ? rows : [h('li', { class: 'note', text: 'None yet: answer a prompt with “always” to remember it.' })]),
      ...(all ? [h('li', { class: 'grants-all' }, all)] : []),
    );
  }

  private async setMode(mode: string): Promise<void> {
    const session = this.ctx.current();
    if (!session) return;
    try {
      await this.rpc().request('permissions/set_mode', { sessionId: session.sessionId, mode });
    } catch (err) {
      $('rules-note').textContent = `Could not switch the mode: ${(err as Error).message}`;
    }
    await this.refresh();
  }

  private async addRule(): Promise<void> {
    const pattern = ($('rule-pattern') as HTMLInputElement).value.trim();
    const action = ($('rule-action') as HTMLSelectElement).value as Rule['action'];
    const own = this.rules.filter((r) => r.source !== 'config');
    if (await this.saveRules([...own, { pattern, action }], own.length)) ($('rule-pattern') as HTMLInputElement).value = '';
  }

  /** Replaces the session's own rules; `added`: the index of a new rule, whose errors show by its input. */
  private async saveRules(rules: Rule[], added?: number): Promise<boolean> {
    const session = this.ctx.current();
    if (!session) return false;
    $('rule-pattern-error').textContent = '';
    try {
      await this.rpc().request('permissions/set_rules', { sessionId: session.sessionId, rules: rules.map(({ pattern, action }) => ({ pattern, action })) });
      await this.refresh();
      return true;
    } catch (err) {
      const mine = issuesOf(err).filter((i) => i.path[0] === 'rules' && Number(i.path[1]) === added);
      $('rule-pattern-error').textContent = mine.length ? mine.map((i) => `${i.path.slice(2).join('.') || 'rule'}: ${i.message}`).join('; ') : (err as Error).message;
      if (added !== undefined) $('rule-pattern').focus();
      return false;
    }
  }

  private async revoke(grantId?: string, sessionId?: string): Promise<void> {
    try {
      await this.rpc().request('permissions/revoke', grantId ? { grantId } : { sessionId });
    } catch (err) {
      $('rules-note').textContent = `Could not revoke: ${(err as Error).message}`;
    }
    await this.refresh();
  }
}

export const rulesPanel = new RulesPanel();
