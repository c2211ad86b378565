// The sessions list: title, workspace and state (idle / running / waiting for approval), with a
// filter. Selecting one is the app's business (main.ts); this file only draws.
import { $, h } from './dom.js';

export interface SessionInfo {
  sessionId: string;
  cwd: string;
  title?: string | null;
  mode?: string;
  profile?: string;
  turnActive?: boolean;
  updatedAt?: string;
  lastSeq?: number;
}

export type SessionState = 'idle' | 'running' | 'waiting';
const LABEL: Record<SessionState, string> = { idle: 'idle', running: 'running', waiting: 'waiting for approval' };

export function sessionLabel(s: SessionInfo): string {
  return s.title || `Session ${s.sessionId.slice(0, 8)}`;
}

export function renderSessions(
  sessions: SessionInfo[],
  opts: { current?: string; filter: string; stateOf: (s: SessionInfo) => SessionState; select: (s: SessionInfo) => void },
): void {
  const q = opts.filter.trim().toLowerCase();
  const shown = q ? sessions.filter((s) => `${s.title ?? ''} ${s.cwd} ${s.sessionId}`.toLowerCase().includes(q)) : sessions;
  $('sessions').replaceChildren(
    ...shown.map((s) => {
      const st = opts.stateOf(s);
      const b = h(
        'button',
        { type: 'button', title: s.sessionId, 'data-session-id': s.sessionId, 'aria-current': String(s.sessionId === opts.current), onclick: () => opts.select(s) },
        h('span', { class: 'session-title', text: sessionLabel(s) }),
        // The path's tail matters most: clipped from the left (rtl box), the path itself kept left-to-right.
        h('span', { class: 'session-cwd' }, h('bdi', { text: s.cwd })),
        h('span', { class: `session-state state-${st}`, text: LABEL[st] }),
      );
      return h('li', {}, b);
    }),
  );
  if (q && !shown.length) $('sessions-note').textContent = 'No session matches.';
}
