// What can be done to the open session from its header: rename (inline form), fork, clear,
// delete, and the approval mode.
import type { Chat } from './chat.js';
import { $ } from './dom.js';
import type { OpenSession } from './open-session.js';
import type { Rpc } from './rpc.js';
import { sessionLabel, type SessionInfo } from './sessions.js';

export interface ActionHooks {
  rpc(): Rpc;
  refreshSessions(): Promise<void>;
  find(sessionId: string): SessionInfo | undefined;
  /** Opens a session (after fork) or none (after delete). */
  open(s: SessionInfo | null, load: boolean): Promise<void>;
}

export function bindSessionActions(chat: Chat, open: OpenSession, hooks: ActionHooks): void {
  const current = () => open.current!;
  const act = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      chat.line('error', `${what} failed: ${(err as Error).message}`);
    }
  };

  const renameForm = $<HTMLFormElement>('rename-form');
  const renameInput = $<HTMLInputElement>('rename-input');
  const closeRename = () => {
    renameForm.hidden = true;
    $('session-title').hidden = false;
    $('rename').focus();
  };
  $('rename').onclick = () => {
    renameInput.value = current().title ?? '';
    $('rename-error').textContent = '';
    renameForm.hidden = false;
    $('session-title').hidden = true;
    renameInput.focus();
    renameInput.select();
  };
  $('rename-cancel').onclick = closeRename;
  renameInput.oninput = () => ($('rename-error').textContent = '');
  renameInput.onkeydown = (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation(); // Escape closes the form here; it must not cancel a running turn
      closeRename();
    }
  };
  renameForm.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const view = await hooks.rpc().request('session/rename', { sessionId: current().sessionId, title: renameInput.value });
      current().title = view.title;
      closeRename();
      await hooks.refreshSessions();
    } catch (err) {
      // The daemon's own words (e.g. an empty title) beside the field.
      $('rename-error').textContent = (err as any).data?.issues?.[0]?.message ?? (err as Error).message;
    }
  };

  $('fork').onclick = () =>
    void act('fork', async () => {
      const res = await hooks.rpc().request('session/fork', { sessionId: current().sessionId, title: `${sessionLabel(current())} (fork)` });
      await hooks.refreshSessions();
      await hooks.open(hooks.find(res.sessionId) ?? res, true);
    });

  $('clear').onclick = () =>
    void act('clear', async () => {
      if (!confirm('Clear this session’s history? The system prompt stays.')) return;
      await hooks.rpc().request('session/clear', { sessionId: current().sessionId });
      chat.reset();
      chat.line('note', 'History cleared.');
    });

  $('delete').onclick = () =>
    void act('delete', async () => {
      if (!confirm(`Delete ${sessionLabel(current())} and its log?`)) return;
      await hooks.rpc().request('session/delete', { sessionId: current().sessionId });
      await hooks.open(null, false);
      await hooks.refreshSessions();
    });

  $<HTMLSelectElement>('mode').onchange = () =>
    void act('mode switch', async () => {
      const modeId = $<HTMLSelectElement>('mode').value;
      await hooks.rpc().request('session/set_mode', { sessionId: current().sessionId, modeId });
      current().mode = modeId;
    });
}
