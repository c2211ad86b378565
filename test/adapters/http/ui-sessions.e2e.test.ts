import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { uiSuite } from '../../support/ui-page.js';

/** Sessions in the page, each test on a page of its own (ui.newPage); errors fail the test (ui-page.ts). */
describe('the browser UI with real sessions in headless Chromium', function () {
  const ui = uiSuite(this);

  it('creates a session and streams a prompt', async () => {
    const page = await ui.newPage();
    await page.fill('#cwd', ui.workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    ui.fake.enqueue({ type: 'text', chunks: ['Streamed ', 'to the ', 'page.'] });
    await page.fill('#prompt', 'say something');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn');
    const log = await page.textContent('#log');
    expect(log).to.contain('say something');
    expect(log).to.contain('Streamed to the page.');
    // A reload lists the session, and selecting it replays its history (session/load).
    await page.reload();
    await page.waitForSelector('body[data-state="connected"]');
    await page.click('#sessions button');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Streamed to the page.'));
    await page.close();
  });

  it('creates a session, streams a prompt, and answers a permission request', async () => {
    const page = await ui.newPage();
    await page.fill('#cwd', ui.workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    ui.fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'from-ui.txt', content: 'hello from the page' } }] }, { type: 'text', chunks: ['All ', 'done.'] });
    await page.fill('#prompt', 'write from-ui.txt');
    await page.click('#send');
    await page.waitForSelector('.permission button[data-option-id="allow_once"]');
    await page.click('.permission button[data-option-id="allow_once"]');
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn');
    const log = await page.textContent('#log');
    expect(log).to.contain('write from-ui.txt');
    expect(log).to.contain('All done.');
    expect(log).to.match(/⚙ [^—]*from-ui\.txt — completed/);
    expect(readFileSync(path.join(ui.workspace, 'from-ui.txt'), 'utf8')).to.equal('hello from the page');
    await page.close();
  });

  it('shows the whole shell command in an approval, a tail hidden behind spaces included', async () => {
    const page = await ui.newPage();
    await page.fill('#cwd', ui.workspace);
    await page.click('#new-session-button');
    await page.waitForSelector('#sessions button[aria-current="true"]');
    const command = `npm test${' '.repeat(75)}; echo pwned > pwned.txt`;
    ui.fake.enqueue({ type: 'tools', calls: [{ name: 'shell', args: { command } }] }, { type: 'text', chunks: ['ok'] });
    await page.fill('#prompt', 'run the tests');
    await page.click('#send');
    await page.waitForSelector('.permission .permission-detail');
    expect(await page.textContent('.permission span')).to.equal('Allow Run `npm test ; echo pwned > pwned.txt`?');
    expect(await page.textContent('.permission .permission-detail')).to.equal(command);
    await page.click('.permission button[data-option-id="reject_once"]');
    await page.waitForFunction(() => document.getElementById('turn-state')?.textContent === 'turn ended: end_turn');
    expect(existsSync(path.join(ui.workspace, 'pwned.txt')), 'rejected, yet it ran').to.equal(false);
    await page.close();
  });
});
