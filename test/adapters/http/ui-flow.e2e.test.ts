import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { uiSuite } from '../../support/ui-page.js';

const loaded = (page: Page) => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
const state = (page: Page, id: string) => page.textContent(`#sessions button[data-session-id="${id}"] .session-state`);

/**
 * The full flow of issue 16 in real Chromium against the real daemon and the fake provider:
 * a session made through the picker (profile, mode, system prompt), a streamed markdown reply with
 * code and a mermaid diagram (drawn once its block closes, sanitized, mermaid loaded only then),
 * a tool call with a diff approved from its card, cancel, the mode switch, rename, live states of
 * turns run by another client, and the keyboard. The fixture fails a test on any console error
 * or request off the daemon.
 */
describe('the browser UI: the whole flow, keyboard and live states', function () {
  const ui = uiSuite(this);
  let sessionId: string;

  it('creates a session through the picker: profile, mode, system prompt, a recent workspace; bad paths are refused beside the field', async () => {
    const { page } = ui;
    await ui.shot('first-screen-light');
    // mermaid is not part of the first screen.
    expect((await loaded(page)).filter((u) => /mermaid/i.test(u))).to.deep.equal([]);
    await page.fill('#cwd', 'relative/path');
    await page.click('#new-session-button');
    await page.waitForFunction(() => document.getElementById('cwd-error')?.textContent !== '');
    expect(await page.textContent('#cwd-error')).to.contain('must be an absolute path');
    await page.fill('#cwd', path.join(ui.workspace, 'no-such-folder'));
    await page.click('#new-session-button');
    await page.waitForFunction(() => /not an existing directory/.test(document.getElementById('cwd-error')?.textContent ?? ''));
    expect(await page.locator('#sessions li').count(), 'nothing was created').to.equal(0);
    // Typing clears the error; a real folder, with options.
    await page.fill('#cwd', ui.workspace);
    expect(await page.textContent('#cwd-error')).to.equal('');
    await page.fill('#new-title', 'the flow');
    await page.click('#new-options summary');
    await page.waitForSelector('#new-profile option[value="fake"]', { state: 'attached' });
    await page.selectOption('#new-profile', 'fake');
    await page.selectOption('#new-mode', 'accept-edits');
    await page.fill('#new-system-prompt', 'Answer briefly.');
    await ui.shot('new-session-light');
    await page.click('#new-session-button');
    await page.waitForFunction(() => document.querySelector('#sessions button[aria-current="true"] .session-title')?.textContent === 'the flow');
    sessionId = (await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!;
    const info = (await (await ui.s.fetch(`/sessions/${sessionId}`)).json()) as { cwd: string; profile: string; mode: string; systemPrompt: string };
    expect(info).to.include({ cwd: ui.workspace, profile: 'fake', mode: 'accept-edits', systemPrompt: 'Answer briefly.' });
    expect(await page.inputValue('#mode')).to.equal('accept-edits');
    // Its workspace is now offered as a recent one.
    expect(await page.locator('#recent-workspaces option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).to.deep.equal([ui.workspace]);
    await page.selectOption('#mode', 'ask');
    await page.waitForFunction(async (sid) => (await (await fetch(`/sessions/${sid}`, { headers: { authorization: `Bearer ${sessionStorage.getItem('switchboard.token')}` } })).json()).mode === 'ask', sessionId);
  });

  it('streams markdown with code and a mermaid diagram, drawn once its block has closed; a broken or hostile one never breaks the page', async () => {
    const { page, fake } = ui;
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    fake.enqueue({
      type: 'text',
      pauseAfter: 2,
      until,
      chunks: [
        '## Plan\n\n```ts\nconst steps: string[] = [];\n```\n\n',
        '```mermaid\ngraph TD\n  A[Start] --> B{Ready?}\n',
        '  B -->|yes| C[Ship]\n  B -->|no| A\n```\n\n',
        'A broken one:\n\n```mermaid\ngraph TD\n  A -->\n```\n\n',
        'A hostile one:\n\n```mermaid\ngraph LR\n  X["<img src=x onerror=window.__pwned=1>"] --> Y\n  click X call alert(1)\n```\n',
      ],
    });
    await ui.prompt('plan it');
    // Mid-stream the diagram's block is open: its source shows, no drawing, mermaid not loaded.
    await page.waitForFunction(() => document.querySelector('#log .diagram code')?.textContent?.includes('B{Ready?}'));
    expect(await page.getAttribute('#log .diagram', 'data-closed')).to.equal('false');
    expect(await page.locator('#log .diagram svg').count()).to.equal(0);
    expect((await loaded(page)).filter((u) => /mermaid/i.test(u))).to.deep.equal([]);
    release();
    await ui.turnEnded('end_turn');
    await page.waitForFunction(() => document.querySelectorAll('#log .diagram[data-state="drawn"]').length === 2 && document.querySelector('#log .diagram[data-state="error"]'));
    const [first, broken, hostile] = await page.locator('#log .diagram').all();
    expect(await first!.locator('svg text, svg tspan').allTextContents()).to.include.members(['Start', 'Ship']);
    expect(await first!.locator('details.diagram-code code').textContent(), 'the source stays at hand').to.contain('A[Start] --> B{Ready?}');
    // The broken diagram shows its source and the error, and the rest of the reply is there.
    expect(await broken!.locator('.diagram-error').textContent()).to.match(/^This diagram could not be drawn: .*(Parse|error)/is);
    expect(await broken!.locator('code').textContent()).to.contain('A -->');
    expect(await page.textContent('#log')).to.contain('A hostile one:');
    // Sanitized: nothing executable in any drawing, and nothing ran.
    expect(await hostile!.locator('img, script, foreignObject, [onerror], [onclick]').count()).to.equal(0);
    expect(await page.evaluate(() => (window as any).__pwned)).to.equal(undefined);
    expect(await page.locator('#log pre.code code.language-ts .hljs-keyword').first().textContent()).to.equal('const');
    // Loaded from the daemon only, and only now.
    expect((await loaded(page)).some((u) => /\/mermaid\.js$/.test(u))).to.equal(true);
    await ui.shot('chat-mermaid-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    // Drawn again in the dark scheme's colours.
    await page.waitForFunction(() => document.querySelectorAll('#log .diagram[data-state="drawn"][data-theme="dark"]').length === 2);
    await ui.shot('chat-mermaid-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('approves an edit from its card (always, for the workspace), shows the diff, and switches mode', async () => {
    const { page, fake } = ui;
    writeFileSync(path.join(ui.workspace, 'plan.md'), 'one\ntwo\n');
    fake.enqueue({ type: 'tools', calls: [{ name: 'write_file', args: { path: 'plan.md', content: 'one\nTWO\nthree\n' } }] }, { type: 'text', chunks: ['Edited.'] });
    await ui.prompt('edit plan.md');
    await page.waitForSelector('.permission button[data-option-id="allow_always"]');
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'waiting for approval', sessionId);
    expect(await page.textContent('.permission .permission-title')).to.contain('plan.md');
    await ui.shot('permission-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot('permission-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.selectOption('.permission .permission-scope', 'workspace');
    await page.click('.permission button[data-option-id="allow_always"]');
    await ui.turnEnded('end_turn');
    expect(await page.locator('.permission').count()).to.equal(0);
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'idle', sessionId);
    expect(readFileSync(path.join(ui.workspace, 'plan.md'), 'utf8')).to.equal('one\nTWO\nthree\n');
    const card = page.locator('#log .msg.tool');
    expect(await card.getAttribute('data-status')).to.equal('completed');
    expect(await card.locator('.diff-del').allTextContents()).to.deep.equal(['- two\n']);
    // permissions/grants has no REST route: asked over a WebSocket of the page's own.
    const listed = await page.evaluate(() => new Promise((resolve) => {
      const ws = new WebSocket(`ws://${location.host}/ws`, ['switchboard.jsonrpc', `bearer.${sessionStorage.getItem('switchboard.token')}`]);
      ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'permissions/grants', params: {} }));
      ws.onmessage = (e) => {
        resolve(JSON.parse(String(e.data)).result);
        ws.close();
      };
    }));
    expect((listed as { grants: { scope: string; tool: string }[] }).grants.map((g) => `${g.scope}:${g.tool}`)).to.include('workspace:write_file');
    await ui.shot('tool-diff-light');
    await page.selectOption('#mode', 'read-only');
    await page.waitForFunction(async (sid) => (await (await fetch(`/sessions/${sid}`, { headers: { authorization: `Bearer ${sessionStorage.getItem('switchboard.token')}` } })).json()).mode === 'read-only', sessionId);
    await page.selectOption('#mode', 'ask');
  });

  it('renames the session (the daemon’s error for a blank title beside the field), from the keyboard', async () => {
    const { page, s } = ui;
    await page.click('#rename');
    await page.fill('#rename-input', '   ');
    await page.press('#rename-input', 'Enter');
    await page.waitForFunction(() => document.getElementById('rename-error')?.textContent !== '');
    expect(await page.textContent('#rename-error')).to.contain('at least one character');
    await page.fill('#rename-input', 'renamed flow');
    await ui.shot('rename-light');
    await page.press('#rename-input', 'Enter');
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-title`)?.textContent === 'renamed flow', sessionId);
    expect(await page.isHidden('#rename-form')).to.equal(true);
    expect(await page.textContent('#session-title')).to.match(/^renamed flow · /);
    expect(((await (await s.fetch(`/sessions/${sessionId}`)).json()) as { title: string }).title).to.equal('renamed flow');
    // Escape in the rename box closes it and leaves everything as it was.
    await page.click('#rename');
    await page.fill('#rename-input', 'not this');
    await page.press('#rename-input', 'Escape');
    expect(await page.isHidden('#rename-form')).to.equal(true);
    expect(((await (await s.fetch(`/sessions/${sessionId}`)).json()) as { title: string }).title).to.equal('renamed flow');
  });

  it('shows turns run by another client live: running, waiting for approval, idle; and cancels one with Escape', async () => {
    const { page, fake, s } = ui;
    // Another session, started over REST, never opened in the page.
    const other = ((await (await s.fetch('/sessions', { method: 'POST', body: JSON.stringify({ title: 'elsewhere', workspace: ui.workspace }) })).json()) as { sessionId: string }).sessionId;
    await page.waitForSelector(`#sessions button[data-session-id="${other}"]`);
    let release!: () => void;
    fake.enqueue({ type: 'text', chunks: ['slow ', 'reply'], pauseAfter: 1, until: new Promise<void>((r) => (release = r)) });
    const turn = s.fetch(`/sessions/${other}/message`, { method: 'POST', body: JSON.stringify({ message: 'from curl' }) }).then((r) => r.text());
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'running', other);
    expect(await state(page, sessionId)).to.equal('idle');
    await ui.shot('sessions-live-light');
    release();
    expect(await turn).to.contain('event: done');
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'idle', other);
    // A prompt asked of nobody in the page (the turn is curl's): the list says so.
    fake.enqueue({ type: 'tools', calls: [{ name: 'shell', args: { command: 'echo hi' } }] }, { type: 'text', chunks: ['ok'] });
    const asking = s.fetch(`/sessions/${other}/message`, { method: 'POST', body: JSON.stringify({ message: 'run echo' }) }).then((r) => r.text());
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'waiting for approval', other);
    // Opening it shows the pending approval as a card; answering it there lets the turn go on.
    await page.click(`#sessions button[data-session-id="${other}"]`);
    await page.waitForSelector('.permission button[data-option-id="reject_once"]');
    await page.click('.permission button[data-option-id="reject_once"]');
    expect(await asking).to.contain('event: done');
    await page.waitForFunction((sid) => document.querySelector(`#sessions button[data-session-id="${sid}"] .session-state`)?.textContent === 'idle', other);
    expect(await page.locator('.permission').count()).to.equal(0);
    // A turn the page started, cancelled from the keyboard.
    fake.enqueue({ type: 'hang', chunks: ['Thinking for a long '] });
    await ui.prompt('take forever');
    await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('Thinking for a long'));
    await page.keyboard.press('Escape');
    await ui.turnEnded('cancelled');
    await fake.waitForAbort();
  });

  it('is usable from the keyboard alone: create, prompt, panel tabs', async () => {
    const { page, fake } = ui;
    await page.focus('#new-title');
    await page.keyboard.type('keyboard only');
    // Tab to the workspace field, clear it (a new folder), then Enter submits the form.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('cwd');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#sessions button[aria-current="true"] .session-title')?.textContent === 'keyboard only');
    fake.enqueue({ type: 'text', chunks: ['typed ', 'reply'] });
    await page.focus('#prompt');
    await page.keyboard.type('hello');
    await page.keyboard.press('Control+Enter');
    await ui.turnEnded('end_turn');
    expect(await page.textContent('#log')).to.contain('typed reply');
    await page.focus('#tab-profiles');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#profiles-panel:not([hidden])');
    await page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot('first-screen-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
