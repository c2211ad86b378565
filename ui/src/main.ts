// Switchboard's browser UI: ACP methods as JSON-RPC over /ws. This file wires the parts together:
// connection (rpc.ts), sessions list (sessions.ts), conversation (chat.ts), prompts (permissions.ts).
import "./style.css";
import { Chat } from './chat.js';
import { $ } from './dom.js';
import { Permissions } from './permissions.js';
import { PanelHost } from './panel-host.js';
import { PANELS } from './panels/index.js';
import { Rpc, RpcError } from './rpc.js';
import { renderSessions, sessionLabel, type SessionInfo, type SessionState } from './sessions.js';
import { keepToken, takeToken } from './token.js';

const chat = new Chat();
const permissions = new Permissions(() => drawSessions());
let rpc: Rpc;
// Listeners of daemon notifications, by method (the panels' subscriptions).
const listeners = new Map<string, Set<(params: any) => void>>();
const panels = new PanelHost(PANELS, {
  rpc: () => rpc,
  current: () => current,
  on(method, listener) {
    if (!listeners.has(method)) listeners.set(method, new Set());
    listeners.get(method)!.add(listener);
    return () => listeners.get(method)?.delete(listener);
  },
  async openSession(sessionId) {
    await refreshSessions();
    const s = sessions.find((x) => x.sessionId === sessionId);
    if (s) await selectSession(s, true);
  },
  refreshSessions: () => refreshSessions(),
  setPrompt(text, send) {
    const box = $('prompt') as HTMLTextAreaElement;
    box.value = text;
    box.focus();
    if (send) ($('prompt-form') as HTMLFormElement).requestSubmit();
  },
});
let agent: any = null;
let sessions: SessionInfo[] = [];
let current: SessionInfo | null = null;
let running = false;
// The seq of the last event of the open session shown, to resume from after a reconnect.
let lastSeq = 0;
// While resuming: live updates that arrive before the missed ones are shown (null otherwise).
let held: any[] | null = null;

function setStatus(text: string, state?: string): void {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
}

const handlers = {
  async open() {
    try {
      agent = await rpc.request('initialize', {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        clientInfo: { name: 'switchboard-web', title: 'Switchboard web UI', version: '0.2.0' },
      });
      setStatus(`connected · ${agent.agentInfo?.name ?? 'agent'} ${agent.agentInfo?.version ?? ''}`.trim(), 'connected');
      await refreshSessions();
      panels.connected();
      if (current) await resumeSession(current);
    } catch (err) {
      setStatus(`initialize failed: ${(err as Error).message}`, 'error');
    }
  },
  close(why: string, delay: number) {
    permissions.withdrawAll();
    setRunning(false);
    setStatus(`${why}; reconnecting in ${Math.round(delay / 1000)} s…`, 'disconnected');
  },
  notification(method: string, params: any) {
    for (const listener of listeners.get(method) ?? []) {
      try {
        listener(params);
      } catch (err) {
        console.error(`a panel failed on ${method}:`, err);
      }
    }
    if (method !== 'session/update' || params?.sessionId !== current?.sessionId) return;
    if (held) {
      // Resuming: the history replayed by session/load is on the page already; live ones wait.
      if (!params._meta?.replay) held.push(params);
      return;
    }
    onUpdate(params);
  },
  async serverRequest(id: number | string, method: string, params: any) {
    if (method !== 'session/request_permission') throw new RpcError(`${method} is not supported by this page`, -32601);
    return permissions.ask(id, params);
  },
  withdrawn: (id: number | string) => permissions.withdraw(id),
};

function onUpdate(params: any): void {
  const seq = params._meta?.seq;
  if (typeof seq === 'number') {
    if (seq <= lastSeq) return; // seen before the reconnect
    lastSeq = seq;
  }
  const u = params.update;
  if (u.sessionUpdate === 'current_mode_update' && current) {
    current.mode = u.currentModeId;
    ($('mode') as HTMLSelectElement).value = u.currentModeId;
  }
  chat.onUpdate(u);
}

// --- sessions ------------------------------------------------------------------------------
function stateOf(s: SessionInfo): SessionState {
  if (permissions.waiting().has(s.sessionId)) return 'waiting';
  if (s.turnActive || (running && s.sessionId === current?.sessionId)) return 'running';
  return 'idle';
}

function drawSessions(): void {
  const filter = ($('filter') as HTMLInputElement).value;
  $('sessions-note').textContent = sessions.length ? '' : 'No sessions yet.';
  renderSessions(sessions, { current: current?.sessionId, filter, stateOf, select: (s) => void selectSession(s, true) });
}

async function refreshSessions(): Promise<void> {
  try {
    const res = await rpc.request('session/list', {});
    sessions = res.sessions ?? [];
    drawSessions();
  } catch (err) {
    sessions = [];
    drawSessions();
    $('sessions-note').textContent = `Sessions unavailable: ${(err as Error).message}`;
  }
}

function showCurrent(): void {
  const has = current !== null;
  $('session-title').textContent = current ? `${sessionLabel(current)} · ${current.cwd ?? ''}` : 'No session selected.';
  $('session-title').title = current?.sessionId ?? '';
  for (const id of ['prompt', 'send', 'mode', 'fork', 'clear', 'delete']) ($(id) as HTMLButtonElement).disabled = !has;
  if (current?.mode) ($('mode') as HTMLSelectElement).value = current.mode;
  setRunning(running);
}

async function selectSession(s: SessionInfo, load: boolean): Promise<void> {
  current = s;
  panels.sessionChanged(s);
  lastSeq = 0;
  chat.reset();
  $('turn-state').textContent = ''; // the last turn's end belonged to the session shown before
  showCurrent();
  drawSessions();
  if (load && agent?.agentCapabilities?.loadSession) {
    try {
      await rpc.request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
      // The replayed history carries no seq: a later resume starts after the session's last one.
      const info = await rpc.request('session/get', { sessionId: s.sessionId });
      lastSeq = Math.max(lastSeq, info.lastSeq ?? 0);
      Object.assign(s, info);
      chat.break();
      showCurrent();
    } catch (err) {
      chat.line('error', `could not load the session: ${(err as Error).message}`);
    }
  }
}

/**
 * After a reconnect: attach again to the open session (session/load; its history is already on
 * the page, so the replay is not shown) and show what was missed, from the last seq seen
 * (session/events). Live updates that come meanwhile wait, so the page stays in seq order. When
 * the missed events were evicted (-32009), the page reloads the whole history instead.
 */
async function resumeSession(s: SessionInfo): Promise<void> {
  held = [];
  try {
    await rpc.request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
    const missed = await rpc.request('session/events', { sessionId: s.sessionId, after: lastSeq });
    for (const e of missed.events ?? []) if (e.type === 'update') onUpdate({ sessionId: s.sessionId, update: e.update, _meta: { seq: e.seq } });
  } catch (err) {
    if ((err as RpcError).code !== -32009) chat.line('error', `could not resume the session: ${(err as Error).message}`);
    else {
      held = null;
      return selectSession(s, true);
    }
  }
  const waiting = held;
  held = null;
  for (const params of waiting) onUpdate(params);
}

$('new-session').onsubmit = async (e) => {
  e.preventDefault();
  const cwd = ($('cwd') as HTMLInputElement).value.trim();
  const title = ($('new-title') as HTMLInputElement).value.trim();
  try {
    // No workspace given: the daemon makes one under $SWITCHBOARD_HOME/workspaces/<id>.
    const res = await rpc.request('session/new', { ...(cwd ? { cwd } : {}), ...(title ? { title } : {}), mcpServers: [] });
    ($('new-title') as HTMLInputElement).value = '';
    await refreshSessions();
    await selectSession(sessions.find((s) => s.sessionId === res.sessionId) ?? { sessionId: res.sessionId, cwd: res.cwd ?? cwd, mode: res.modes?.currentModeId }, false);
  } catch (err) {
    $('sessions-note').textContent = `Could not create a session: ${(err as Error).message}`;
  }
};

$('filter').oninput = () => drawSessions();

async function act(what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    chat.line('error', `${what} failed: ${(err as Error).message}`);
  }
}

$('fork').onclick = () =>
  void act('fork', async () => {
    const res = await rpc.request('session/fork', { sessionId: current!.sessionId, title: `${sessionLabel(current!)} (fork)` });
    await refreshSessions();
    await selectSession(sessions.find((s) => s.sessionId === res.sessionId) ?? res, true);
  });

$('clear').onclick = () =>
  void act('clear', async () => {
    if (!confirm('Clear this session’s history? The system prompt stays.')) return;
    await rpc.request('session/clear', { sessionId: current!.sessionId });
    chat.reset();
    chat.line('note', 'History cleared.');
  });

$('delete').onclick = () =>
  void act('delete', async () => {
    if (!confirm(`Delete ${sessionLabel(current!)} and its log?`)) return;
    await rpc.request('session/delete', { sessionId: current!.sessionId });
    current = null;
    panels.sessionChanged(null);
    chat.reset();
    $('turn-state').textContent = '';
    showCurrent();
    await refreshSessions();
  });

$('mode').onchange = () =>
  void act('mode switch', async () => {
    const modeId = ($('mode') as HTMLSelectElement).value;
    await rpc.request('session/set_mode', { sessionId: current!.sessionId, modeId });
    current!.mode = modeId;
  });

// --- turns ---------------------------------------------------------------------------------
function setRunning(on: boolean): void {
  running = on;
  ($('send') as HTMLButtonElement).disabled = on || !current;
  ($('cancel') as HTMLButtonElement).disabled = !on;
  if (on) $('turn-state').textContent = 'working…';
  document.body.classList.toggle('running', on);
}

$('prompt-form').onsubmit = async (e) => {
  e.preventDefault();
  const box = $('prompt') as HTMLTextAreaElement;
  const text = box.value.trim();
  if (!text || !current || running) return;
  box.value = '';
  chat.line('user', text);
  setRunning(true);
  drawSessions();
  try {
    const res = await rpc.request('session/prompt', { sessionId: current.sessionId, prompt: [{ type: 'text', text }] });
    chat.break();
    $('turn-state').textContent = `turn ended: ${res.stopReason}`;
  } catch (err) {
    chat.line('error', (err as Error).message);
    $('turn-state').textContent = 'turn failed';
  } finally {
    setRunning(false);
    void refreshSessions();
  }
};

$('prompt').onkeydown = (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) ($('prompt-form') as HTMLFormElement).requestSubmit();
};

$('cancel').onclick = () => {
  if (current) rpc.notify('session/cancel', { sessionId: current.sessionId });
};

// Escape cancels the running turn from anywhere on the page.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running && current) rpc.notify('session/cancel', { sessionId: current.sessionId });
});

// --- start ---------------------------------------------------------------------------------
function start(token: string): void {
  $('no-token').hidden = true;
  $('app').hidden = false;
  rpc = new Rpc(token, handlers);
  setStatus('connecting…', 'connecting');
  rpc.connect();
}

$('token-form').onsubmit = (e) => {
  e.preventDefault();
  const token = ($('token-input') as HTMLInputElement).value.trim();
  keepToken(token);
  start(token);
};

const token = takeToken();
if (token) start(token);
else {
  $('no-token').hidden = false;
  setStatus('no token', 'no-token');
}

// The offline shell (static/sw.js): it caches the page, never an API answer.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker?.register('/sw.js').catch(() => {
    /* a private window may refuse it */
  });
}
