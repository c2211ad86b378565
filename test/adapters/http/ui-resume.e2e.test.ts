import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromiumOrSkip } from '../../support/browser.js';
import { startFakeOpenAI, type FakeProvider } from '../../support/fake-openai-server.js';
import { ROOT } from '../../support/spawn-cli.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';
import { cuttableWs } from '../../support/ws-cut.js';

/**
 * The page's two review bugs, in headless Chromium against the real daemon: a permission
 * prompt the server withdraws (answered elsewhere) closes in the page, and a page whose
 * WebSocket drops reloads its open session and shows what it missed, from its last seq, once.
 */
describe('the browser UI: withdrawn prompts and resuming after a reconnect', function () {
  this.timeout(60000);
  let s: Served;
  let fake: FakeProvider;
  let workspace: string;
  let browser: Browser | undefined;
  before(async function () {
    browser = await chromiumOrSkip(this);
    fake = await startFakeOpenAI();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sb-ui-resume-'));
    s = await spawnServe();
    await s.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'fake', provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.baseUrl, apiKey: 'sk-x', makeDefault: true }),
    });
  });
  after(async () => {
    await browser?.close();
    if (s) await s.stop();
    await fake?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  async function sessionIdOfPage(): Promise<string> {
    const list = (await (await s.fetch('/sessions')).json()) as { sessions: { sessionId: string; updatedAt: string }[] };
    return list.sessions.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))[0]!.sessionId;
  }

  it('closes a permission prompt that another client answered', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    await page.fill('#cwd', workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    const sessionId = await sessionIdOfPage();
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'elsewhere.txt', content: 'x' } }] }, { type: 'text', chunks: ['Done.'] });
    await page.fill('#prompt', 'write elsewhere.txt');
    await page.click('#send');
    await page.waitForSelector('.permission button[data-option-id="allow_once"]');
    // Answered over REST: the server withdraws the page's request ($/cancelRequest, $/cancel_request).
    const answered = await s.fetch(`/sessions/${sessionId}/permission`, { method: 'POST', body: JSON.stringify({ optionId: 'allow_once' }) });
    expect(answered.status).to.equal(200);
    await page.waitForFunction(() => document.querySelectorAll('.permission').length === 0);
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn');
    expect(await page.textContent('#log')).to.contain('Done.');
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('after a dropped connection, reloads the open session and shows what it missed once', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // The page's /ws goes through a route the test can cut and hold down.
    const ws = await cuttableWs(page);
    await page.goto(s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    await page.fill('#cwd', workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    const sessionId = await sessionIdOfPage();
    fake.enqueue({ type: 'text', chunks: ['Before ', 'the drop.'] });
    await page.fill('#prompt', 'first');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn');

    await ws.cut();
    await page.waitForSelector('body[data-state="disconnected"]');
    // A turn the page does not see: another client prompts while it is away.
    fake.enqueue({ type: 'text', chunks: ['Missed ', 'while away.'] });
    const turn = await s.fetch(`/sessions/${sessionId}/message`, { method: 'POST', body: JSON.stringify({ message: 'second' }) });
    expect(await turn.text()).to.contain('event: done');
    ws.restore();

    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Missed while away.'), undefined, { timeout: 30000 });
    const log = (await page.textContent('#log'))!;
    expect(log.split('Before the drop.').length - 1).to.equal(1, 'history is not shown twice');
    expect(log.split('Missed while away.').length - 1).to.equal(1);
    expect(ws.connections).to.equal(2);
    // And it is live again on the new connection.
    fake.enqueue({ type: 'text', chunks: ['Live ', 'again.'] });
    await page.fill('#prompt', 'third');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Live again.'));
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('dropped mid-turn: says so plainly, then resumes the stream by seq, the reply complete and not doubled', async () => {
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    const ws = await cuttableWs(page);
    await page.goto(s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    await page.fill('#cwd', workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    const sessionId = (await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!;
    // A slow reply: two chunks, then (while the page is away) the rest.
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    const chunks = ['Alpha ', 'beta ', 'gamma ', 'delta ', 'epsilon.'];
    fake.enqueue({ type: 'text', chunks, pauseAfter: 2, until });
    await page.fill('#prompt', 'stream slowly');
    await page.click('#send');
    await page.waitForFunction(() => document.querySelector('#log .msg.agent')?.textContent?.trim() === 'Alpha beta');

    await ws.cut();
    await page.waitForSelector('body[data-state="disconnected"]');
    // Offline, plainly: a banner, the prompt disabled, the list marked stale.
    expect(await page.isVisible('#offline-banner')).to.equal(true);
    expect(await page.textContent('#offline-banner')).to.match(/^Offline: .*Reconnecting/);
    expect(await page.isDisabled('#prompt')).to.equal(true);
    expect(await page.isDisabled('#send')).to.equal(true);
    expect(await page.isVisible('#sessions-stale')).to.equal(true);
    expect(await page.getAttribute('#sessions-panel', 'class')).to.contain('stale');
    // Voice could only fail while offline: Dictate and Read aloud wait for the page to be back.
    expect(await page.isDisabled('#mic')).to.equal(true);
    expect(await page.isDisabled('#read-aloud')).to.equal(true);
    // Not a failed turn: nothing was said in the conversation about the drop.
    expect(await page.locator('#log .msg.error').count()).to.equal(0);
    await page.screenshot({ path: path.join(ROOT, 'test-output', 'ui', 'offline-light.png') });

    // The turn runs on without the page and ends while it is away.
    release();
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && ((await (await s.fetch(`/sessions/${sessionId}`)).json()) as { turnActive: boolean }).turnActive) await new Promise((r) => setTimeout(r, 50));
    ws.restore();

    await page.waitForSelector('body[data-state="connected"]', { timeout: 30000 });
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn', undefined, { timeout: 20000 });
    const agent = await page.locator('#log .msg.agent').allTextContents();
    expect(agent.map((t) => t.trim()), 'one reply, whole, in one message').to.deep.equal(['Alpha beta gamma delta epsilon.']);
    expect(await page.isVisible('#offline-banner')).to.equal(false);
    expect(await page.isEnabled('#prompt')).to.equal(true);
    expect(await page.isEnabled('#mic')).to.equal(true);
    expect(await page.isEnabled('#read-aloud')).to.equal(true);
    expect(await page.isVisible('#sessions-stale')).to.equal(false);
    expect(await page.textContent('#sessions button[aria-current="true"] .session-state')).to.equal('idle');
    // The history the daemon kept says the same.
    const history = (await (await s.fetch(`/sessions/${sessionId}/history`)).json()) as { messages: { role: string; text?: string }[] };
    expect(history.messages.filter((m) => m.role === 'assistant').map((m) => m.text)).to.deep.equal(['Alpha beta gamma delta epsilon.']);
    expect(problems.filter((p) => !/WebSocket/.test(p))).to.deep.equal([]);
    await page.close();
  });
});
