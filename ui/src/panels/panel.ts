// The contract between the page and each side panel (profiles, MCP, rules, hub, logs, files…).
// A panel is one file (plus its own .css) under ui/src/panels/, listed once in index.ts. It draws
// into the element it is given and talks to the daemon only through the context: it never
// reaches into another panel or into main.ts.
import type { Rpc } from '../rpc.js';
import type { SessionInfo } from '../sessions.js';

export interface PanelContext {
  /** The live connection; its requests reject with 'not connected' while the page is offline. */
  rpc(): Rpc;
  /** The session open in the chat, if any. */
  current(): SessionInfo | null;
  /** Hears every notification with this method from the daemon; returns the unsubscribe. */
  on(method: string, listener: (params: any) => void): () => void;
  /** Opens a session in the chat (as a click in the sessions list would). */
  openSession(sessionId: string): Promise<void>;
  /** Re-reads the sessions list (after a panel created, renamed or deleted one). */
  refreshSessions(): Promise<void>;
  /** Puts text into the prompt box (voice, file mentions), focusing it; `send` submits it. */
  setPrompt(text: string, send?: boolean): void;
}

export interface Panel {
  /** Lower-case, used for element ids: the tab is #tab-<id>, the view #<id>-panel. */
  readonly id: string;
  readonly title: string;
  /** Called once, before the page connects: build the panel's DOM inside `root`. */
  mount(root: HTMLElement, ctx: PanelContext): void;
  /** The tab was opened (refresh what is shown). */
  opened?(): void;
  /** The page (re)connected; called for every panel, open or not. */
  connected?(): void;
  /** The page lost its connection (the offline banner is up); called for every panel. */
  disconnected?(): void;
  /** Another session is open in the chat (or none). */
  sessionChanged?(session: SessionInfo | null): void;
}
