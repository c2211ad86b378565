import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { chromiumOrSkip } from './browser.js';
import { startFakeOpenAI, type FakeProvider } from './fake-openai-server.js';
import { ROOT } from './spawn-cli.js';
import { spawnServe, type Served } from './spawn-serve.js';

/** Screenshots of each main screen, for a person to look at (gitignored). */
export const SHOTS = path.join(ROOT, 'test-output', 'ui');

export interface UiOptions {
  /** Extra `switchboard serve` arguments, environment and home setup. */
  serveArgs?: string[];
  env?: Record<string, string | undefined>;
  setupHome?: (home: string) => void;
  /** Extra Chromium flags (e.g. a fake microphone). */
  chromiumArgs?: string[];
  /** Browser context options (e.g. permissions: ['microphone']). */
  context?: BrowserContextOptions;
  /** Register the fake provider as the default profile `fake` (default true). */
  fakeProfile?: boolean;
}

/**
 * One suite's browser fixture: the real daemon (`switchboard serve`) with the fake provider as its
 * default profile, headless Chromium with the page open and connected, and a record of every
 * console error, page error and request that went anywhere but the daemon. Use it as
 * `const ui = uiSuite(this)` inside a `describe(function () {...})`; every test afterwards
 * fails if the page logged an error or left the daemon.
 */
export interface UiSuite {
  s: Served;
  fake: FakeProvider;
  page: Page;
  browser: Browser;
  /** A fresh workspace folder outside the daemon's home (removed after the suite). */
  workspace: string;
  /** Problems seen so far (asserted empty after each test; splice it if a test expects one). */
  problems: string[];
  /** Opens another page on the same daemon, with the same problem recording; `setup` runs before it loads (e.g. routeWebSocket). */
  newPage(setup?: (page: Page) => Promise<void>): Promise<Page>;
  /** Saves a screenshot under test-output/ui/<name>.png (and returns its path). */
  shot(name: string, page?: Page): Promise<string>;
  /** Creates a session through the page's form and waits until it is the open one; returns its id. */
  newSession(title: string, cwd?: string, page?: Page): Promise<string>;
  /** Types a prompt and sends it with Ctrl+Enter. */
  prompt(text: string, page?: Page): Promise<void>;
  /** Waits for the turn-state line to say the turn ended with this stop reason. */
  turnEnded(reason: string, page?: Page): Promise<void>;
  /** Opens a side panel's tab (`#tab-<id>`) and waits for its view. */
  openPanel(id: string, page?: Page): Promise<void>;
}

export function uiSuite(suite: Mocha.Suite, opts: UiOptions = {}): UiSuite {
  const ui = { problems: [] as string[] } as UiSuite;
  suite.timeout(90000);

  function record(page: Page): Page {
    page.on('pageerror', (e) => ui.problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') ui.problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
    // Nothing but the daemon: no CDN, no fonts, no telemetry.
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.host !== `127.0.0.1:${ui.s.port}`) ui.problems.push(`request off the daemon: ${r.url()}`);
    });
    return page;
  }

  suite.beforeAll(async function () {
    ui.browser = await chromiumOrSkip(this, opts.chromiumArgs ?? []);
    mkdirSync(SHOTS, { recursive: true });
    ui.fake = await startFakeOpenAI();
    ui.workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-ui-'));
    ui.s = await spawnServe(opts.serveArgs ?? [], opts.env ?? {}, opts.setupHome);
    if (opts.fakeProfile !== false) {
      const res = await ui.s.fetch('/profiles', {
        method: 'POST',
        body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: ui.fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
      });
      expect(res.status, await res.clone().text()).to.be.lessThan(300);
    }
    ui.page = await ui.newPage();
  });
  suite.afterAll(async () => {
    await ui.browser?.close();
    if (ui.s) await ui.s.stop();
    await ui.fake?.close();
    if (ui.workspace) rmSync(ui.workspace, { recursive: true, force: true });
  });
  suite.afterEach(() => {
    const seen = ui.problems.splice(0);
    expect(seen).to.deep.equal([]);
  });

  ui.newPage = async (setup) => {
    const ctx = await ui.browser.newContext({ viewport: { width: 1280, height: 800 }, ...opts.context });
    const page = record(await ctx.newPage());
    await setup?.(page);
    await page.goto(ui.s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    return page;
  };
  ui.shot = async (name, page = ui.page) => {
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  ui.newSession = async (title, cwd, page = ui.page) => {
    await page.fill('#new-title', title);
    await page.fill('#cwd', cwd ?? '');
    await page.click('#new-session-button');
    await page.waitForFunction((t) => document.querySelector('#sessions button[aria-current="true"] .session-title')?.textContent === t, title);
    return (await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!;
  };
  ui.prompt = async (text, page = ui.page) => {
    await page.fill('#prompt', text);
    await page.press('#prompt', 'Control+Enter');
  };
  ui.turnEnded = async (reason, page = ui.page) => {
    await page.waitForFunction((r) => document.getElementById('turn-state')?.textContent === `turn ended: ${r}`, reason);
  };
  ui.openPanel = async (id, page = ui.page) => {
    if ((await page.getAttribute(`#tab-${id}`, 'aria-selected')) !== 'true') await page.click(`#tab-${id}`);
    await page.waitForSelector(`#${id}-panel:not([hidden])`);
  };
  return ui;
}
