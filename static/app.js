// Switchboard's browser UI: JSON-RPC over /ws (ACP methods), no build step, no framework.
// The token arrives in the URL fragment (#token=…), which browsers never send to a server; it
// is kept in sessionStorage and removed from the address bar at once.

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'switchboard.token';
const state = {
  token: null, ws: null, nextId: 1, pending: new Map(), agent: null, sessions: [], current: null, running: false, retries: 0,
  // The server's open requests to this page (permission prompts), by JSON-RPC id, so it can withdraw them.
  asked: new Map(),
  // The seq of the last event of the open session shown, to resume from after a reconnect.
  lastSeq: 0,
  // While resuming: live updates that arrive before the missed ones are shown (null otherwise).
  held: null,
};
const view = { agentMsg: null, thought: null, user: null, tools: new Map() };

function takeToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function setStatus(text, s) {
  $('status').textContent = text;
  if (s) document.body.dataset.state = s;
}

// --- JSON-RPC over WebSocket -------------------------------------------------------------
function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // Browsers cannot set headers on a WebSocket: the token rides in a subprotocol entry.
  const ws = new WebSocket(`${scheme}://${location.host}/ws`, ['switchboard.jsonrpc', `bearer.${state.token}`]);
  state.ws = ws;
  setStatus('connecting…', 'connecting');
  ws.onopen = () => void onOpen();
  ws.onmessage = (e) => onFrame(e.data);
  ws.onclose = (e) => onClose(e);
}

function send(message) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function request(method, params) {
  const id = state.nextId++;
  return new Promise((resolve, reject) => {
    state.pending.set(id, { resolve, reject });
    send({ jsonrpc: '2.0', id, method, params });
  });
}

function notify(method, params) {
  send({ jsonrpc: '2.0', method, params });
}

function onFrame(text) {
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return;
  }
  if (m.method && m.id !== undefined) return void onServerRequest(m);
  // The server withdraws a question another client answered (LSP and ACP spell it differently).
  if (m.method === '$/cancelRequest' || m.method === '$/cancel_request') return withdraw(m.params?.id ?? m.params?.requestId);
  if (m.method) return onNotification(m.method, m.params);
  const p = state.pending.get(m.id);
  if (!p) return;
  state.pending.delete(m.id);
  if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
  else p.resolve(m.result);
}

async function onServerRequest(m) {
  try {
    if (m.method !== 'session/request_permission') throw Object.assign(new Error(`${m.method} is not supported by this page`), { code: -32601 });
    const result = await askPermission(m.id, m.params);
    send({ jsonrpc: '2.0', id: m.id, result });
  } catch (err) {
    send({ jsonrpc: '2.0', id: m.id, error: { code: err.code ?? -32603, message: err.message } });
  }
}

async function onOpen() {
  state.retries = 0;
  try {
    const init = await request('initialize', {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'switchboard-web', title: 'Switchboard web UI', version: '0.1.0' },
    });
    state.agent = init;
    setStatus(`connected · ${init.agentInfo?.name ?? 'agent'} ${init.agentInfo?.version ?? ''}`.trim(), 'connected');
    await refreshSessions();
    if (state.current) await resumeSession(state.current);
  } catch (err) {
    setStatus(`initialize failed: ${err.message}`, 'error');
  }
}

/**
 * After a reconnect: attach again to the open session (session/load; its history is already on
 * the page, so the replay is not shown) and show what was missed, from the last seq seen
 * (session/events). Live updates that come meanwhile wait, so the page stays in seq order. When
 * the missed events were evicted (-32009), the page reloads the whole history instead.
 */
async function resumeSession(s) {
  state.held = [];
  try {
    await request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
    const missed = await request('session/events', { sessionId: s.sessionId, after: state.lastSeq });
    for (const e of missed.events ?? []) if (e.type === 'update') onUpdate({ sessionId: s.sessionId, update: e.update, _meta: { seq: e.seq } });
  } catch (err) {
    if (err.code !== -32009) line('error', `could not resume the session: ${err.message}`);
    else {
      state.held = null;
      return selectSession(s, true);
    }
  }
  const held = state.held;
  state.held = null;
  for (const params of held) onUpdate(params);
}

function onClose(e) {
  for (const p of state.pending.values()) p.reject(new Error('disconnected'));
  state.pending.clear();
  // Questions asked on the old connection can no longer be answered there.
  for (const id of [...state.asked.keys()]) withdraw(id);
  setRunning(false);
  const why =
    e.code === 4008 ? 'this page fell behind and was dropped' : e.code === 1001 ? 'the daemon stopped' : `connection lost (${e.code})`;
  const delay = Math.min(10000, 500 * 2 ** state.retries++);
  setStatus(`${why}; reconnecting in ${Math.round(delay / 1000)} s…`, 'disconnected');
  setTimeout(connect, delay);
}

// --- sessions ------------------------------------------------------------------------------
async function refreshSessions() {
  const note = $('sessions-note');
  try {
    const res = await request('session/list', {});
    state.sessions = res.sessions ?? [];
    note.textContent = state.sessions.length ? '' : 'No sessions yet.';
  } catch (err) {
    state.sessions = [];
    note.textContent = `Sessions unavailable: ${err.message}`;
  }
  const list = $('sessions');
  list.replaceChildren(
    ...state.sessions.map((s) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = s.title || `${s.sessionId.slice(0, 8)} · ${s.cwd ?? ''}`;
      b.title = s.sessionId;
      b.dataset.sessionId = s.sessionId;
      b.setAttribute('aria-current', String(s.sessionId === state.current?.sessionId));
      b.onclick = () => void selectSession(s, true);
      li.append(b);
      return li;
    }),
  );
}

async function selectSession(s, load) {
  state.current = s;
  state.lastSeq = 0;
  resetLog();
  $('session-title').textContent = `Session ${s.sessionId} · ${s.cwd ?? ''}`;
  $('prompt').disabled = false;
  $('send').disabled = false;
  for (const b of $('sessions').querySelectorAll('button')) b.setAttribute('aria-current', String(b.dataset.sessionId === s.sessionId));
  if (load && state.agent?.agentCapabilities?.loadSession) {
    try {
      await request('session/load', { sessionId: s.sessionId, cwd: s.cwd, mcpServers: [] });
      // The replayed history carries no seq: a later resume starts after the session's last one.
      const info = await request('session/get', { sessionId: s.sessionId });
      state.lastSeq = Math.max(state.lastSeq, info.lastSeq ?? 0);
    } catch (err) {
      line('error', `could not load the session: ${err.message}`);
    }
  }
}

$('new-session').onsubmit = async (e) => {
  e.preventDefault();
  const cwd = $('cwd').value.trim();
  try {
    const res = await request('session/new', { cwd, mcpServers: [] });
    await refreshSessions();
    await selectSession({ sessionId: res.sessionId, cwd }, false);
  } catch (err) {
    $('sessions-note').textContent = `Could not create a session: ${err.message}`;
  }
};

// --- the conversation ------------------------------------------------------------------------
function resetLog() {
  $('log').replaceChildren();
  $('permissions').replaceChildren();
  view.agentMsg = view.thought = view.user = null;
  view.tools.clear();
}

function line(kind, text) {
  const div = document.createElement('div');
  div.className = `msg ${kind}`;
  div.textContent = text;
  $('log').append(div);
  $('log').scrollTop = $('log').scrollHeight;
  return div;
}

/** Appends streamed text to the current message of that kind, starting one when the kind changes. */
function stream(kind, text) {
  const key = kind === 'agent' ? 'agentMsg' : kind === 'thought' ? 'thought' : 'user';
  if (!view[key]) {
    view.agentMsg = view.thought = view.user = null;
    view[key] = line(kind, '');
  }
  view[key].textContent += text;
  $('log').scrollTop = $('log').scrollHeight;
}

function textOf(content) {
  if (!content) return '';
  if (content.type === 'text') return content.text;
  return `[${content.type}]`;
}

function onNotification(method, params) {
  if (method !== 'session/update' || params?.sessionId !== state.current?.sessionId) return;
  if (state.held) {
    // Resuming: the history replayed by session/load is on the page already; live ones wait.
    if (!params._meta?.replay) state.held.push(params);
    return;
  }
  onUpdate(params);
}

function onUpdate(params) {
  const seq = params._meta?.seq;
  if (typeof seq === 'number') {
    if (seq <= state.lastSeq) return; // seen before the reconnect
    state.lastSeq = seq;
  }
  const u = params.update;
  switch (u.sessionUpdate) {
    case 'agent_message_chunk':
      return stream('agent', textOf(u.content));
    case 'agent_thought_chunk':
      return stream('thought', textOf(u.content));
    case 'user_message_chunk':
      return stream('user', textOf(u.content));
    case 'tool_call': {
      view.agentMsg = view.thought = view.user = null;
      const el = line('tool', '');
      view.tools.set(u.toolCallId, { el, title: u.title ?? u.toolCallId, status: u.status ?? 'pending' });
      return renderTool(u.toolCallId);
    }
    case 'tool_call_update': {
      const t = view.tools.get(u.toolCallId);
      if (!t) return;
      if (u.title) t.title = u.title;
      if (u.status) t.status = u.status;
      return renderTool(u.toolCallId);
    }
    default:
      return undefined;
  }
}

function renderTool(id) {
  const t = view.tools.get(id);
  t.el.textContent = `⚙ ${t.title} — ${t.status}`;
}

/** Closes a prompt the server withdrew (answered elsewhere, cancelled, timed out). */
function withdraw(id) {
  const asked = state.asked.get(id);
  if (!asked) return;
  state.asked.delete(id);
  asked.box.remove();
  asked.resolve({ outcome: { outcome: 'cancelled' } });
}

function askPermission(id, params) {
  return new Promise((resolve) => {
    const box = document.createElement('div');
    box.className = 'permission';
    box.dataset.requestId = String(id);
    state.asked.set(id, { box, resolve });
    const label = document.createElement('span');
    // A shell call's title is the bare command (as ACP editors show it); the page says what it does.
    const title = params.toolCall?.title ?? 'this tool call';
    label.textContent = `Allow ${params.toolCall?.kind === 'execute' && params.toolCall?.title ? `Run \`${title}\`` : title}?`;
    box.append(label);
    // The whole of what will run (the server escapes control characters), never just the title.
    const detail = document.createElement('pre');
    detail.className = 'permission-detail';
    const texts = (params.toolCall?.content ?? []).filter((c) => c.type === 'content' && c.content?.type === 'text').map((c) => c.content.text);
    detail.textContent = texts.length ? texts.join('\n') : JSON.stringify(params.toolCall?.rawInput ?? {}, null, 2);
    box.append(detail);
    for (const option of params.options ?? []) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = option.name;
      b.dataset.optionId = option.optionId;
      b.dataset.kind = option.kind;
      b.onclick = () => {
        state.asked.delete(id);
        box.remove();
        resolve({ outcome: { outcome: 'selected', optionId: option.optionId } });
      };
      box.append(b);
    }
    $('permissions').append(box);
  });
}

function setRunning(running) {
  state.running = running;
  $('send').disabled = running || !state.current;
  $('cancel').disabled = !running;
  $('turn-state').textContent = running ? 'working…' : $('turn-state').textContent;
}

$('prompt-form').onsubmit = async (e) => {
  e.preventDefault();
  const text = $('prompt').value.trim();
  if (!text || !state.current || state.running) return;
  $('prompt').value = '';
  view.agentMsg = view.thought = view.user = null;
  line('user', text);
  setRunning(true);
  try {
    const res = await request('session/prompt', { sessionId: state.current.sessionId, prompt: [{ type: 'text', text }] });
    $('turn-state').textContent = `turn ended: ${res.stopReason}`;
  } catch (err) {
    line('error', err.message);
    $('turn-state').textContent = 'turn failed';
  } finally {
    setRunning(false);
  }
};

$('prompt').onkeydown = (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('prompt-form').requestSubmit();
};

$('cancel').onclick = () => {
  if (state.current) notify('session/cancel', { sessionId: state.current.sessionId });
};

$('token-form').onsubmit = (e) => {
  e.preventDefault();
  state.token = $('token-input').value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  start();
};

function start() {
  $('no-token').hidden = true;
  $('app').hidden = false;
  connect();
}

state.token = takeToken();
if (state.token) start();
else {
  $('no-token').hidden = false;
  setStatus('no token', 'no-token');
}

// The offline shell (static/sw.js): it caches the page, never an API answer.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker?.register('/sw.js').catch(() => { /* a private window may refuse it */ });
}
