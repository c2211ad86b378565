import { expect } from 'chai';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { uiSuite } from '../../support/ui-page.js';
import { cuttableWs, type WsCut } from '../../support/ws-cut.js';

/**
 * The logs panel in real Chromium against `switchboard serve`: the daemon's own log (pino lines
 * written as it works) and a plain-text file it tails from config.json, live, filtered by level
 * and file (asked of the daemon), narrowed by search, errors highlighted, lines only ever text,
 * at most 1000 rows in the page, and a pause that holds new lines until resumed.
 */
describe('the browser UI: the logs panel', function () {
  const ui = uiSuite(this, {
    setupHome: (home) => writeFileSync(path.join(home, 'config.json'), JSON.stringify({ logs: { files: ['agent.log'] } })),
  });
  const agentLog = () => path.join(ui.s.home, 'agent.log');
  const rows = (sel = '') => `#logs-lines .log-line${sel}`;
  const visibleTexts = () => ui.page.$$eval(rows(':not([hidden])'), (els) => els.map((e) => e.textContent ?? ''));

  async function shots(name: string): Promise<void> {
    await ui.shot(name);
    await ui.page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot(`${name}-dark`);
    await ui.page.emulateMedia({ colorScheme: 'light' });
  }

  it("shows the daemon's own log live, filters by level and file, searches, and highlights a real error", async () => {
    const { page } = ui;
    await ui.openPanel('logs');
    // What the daemon logged before the panel opened (info and above by default).
    await page.waitForSelector(rows('[data-level="info"]'));
    const files = await page.$$eval('#logs-file option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(files).to.deep.equal(['', 'switchboard', 'agent.log']);

    // Live, at debug: a request that fails (404) is logged by the daemon as it happens.
    await page.selectOption('#logs-level', 'debug');
    await page.waitForSelector(rows('[data-level="debug"]'));
    const probe = `/no-such-route-${Date.now()}`;
    expect((await ui.s.fetch(probe)).status).to.equal(404);
    const live = await page.waitForSelector(`${rows()}:has-text("${probe}")`);
    expect(await live.getAttribute('data-level')).to.equal('debug');
    expect(await live.textContent()).to.contain('status=404');

    // A real error in the daemon: a broken permissions.json, read when the status is asked for.
    writeFileSync(path.join(ui.s.home, 'permissions.json'), '{ not json');
    expect((await ui.s.fetch('/status')).status).to.equal(200);
    const error = await page.waitForSelector(`${rows('[data-error="true"]')}:has-text("permissions.json is invalid")`);
    expect(await error.getAttribute('data-level')).to.equal('error');
    const tint = (sel: string) => page.$eval(sel, (e) => getComputedStyle(e).backgroundColor);
    expect(await tint(rows('[data-error="true"]'))).not.to.equal(await tint(rows('[data-level="debug"]')));

    // A tailed plain-text file: levels from its words; HTML in it and the token stay text / out.
    appendFileSync(
      agentLog(),
      [
        'INFO worker started',
        'WARN disk almost full',
        `ERROR upload failed: boom (Authorization: Bearer ${ui.s.token})`,
        'INFO <img src=x onerror=alert(1)><b>bold</b> markup',
        '',
      ].join('\n'),
    );
    await page.waitForSelector(`${rows()}:has-text("markup")`);
    expect(await page.$$('#logs-lines img, #logs-lines b')).to.have.length(0);
    expect(await page.textContent(`${rows()}:has-text("markup")`)).to.contain('<img src=x onerror=alert(1)><b>bold</b>');
    expect(await page.getAttribute(`${rows()}:has-text("boom")`, 'data-error')).to.equal('true');
    expect(await page.content()).not.to.contain(ui.s.token);
    await shots('logs');

    // warn and above: the daemon is asked again, and every lower line is gone.
    await page.selectOption('#logs-level', 'warn');
    await page.waitForFunction(() => {
      const levels = Array.from(document.querySelectorAll<HTMLElement>('#logs-lines .log-line')).map((e) => e.dataset.level);
      return levels.length > 0 && levels.every((l) => l === 'warn' || l === 'error' || l === 'fatal');
    });
    const atWarn = await visibleTexts();
    expect(atWarn.some((t) => t.includes('disk almost full'))).to.equal(true);
    expect(atWarn.some((t) => t.includes('permissions.json is invalid'))).to.equal(true);
    expect(atWarn.some((t) => t.includes('worker started') || t.includes(probe))).to.equal(false);

    // The search narrows as you type, and widens again when cleared.
    await page.fill('#logs-search', 'BOOM');
    await page.waitForFunction(() => document.querySelectorAll('#logs-lines .log-line:not([hidden])').length === 1);
    expect((await visibleTexts())[0]).to.contain('upload failed: boom');
    expect(await page.textContent('#logs-note')).to.match(/^1 of \d+ lines match/);
    await shots('logs-search');
    await page.fill('#logs-search', '');
    await page.waitForFunction(() => document.querySelectorAll('#logs-lines .log-line:not([hidden])').length > 1);

    // One file: only its lines.
    await page.selectOption('#logs-file', 'agent.log');
    await page.waitForFunction(() => !document.querySelector('#logs-lines')?.textContent?.includes('permissions.json'));
    expect((await visibleTexts()).some((t) => t.includes('disk almost full'))).to.equal(true);
  });

  it('holds new lines while paused, and keeps at most 1000 rows in the page', async () => {
    const { page } = ui;
    await page.selectOption('#logs-file', 'agent.log');
    await page.selectOption('#logs-level', 'info');
    await page.waitForSelector(`${rows()}:has-text("worker started")`);
    await page.click('#logs-pause');
    expect(await page.getAttribute('#logs-pause', 'aria-pressed')).to.equal('true');
    appendFileSync(agentLog(), Array.from({ length: 30 }, (_, i) => `INFO held line ${i}`).join('\n') + '\n');
    await page.waitForFunction(() => /paused: 30 new/.test(document.getElementById('logs-note')?.textContent ?? ''));
    expect(await page.$$(`${rows()}:has-text("held line")`)).to.have.length(0);
    await page.click('#logs-pause');
    await page.waitForSelector(`${rows()}:has-text("held line 29")`);
    expect(await page.$$(`${rows()}:has-text("held line")`)).to.have.length(30);

    appendFileSync(agentLog(), Array.from({ length: 1500 }, (_, i) => `INFO bulk line ${i}`).join('\n') + '\n');
    await page.waitForSelector(`${rows()}:has-text("bulk line 1499")`, { timeout: 60000 });
    const count = await page.$$eval('#logs-lines > *', (els) => els.length);
    expect(count).to.be.at.most(1000);
    expect(await page.$$(`${rows()}:has-text("worker started")`)).to.have.length(0);
    expect(await page.textContent('#logs-note')).to.contain('the last 1000 kept');
    // The newest line is in view.
    expect(await page.$eval('#logs-lines', (e) => e.scrollHeight - e.scrollTop - e.clientHeight)).to.be.below(40);
  });

  it('after a dropped connection, shows the lines it missed once, and goes on live', async () => {
    let cut!: WsCut;
    const page = await ui.newPage(async (p) => void (cut = await cuttableWs(p)));
    await ui.openPanel('logs', page);
    await page.selectOption('#logs-file', 'agent.log');
    // Rows of one file have no file column: the view of agent.log alone is up.
    await page.waitForSelector(`${rows()}:has-text("bulk line 1499"):not(:has(.log-file))`);
    // A row the page already shows is kept as it is (resumed, not reloaded).
    await page.$eval(`${rows()}:has-text("bulk line 1499")`, (e) => e.setAttribute('data-test-mark', 'before'));
    await cut.cut();
    await page.waitForSelector('body[data-state="disconnected"]');
    appendFileSync(agentLog(), ['INFO away one', 'INFO away two', ''].join('\n'));
    cut.restore();
    await page.waitForSelector(`${rows()}:has-text("away two")`, { timeout: 30000 });
    appendFileSync(agentLog(), 'INFO back live\n');
    await page.waitForSelector(`${rows()}:has-text("back live")`);
    expect(await page.getAttribute(`${rows()}:has-text("bulk line 1499")`, 'data-test-mark')).to.equal('before');
    for (const text of ['bulk line 1499', 'away one', 'away two', 'back live']) expect(await page.$$(`${rows()}:has-text("${text}")`), text).to.have.length(1);
    expect(cut.connections).to.equal(2);
    await page.context().close();
  });
});
