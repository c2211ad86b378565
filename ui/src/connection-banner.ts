// Says plainly when the page is offline: a banner (role=alert) with the reason and the next try,
// the prompt disabled, the sessions list marked as possibly out of date. Cleared on reconnect.
import { $ } from './dom.js';

let timer: ReturnType<typeof setInterval> | undefined;

export function showOffline(why: string, retryInMs: number): void {
  const banner = $('offline-banner');
  const until = Date.now() + retryInMs;
  const draw = () => {
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    banner.textContent = `Offline: ${why}. ${s > 0 ? `Reconnecting in ${s} s…` : 'Reconnecting…'} What you see may be out of date; nothing streamed meanwhile is lost, it is shown once the page is back.`;
  };
  clearInterval(timer);
  draw();
  timer = setInterval(draw, 1000);
  banner.hidden = false;
  document.body.classList.add('offline');
  $('sessions-panel').classList.add('stale');
  $('sessions').setAttribute('aria-busy', 'true');
  $('sessions-stale').hidden = false;
}

export function showOnline(): void {
  clearInterval(timer);
  timer = undefined;
  $('offline-banner').hidden = true;
  document.body.classList.remove('offline');
  $('sessions-panel').classList.remove('stale');
  $('sessions').removeAttribute('aria-busy');
  $('sessions-stale').hidden = true;
}

/** True while the page has no connection (the prompt stays disabled meanwhile). */
export const isOffline = (): boolean => document.body.classList.contains('offline');
