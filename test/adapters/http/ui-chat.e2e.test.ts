import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { FakeProvider } from '../../support/fake-openai-server.js';
import type { Served } from '../../support/spawn-serve.js';
import { SHOTS, uiSuite } from '../../support/ui-page.js';

/**
 * The bundled page (ui/ → static/app.js) in headless Chromium against the real daemon and the
 * fake provider: markdown while streaming (sanitized), tool cards with diffs, approvals, cancel,
 * the mode switch and session actions, with no console error and no request off the daemon
 * (test/support/ui-page.ts checks both after every test).
 */
describe('the browser UI: markdown chat, tool cards, cancel, mode and session actions', function () {
  const ui = uiSuite(this);
  let s: Served;
  let fake: FakeProvider;
  let workspace: string;
  let page: Page;
  before(() => ({ s, fake, workspace, page } = ui));

  const newSession = (title: string, cwd?: string) => ui.newSession(title, cwd);
  const prompt = (text: string) => ui.prompt(text);
  const turnEnded = (reason: string) => ui.turnEnded(reason);

  it('creates a session with no workspace in the daemon’s default folder', async () => {
    const id = await newSession('default workspace');
    const info = (await (await s.fetch(`/sessions/${id}`)).json()) as { cwd: string; title: string };
    expect(info.cwd).to.equal(path.join(s.home, 'workspaces', id));
    expect(info.title).to.equal('default workspace');
    expect(await page.textContent('#sessions button[aria-current="true"] .session-cwd')).to.equal(info.cwd);
    expect(await page.textContent('#sessions button[aria-current="true"] .session-state')).to.equal('idle');
  });

  it('streams a markdown reply with highlighted code and a table, sanitized, with thinking and usage', async () => {
    await newSession('markdown', workspace);
    const reply = [
      '# Result\n\nHere is **bold** and `inline`.\n\n```ts\nconst ',
      'answer: number = 42;\n// a comment\n```\n\n| name | value |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n',
      '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2"> [link](javascript:window.__pwned=3) ![chart](/x.png)\n',
    ];
    fake.enqueue({ type: 'text', thinking: ['Let me ', 'think.'], chunks: reply, usage: { input: 120, output: 34 } });
    await prompt('show me markdown');
    await turnEnded('end_turn');
    const log = page.locator('#log');
    expect(await log.locator('h1').textContent()).to.equal('Result');
    expect(await log.locator('strong').textContent()).to.equal('bold');
    const code = log.locator('pre.code code.hljs.language-ts');
    expect(await code.textContent()).to.equal('const answer: number = 42;\n// a comment');
    expect(await code.locator('.hljs-keyword').first().textContent()).to.equal('const');
    expect(await code.locator('.hljs-comment').textContent()).to.equal('// a comment');
    expect(await log.locator('table td').allTextContents()).to.deep.equal(['a', '1', 'b', '2']);
    // Sanitized: no script, no handler, no javascript: link, and none of them ran.
    expect(await log.locator('script').count()).to.equal(0);
    expect(await log.locator('[onerror]').count()).to.equal(0);
    expect(await log.locator('a[href^="javascript"]').count()).to.equal(0);
    expect(await page.evaluate(() => (window as any).__pwned)).to.equal(undefined);
    // Raw HTML from the model is shown as text; an image becomes a link, fetched from nowhere.
    expect(await log.locator('.msg.agent').textContent()).to.contain('<script>window.__pwned = 1</script>');
    expect(await log.locator('img').count()).to.equal(0);
    // Thinking is collapsed behind a summary; usage is shown.
    expect(await log.locator('details.thought').getAttribute('open')).to.equal(null);
    expect((await log.locator('details.thought .thought-body').textContent())?.trim()).to.equal('Let me think.');
    expect(await page.textContent('#usage')).to.match(/^154 .*in 120, out 34/);
    expect(await page.getAttribute('#log', 'aria-live')).to.equal('polite');
    await page.screenshot({ path: path.join(SHOTS, 'chat-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(SHOTS, 'chat-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('asks before an edit, shows the prompt card, and the tool card with its diff once approved', async () => {
    const id = await newSession('edit', workspace);
    writeFileSync(path.join(workspace, 'notes.txt'), 'one\ntwo\nthree\n');
    fake.enqueue(
      { type: 'tools', calls: [{ name: 'write_file', args: { path: 'notes.txt', content: 'one\nTWO\nthree\nfour\n' } }] },
      { type: 'text', chunks: ['Edited.'] },
    );
    await prompt('edit notes.txt');
    await page.waitForSelector('.permission button[data-option-id="allow_always"]');
    await page.waitForFunction(() => document.querySelector('#sessions button[aria-current="true"] .session-state')?.textContent === 'waiting for approval');
    expect(await page.textContent('.permission .permission-title')).to.contain('notes.txt');
    await page.screenshot({ path: path.join(SHOTS, 'permission.png') });
    await page.click('.permission button[data-option-id="allow_once"]');
    await turnEnded('end_turn');
    const card = page.locator('#log .msg.tool');
    expect(await card.getAttribute('data-status')).to.equal('completed');
    expect(await card.locator('.tool-head').textContent()).to.match(/^⚙ .*notes\.txt — completed$/);
    expect(await card.locator('.diff-del').allTextContents()).to.deep.equal(['- two\n']);
    expect(await card.locator('.diff-add').allTextContents()).to.deep.equal(['+ TWO\n', '+ four\n']);
    expect(readFileSync(path.join(workspace, 'notes.txt'), 'utf8')).to.equal('one\nTWO\nthree\nfour\n');
    await page.screenshot({ path: path.join(SHOTS, 'tool-diff.png') });
    // Bypass mode, switched in the page, lets the next write run without a prompt.
    await page.selectOption('#mode', 'bypass');
    await page.waitForFunction(async (sid) => (await (await fetch(`/sessions/${sid}`, { headers: { authorization: `Bearer ${sessionStorage.getItem('switchboard.token')}` } })).json()).mode === 'bypass', id);
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'bypass.txt', content: 'no prompt' } }] }, { type: 'text', chunks: ['ok'] });
    await prompt('write bypass.txt');
    await turnEnded('end_turn');
    expect(await page.locator('.permission').count()).to.equal(0);
    expect(readFileSync(path.join(workspace, 'bypass.txt'), 'utf8')).to.equal('no prompt');
  });

  it('cancels a running turn with the Cancel button', async () => {
    await newSession('cancel', workspace);
    fake.enqueue({ type: 'hang', chunks: ['Starting a long '] });
    await prompt('take forever');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Starting a long'));
    expect(await page.isEnabled('#cancel')).to.equal(true);
    await page.click('#cancel');
    await turnEnded('cancelled');
    await fake.waitForAbort();
    expect(await page.isEnabled('#send')).to.equal(true);
  });

  it('forks, filters and deletes sessions', async () => {
    const id = await newSession('to fork', workspace);
    fake.enqueue({ type: 'text', chunks: ['Original reply.'] });
    await prompt('hello');
    await turnEnded('end_turn');
    await page.click('#fork');
    await page.waitForFunction(() => document.querySelector('#sessions button[aria-current="true"] .session-title')?.textContent === 'to fork (fork)');
    const forkId = (await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!;
    expect(forkId).to.not.equal(id);
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Original reply.'));
    await page.fill('#filter', 'to fork');
    await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 2);
    await page.screenshot({ path: path.join(SHOTS, 'sessions.png') });
    page.once('dialog', (d) => void d.accept());
    await page.click('#delete');
    await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1);
    expect((await s.fetch(`/sessions/${forkId}`)).status).to.equal(404);
    expect(await page.textContent('#session-title')).to.equal('No session selected.');
    await page.fill('#filter', '');
  });

  it('lists profiles with secrets redacted, tests one, and shows each bad field’s error on create', async () => {
    await page.click('#tab-profiles');
    await page.waitForSelector('#profiles li[data-profile="fake"]');
    const row = page.locator('#profiles li[data-profile="fake"]');
    expect(await row.locator('.profile-name').textContent()).to.equal('fake (default)');
    expect(await row.locator('.profile-detail').textContent()).to.equal('openai-compatible · fake-model · key [redacted]');
    expect(await page.textContent('#profiles-panel')).to.not.contain('sk-x');
    await row.locator('button', { hasText: 'Test' }).click();
    await page.waitForFunction(() => /^ok · \d+ ms$/.test(document.querySelector('#profiles li[data-profile="fake"] .profile-test')?.textContent ?? ''));
    await page.fill('#profile-name', 'bad name!');
    await page.fill('#profile-model', 'm');
    await page.fill('#profile-baseUrl', 'not a url');
    await page.click('#profile-create');
    await page.waitForFunction(() => document.getElementById('profile-name-error')?.textContent !== '');
    expect(await page.textContent('#profile-name-error')).to.contain('a profile name is');
    expect(await page.textContent('#profile-baseUrl-error')).to.not.equal('');
    expect(await page.textContent('#profile-model-error')).to.equal('');
    await page.screenshot({ path: path.join(SHOTS, 'profiles-errors.png') });
    await page.fill('#profile-name', 'second');
    await page.fill('#profile-baseUrl', fake.baseUrl);
    await page.fill('#profile-apiKey', 'sk-second-secret');
    await page.click('#profile-create');
    await page.waitForSelector('#profiles li[data-profile="second"]');
    expect(await page.textContent('#profiles li[data-profile="second"] .profile-detail')).to.equal('openai-compatible · m · key [redacted]');
    expect(await page.textContent('#profiles-panel')).to.not.contain('sk-second-secret');
    expect(await page.inputValue('#profile-apiKey')).to.equal('');
    await page.screenshot({ path: path.join(SHOTS, 'profiles.png') });
  });
});
