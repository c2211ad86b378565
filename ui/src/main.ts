// Switchboard's browser UI: ACP methods as JSON-RPC over /ws. This file wires the parts together:
// the connection (rpc.ts, connection-banner.ts), the sessions list (sessions.ts, live-states.ts,
// session-form.ts), the open session (open-session.ts, session-actions.ts, chat.ts), prompts
// (permissions.ts) and the side panels (panel-host.ts, panels/).
import './style.css';
import { Chat } from './chat.js';
import { isOffline, showOffline, showOnline } from './connection-banner.js';
import { $ } from './dom.js';
import { LiveStates } from './live-states.js';
import { OpenSession } from './open-session.js';
import { PanelHost } from './panel-host.js';
import { PANELS } from './panels/index.js';
import { Permissions } from './permissions.js';
import { ConnectionLost, Rpc, RpcError } from './rpc.js';
import { bindSessionActions } from './session-actions.js';
import { SessionForm } from './session-form.js';
import { renderSessions, sessionLabel, type SessionInfo, type SessionState } from './sessions.js';
import { keepToken, takeToken } from './token.js';

let rpc: Rpc;
let agent: any = null;
let sessions: SessionInfo[] = [];
/** This page's own prompt is in flight (a turn started elsewhere shows through `live`). */
let prompting = false;

const chat = new Chat();
const permissions = new Permissions(
  () => redraw(),
  (p) => rpc.request('permissions/respond', p),
  (message) => chat.line('error', message),
);
const live = new LiveStates({
  changed: () => redraw(),
  turnEnded(sessionId, stopReason, error) {
    // Only the line under the prompt: the reply's own chunks may still be on their way.
    if (sessionId === open.current?.sessionId && !prompting) endOfTurn(stopReason, error, false);
  },
  answered: (_sid, requestId) => permissions.answered(requestId),
  listChanged: () => refreshSoon(),
});
const open = new OpenSession(chat, permissions, {
  rpc: () => rpc,
  shown: () => showCurrent(),
  turnEnded: (stopReason, error) => endOfTurn(stopReason, error),
  canLoad: () => Boolean(agent?.agentCapabilities?.loadSession),
});
const form = new SessionForm(() => rpc, async (sessionId, view) => {
  await refreshSessions();
  await selectSession(sessions.find((s) => s.sessionId === sessionId) ?? view, false);
});

// Listeners of daemon notifications, by method (the panels' subscriptions).
const listeners = new Map<string, Set<(params: any) => void>>();
const panels = new PanelHost(PANELS, {
  rpc: () => rpc,
  current: () => open.current,
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
    const box = $<HTMLTextAreaElement>('prompt');
    box.value = text;
    box.focus();
    if (send) $<HTMLFormElement>('prompt-form').requestSubmit();
  },
});

function setStatus(text: string, state: string): void {
  $('status').textContent = text;
  document.body.dataset.state = state;
  // When the first screen became usable, from navigation start (bench/ui-first-screen.ts reads it).
  if (state === 'connected' && !performance.getEntriesByName('switchboard:first-screen').length) performance.mark('switchboard:first-screen');
}

const handlers = {
  async open() {
    try {
      const initialized = rpc.request('initialize', {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        clientInfo: { name: 'switchboard-web', title: 'Switchboard web UI', version: '0.3.0' },
      });
      // Sent right behind initialize (answered in order): the first screen waits one round trip, not two.
      const listed = refreshSessions();
      agent = await initialized;
      showOnline();
      await listed;
      setStatus(`connected · ${agent.agentInfo?.name ?? 'agent'} ${agent.agentInfo?.version ?? ''}`.trim(), 'connected');
      showCurrent();
      panels.connected();
      // Every open stream resumes from where it was: the hub feed by its seq, the open session by its own.
      // The open session first: the hub's replay may tell of a turn's end before its last chunks.
      await Promise.all([form.connected(), open.resume().then(() => live.connected(rpc))]);
      showCurrent();
    } catch (err) {
      if (!(err instanceof ConnectionLost)) setStatus(`initialize failed: ${(err as Error).message}`, 'error');
    }
  },
  close(why: string, delay: number) {
    permissions.withdrawAll();
    prompting = false;
    setStatus(`offline: ${why}`, 'disconnected');
    showOffline(why, delay);
    panels.disconnected();
    showCurrent();
  },
  notification(method: string, params: any) {
    for (const listener of listeners.get(method) ?? []) {
      try {
        listener(params);
      } catch (err) {
        console.error(`a panel failed on ${method}:`, err);
      }
    }
    if (method === 'hub/event') live.event(params);
    else if (method === 'session/update') open.notified(params);
  },
  async serverRequest(id: number | string, method: string, params: any) {
    if (method !== 'session/request_permission') throw new RpcError(`${method} is not supported by this page`, -32601);
    return permissions.ask(id, params);
  },
  withdrawn: (id: number | string) => permissions.withdraw(id),
};

// --- sessions ------------------------------------------------------------------------------
function stateOf(s: SessionInfo): SessionState {
  if (permissions.waiting().has(s.sessionId)) return 'waiting';
  if (prompting && s.sessionId === open.current?.sessionId) return 'running';
  return live.state(s.sessionId) ?? (s.turnActive ? 'running' : 'idle');
}

function drawSessions(): void {
  const filter = $<HTMLInputElement>('filter').value;
  $('sessions-note').textContent = sessions.length ? '' : 'No sessions yet: create one above.';
  renderSessions(sessions, { current: open.current?.sessionId, filter, stateOf, select: (s) => void selectSession(s, true) });
}

async function refreshSessions(): Promise<void> {
  try {
    const res = await rpc.request('session/list', {});
    sessions = res.sessions ?? [];
    const mine = open.current && sessions.find((s) => s.sessionId === open.current!.sessionId);
    if (mine) Object.assign(open.current!, { title: mine.title, mode: mine.mode, updatedAt: mine.updatedAt });
    form.sessionsChanged(sessions);
    drawSessions();
    showCurrent();
  } catch (err) {
    if (err instanceof ConnectionLost) return; // the banner says so; the list stays, marked stale
    $('sessions-note').textContent = `Sessions unavailable: ${(err as Error).message}`;
  }
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Hub events come in bursts (a turn's end, many sessions): one re-read for a burst. */
function refreshSoon(): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refreshSessions(), 150);
}

function busy(): boolean {
  const s = open.current;
  return prompting || (s !== null && stateOf(s) !== 'idle');
}

function redraw(): void {
  drawSessions();
  showCurrent();
}

function showCurrent(): void {
  const s = open.current;
  const offline = isOffline();
  if (!$('rename-form').hidden && !s) $('rename-form').hidden = true;
  $('session-title').textContent = s ? `${sessionLabel(s)} · ${s.cwd ?? ''}` : 'No session selected.';
  $('session-title').title = s?.sessionId ?? '';
  for (const id of ['mode', 'rename', 'fork', 'clear', 'delete']) $<HTMLButtonElement>(id).disabled = !s || offline;
  if (s?.mode) $<HTMLSelectElement>('mode').value = s.mode;
  const on = busy();
  $<HTMLTextAreaElement>('prompt').disabled = !s || offline;
  $<HTMLButtonElement>('send').disabled = on || !s || offline;
  $<HTMLButtonElement>('cancel').disabled = !on || offline;
  if (on && !$('turn-state').textContent?.startsWith('working')) $('turn-state').textContent = 'working…';
  document.body.classList.toggle('running', on);
}

async function selectSession(s: SessionInfo | null, load: boolean): Promise<void> {
  // select() makes `s` the current session before its first await: the panels then see it as current.
  const loading = open.select(s, load);
  panels.sessionChanged(s);
  drawSessions();
  await loading;
}

function endOfTurn(stopReason: string | undefined, error: { message: string } | undefined, closeReply = true): void {
  if (closeReply) chat.break();
  $('turn-state').textContent = error ? `turn failed: ${error.message}` : `turn ended: ${stopReason}`;
  showCurrent();
}

$('filter').oninput = () => drawSessions();

bindSessionActions(chat, open, {
  rpc: () => rpc,
  refreshSessions,
  find: (id) => sessions.find((s) => s.sessionId === id),
  open: (s, load) => selectSession(s, load),
});

// --- turns ---------------------------------------------------------------------------------
$('prompt-form').onsubmit = async (e) => {
  e.preventDefault();
  const box = $<HTMLTextAreaElement>('prompt');
  const text = box.value.trim();
  const s = open.current;
  if (!text || !s || busy() || isOffline()) return;
  box.value = '';
  chat.line('user', text);
  prompting = true;
  $('turn-state').textContent = 'working…';
  redraw();
  try {
    const res = await rpc.request('session/prompt', { sessionId: s.sessionId, prompt: [{ type: 'text', text }] });
    prompting = false;
    if (open.current === s) endOfTurn(res.stopReason, undefined);
  } catch (err) {
    prompting = false;
    // A dropped connection does not end the turn: it runs on, and the page resumes it on reconnect.
    if (err instanceof ConnectionLost) return;
    chat.line('error', (err as Error).message);
    $('turn-state').textContent = 'turn failed';
  } finally {
    redraw();
    refreshSoon();
  }
};

$('prompt').onkeydown = (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $<HTMLFormElement>('prompt-form').requestSubmit();
};

const cancel = () => {
  if (open.current && busy()) rpc.notify('session/cancel', { sessionId: open.current.sessionId });
};
$('cancel').onclick = cancel;
// Escape cancels the running turn from anywhere on the page.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') cancel();
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
  const token = $<HTMLInputElement>('token-input').value.trim();
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
