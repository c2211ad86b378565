import type { Page, WebSocketRoute } from 'playwright-core';

/** A page's `/ws` through a route the test can cut and hold down, to drop and restore its connection. */
export interface WsCut {
  /** Connections the page made so far. */
  readonly connections: number;
  /** Closes the live connection (as a network drop would) and refuses new ones until restore(). */
  cut(): Promise<void>;
  restore(): void;
}

/** Installs the route; call it before the page loads (uiSuite's newPage(setup)). */
export async function cuttableWs(page: Page): Promise<WsCut> {
  let blocked = false;
  let live: { page: WebSocketRoute; server: WebSocketRoute } | undefined;
  let connections = 0;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (blocked) return void ws.close({ code: 4000, reason: 'held down by the test' });
    connections++;
    live = { page: ws, server: ws.connectToServer() };
  });
  return {
    get connections() {
      return connections;
    },
    async cut() {
      blocked = true;
      await live?.server.close();
      await live?.page.close({ code: 4000, reason: 'cut by the test' });
    },
    restore() {
      blocked = false;
    },
  };
}
