// The MCP servers panel: the global servers of mcp.json (env and header values arrive redacted),
// added by pasting a Claude-Desktop-style {"mcpServers": {...}} block, removed; and the open
// session's connections: connect one, see its state and tools, disconnect. State changes the
// daemon announces (mcp/status: a server crashed, restarted, changed its tools) redraw at once.
import './mcp.css';
import { $, h } from '../dom.js';
import type { SessionInfo } from '../sessions.js';
import { issuesOf } from './field-errors.js';
import { parsePasted, unparse, type PastedServer } from './mcp-paste.js';
import type { Panel, PanelContext } from './panel.js';

interface ServerEntry {
  name: string;
  transport: 'stdio' | 'http' | 'sse';
  config: Record<string, any>;
}

interface Connection {
  name: string;
  transport: string;
  status: 'connecting' | 'connected' | 'failed' | 'disconnected';
  error?: string;
  restarts: number;
  pid?: number;
  tools: { name: string; mcpName: string; title?: string; description?: string; kind: string }[];
}

const MARKUP = `
  <h2>MCP servers</h2>
  <ul id="mcp-servers" aria-label="Configured MCP servers"></ul>
  <p id="mcp-servers-note" class="note" role="status"></p>
  <h3>This session</h3>
  <p id="mcp-session-note" class="note" role="status"></p>
  <ul id="mcp-connections" aria-label="MCP connections of the open session"></ul>
  <form id="mcp-add-form" novalidate>
  <h3>Add servers</h3>
  <label for="mcp-json">Paste an <code>mcpServers</code> block (as Claude Desktop or Cursor write it)</label>
  <textarea id="mcp-json" rows="8" spellcheck="false" autocomplete="off" aria-describedby="mcp-json-error mcp-field-errors"
    placeholder='{"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]}}}'></textarea>
  <span id="mcp-json-error" class="field-error" role="alert"></span>
  <ul id="mcp-field-errors" class="field-errors" aria-label="Problems in the pasted servers"></ul>
  <div class="row"><button id="mcp-add">Add</button><span id="mcp-add-note" class="note" role="status"></span></div>
  </form>`;

/** What a server runs or where it is, secrets left as the daemon redacted them. */
function describe(s: ServerEntry): string {
  const c = s.config;
  const where = s.transport === 'stdio' ? [c.command, ...(Array.isArray(c.args) ? c.args : [])].join(' ') : String(c.url ?? '');
  const secrets = Object.entries({ ...(c.env ?? {}), ...(c.headers ?? {}) }).map(([k, v]) => `${k}=${v}`);
  return `${s.transport} · ${where}${secrets.length ? ` · ${secrets.join(' ')}` : ''}`;
}

class McpPanel implements Panel {
  readonly id = 'mcp';
  readonly title = 'MCP';
  private ctx!: PanelContext;
  private root!: HTMLElement;
  private servers: ServerEntry[] = [];
  private connections: Connection[] = [];
  /** The session whose mcp/status notifications this page asked for. */
  private watched: string | null = null;
  /** Servers with a connect or disconnect under way (their buttons wait). */
  private readonly busy = new Set<string>();

  mount(root: HTMLElement, ctx: PanelContext): void {
    this.ctx = ctx;
    this.root = root;
    root.innerHTML = MARKUP;
    $('mcp-add-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.add();
    });
    // Once edited, the box is no longer the text that was found wrong.
    $('mcp-json').addEventListener('input', () => $('mcp-json').removeAttribute('aria-invalid'));
    $('mcp-json').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) ($('mcp-add-form') as HTMLFormElement).requestSubmit();
    });
    ctx.on('mcp/status', (p: Connection & { sessionId: string }) => {
      if (p.sessionId !== this.ctx.current()?.sessionId) return;
      const { sessionId: _, ...snap } = p;
      const i = this.connections.findIndex((c) => c.name === snap.name);
      if (i === -1) this.connections.push(snap);
      else this.connections[i] = snap;
      this.draw();
    });
  }

  opened(): void {
    void this.refresh();
  }

  connected(): void {
    if (!this.root.hidden) void this.refresh();
  }

  sessionChanged(_s: SessionInfo | null): void {
    // The session shown before need not tell this page about its servers any more.
    if (this.watched) void this.rpc().request('mcp/session_status', { sessionId: this.watched, watch: false }).catch(() => undefined);
    this.watched = null;
    this.connections = [];
    if (!this.root.hidden) void this.refresh();
    else this.draw();
  }

  private rpc() {
    return this.ctx.rpc();
  }

  async refresh(): Promise<void> {
    const session = this.ctx.current();
    try {
      this.servers = (await this.rpc().request<{ servers: ServerEntry[] }>('mcp/servers/list', {})).servers;
      $('mcp-servers-note').textContent = this.servers.length ? '' : 'No MCP servers in mcp.json yet: paste a block below.';
    } catch (err) {
      this.servers = [];
      $('mcp-servers-note').textContent = `MCP servers unavailable: ${(err as Error).message}`;
    }
    if (session) {
      try {
        const res = await this.rpc().request<{ sessionId: string; servers: Connection[] }>('mcp/session_status', { sessionId: session.sessionId, watch: true });
        this.watched = session.sessionId;
        if (res.sessionId === this.ctx.current()?.sessionId) this.connections = res.servers;
      } catch (err) {
        this.connections = [];
        $('mcp-session-note').textContent = `Connections unavailable: ${(err as Error).message}`;
        return this.draw(false);
      }
    } else this.connections = [];
    this.draw();
  }

  private draw(note = true): void {
    const session = this.ctx.current();
    const byName = new Map(this.connections.map((c) => [c.name, c]));
    $('mcp-servers').replaceChildren(...this.servers.map((s) => this.serverRow(s, session, byName.get(s.name))));
    $('mcp-connections').replaceChildren(...this.connections.map((c) => this.connectionRow(c)));
    if (note) {
      $('mcp-session-note').textContent = !session
        ? 'Open a session to connect servers to it.'
        : this.connections.length
          ? ''
          : 'No MCP server is connected to this session.';
    }
  }

  private serverRow(s: ServerEntry, session: SessionInfo | null, conn: Connection | undefined): HTMLElement {
    const live = conn && (conn.status === 'connected' || conn.status === 'connecting');
    const connect = h('button', {
      type: 'button',
      text: live ? 'Connected' : 'Connect',
      'aria-label': `Connect ${s.name} to this session`,
      disabled: !session || live || this.busy.has(s.name),
      onclick: () => void this.connect(s.name),
    });
    const remove = h('button', {
      type: 'button',
      class: 'danger',
      text: 'Remove',
      'aria-label': `Remove ${s.name} from mcp.json`,
      onclick: () => void this.remove(s.name),
    });
    return h(
      'li',
      { 'data-server': s.name },
      h('span', { class: 'mcp-name', text: s.name }),
      h('span', { class: 'mcp-detail note', text: describe(s) }),
      h('span', { class: 'mcp-actions' }, connect, remove),
    );
  }

  private connectionRow(c: Connection): HTMLElement {
    const live = c.status === 'connected' || c.status === 'connecting';
    const inConfig = this.servers.some((s) => s.name === c.name);
    const action = live
      ? h('button', { type: 'button', text: 'Disconnect', 'aria-label': `Disconnect ${c.name}`, disabled: this.busy.has(c.name), onclick: () => void this.disconnect(c.name) })
      : inConfig
        ? h('button', { type: 'button', text: 'Reconnect', 'aria-label': `Reconnect ${c.name}`, disabled: this.busy.has(c.name), onclick: () => void this.connect(c.name) })
        : null;
    const facts = [c.transport, c.pid ? `pid ${c.pid}` : '', c.restarts ? `${c.restarts} restart${c.restarts === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · ');
    const tools = c.tools.length
      ? h(
          'details',
          { class: 'mcp-tools', open: true },
          h('summary', { text: `${c.tools.length} tool${c.tools.length === 1 ? '' : 's'}` }),
          h(
            'ul',
            {},
            ...c.tools.map((t) =>
              h('li', { 'data-tool': t.name, title: t.description ?? '' }, h('code', { text: t.name }), t.description ? h('span', { class: 'note', text: ` ${t.description}` }) : null),
            ),
          ),
        )
      : null;
    return h(
      'li',
      { 'data-connection': c.name, 'data-status': c.status },
      h('span', { class: 'mcp-name', text: c.name }),
      h('span', { class: 'mcp-status', text: c.status }),
      action,
      h('span', { class: 'mcp-detail note', text: facts }),
      c.error ? h('span', { class: 'mcp-error', text: c.error }) : null,
      tools,
    );
  }

  private async connect(name: string): Promise<void> {
    const session = this.ctx.current();
    if (!session) return;
    this.busy.add(name);
    const i = this.connections.findIndex((c) => c.name === name);
    const waiting: Connection = { name, transport: this.servers.find((s) => s.name === name)?.transport ?? '', status: 'connecting', restarts: 0, tools: [] };
    if (i === -1) this.connections.push(waiting);
    else this.connections[i] = waiting;
    this.draw();
    try {
      // Resolves once connected or failed; the snapshot says which (and why).
      await this.rpc().request('mcp/connect', { sessionId: session.sessionId, serverName: name });
    } catch (err) {
      $('mcp-session-note').textContent = `Could not connect ${name}: ${(err as Error).message}`;
    } finally {
      this.busy.delete(name);
    }
    await this.refresh();
  }

  private async disconnect(name: string): Promise<void> {
    const session = this.ctx.current();
    if (!session) return;
    this.busy.add(name);
    try {
      await this.rpc().request('mcp/disconnect', { sessionId: session.sessionId, serverName: name });
    } catch (err) {
      $('mcp-session-note').textContent = `Could not disconnect ${name}: ${(err as Error).message}`;
    } finally {
      this.busy.delete(name);
    }
    await this.refresh();
  }

  private async remove(name: string): Promise<void> {
    if (!confirm(`Remove ${name} from mcp.json? Sessions connected to it stay connected.`)) return;
    try {
      await this.rpc().request('mcp/servers/remove', { serverName: name });
    } catch (err) {
      $('mcp-servers-note').textContent = `Could not remove ${name}: ${(err as Error).message}`;
    }
    await this.refresh();
  }

  private clearErrors(): void {
    $('mcp-json').removeAttribute('aria-invalid');
    $('mcp-json-error').textContent = '';
    $('mcp-field-errors').replaceChildren();
    $('mcp-add-note').textContent = '';
  }

  /** One line per bad field, named as it is in the pasted block: mcpServers.<name>.<field>. */
  private fieldError(server: string, path: (string | number)[], message: string): HTMLElement {
    const [first, ...rest] = path.map(String);
    const where = first === 'name' ? ['mcpServers', JSON.stringify(server)] : ['mcpServers', server, ...rest];
    const at = where.join('.');
    return h('li', { 'data-path': at }, h('code', { text: at }), h('span', { text: ` ${first === 'name' ? `the name: ${message}` : message}` }));
  }

  /**
   * Adds every pasted server, one mcp/servers/add each. Those the daemon took leave the box; the
   * others stay in it with each field's error listed, to be fixed and added again.
   */
  private async add(): Promise<void> {
    const box = $('mcp-json') as HTMLTextAreaElement;
    this.clearErrors();
    const pasted = parsePasted(box.value);
    if (!pasted.ok) {
      box.setAttribute('aria-invalid', 'true');
      $('mcp-json-error').textContent = pasted.message;
      box.focus();
      if (pasted.position !== undefined) box.setSelectionRange(pasted.position, pasted.position);
      return;
    }
    const added: string[] = [];
    const left: PastedServer[] = [];
    const errors: HTMLElement[] = [];
    for (const s of pasted.servers) {
      try {
        await this.rpc().request('mcp/servers/add', { name: s.name, config: s.config });
        added.push(s.name);
      } catch (err) {
        left.push(s);
        const issues = issuesOf(err);
        if (issues.length) errors.push(...issues.map((i) => this.fieldError(s.name, i.path, i.message)));
        else errors.push(h('li', { 'data-path': `mcpServers.${s.name}` }, h('code', { text: `mcpServers.${s.name}` }), h('span', { text: ` ${(err as Error).message}` })));
      }
    }
    $('mcp-field-errors').replaceChildren(...errors);
    // The box keeps only what still needs fixing (and what was added leaves the page, secrets and all).
    box.value = left.length ? unparse(left) : '';
    if (left.length) {
      box.setAttribute('aria-invalid', 'true');
      box.focus();
    }
    if (added.length) $('mcp-add-note').textContent = `Added ${added.join(', ')}.${left.length ? ' The rest stay in the box:' : ''}`;
    await this.refresh();
  }
}

export const mcpPanel = new McpPanel();
