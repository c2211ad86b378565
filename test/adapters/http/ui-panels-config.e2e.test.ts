import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../../support/spawn-cli.js';
import { uiSuite } from '../../support/ui-page.js';

const EVERYTHING = path.join(ROOT, 'node_modules', '.bin', 'mcp-server-everything');
const PROFILE_SECRET = 'sk-profile-secret-7f3a9c';
const MCP_SECRET = 'mcp-env-secret-51d2e8';

/** Every text the page received over its WebSocket, to prove a secret never reached it. */
function recordFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
  return frames;
}

async function lightAndDark(ui: ReturnType<typeof uiSuite>, name: string): Promise<void> {
  await ui.shot(`${name}-light`);
  await ui.page.emulateMedia({ colorScheme: 'dark' });
  await ui.shot(`${name}-dark`);
  await ui.page.emulateMedia({ colorScheme: 'light' });
}

/**
 * The configuration panels in real Chromium against the real daemon: profiles (edit, make
 * default, delete; a stored key never reaches the page), MCP servers (a pasted mcpServers block
 * with bad JSON and bad fields, then a real server from npm connected to a session, its tools,
 * a crash seen live, disconnect, remove), and rules & grants (an "always" answer given on a
 * prompt card in the chat, listed with its scope, revoked; then the tool asks again).
 */
describe('the browser UI: profiles, MCP servers, rules & grants panels', function () {
  // A config rule (permissions.json) applies to every session; the panel shows it read-only.
  const ui = uiSuite(this, {
    setupHome: (home) => writeFileSync(path.join(home, 'permissions.json'), JSON.stringify({ rules: [{ pattern: 'read_file:private/**', action: 'deny' }] })),
  });

  it('edits a profile keeping its stored key, refuses the key for a new server, makes it default and deletes it; the key never reaches the page', async () => {
    // A second page, watched from its first frame: nothing the daemon sends it holds the key.
    const ctx = await ui.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => ui.problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && ui.problems.push(`console error: ${m.text()}`));
    const frames = recordFrames(page);
    const res = await ui.s.fetch('/profiles', {
      method: 'POST',
      body: JSON.stringify({ name: 'second', provider: 'openai-compatible', model: 'm1', baseUrl: ui.fake.baseUrl, apiKey: PROFILE_SECRET }),
    });
    expect(res.status).to.equal(201);
    await page.goto(ui.s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    await ui.openPanel('profiles', page);
    const row = page.locator('#profiles li[data-profile="second"]');
    await row.waitFor();
    expect(await row.locator('.profile-detail').textContent()).to.equal('openai-compatible · m1 · key [redacted]');
    expect(await row.locator('.profile-url').textContent()).to.equal(ui.fake.baseUrl);

    // Edit: the key field holds only the placeholder; a bad number is refused beside its input.
    await page.click('button[aria-label="Edit profile second"]');
    expect(await page.textContent('#profile-form-title')).to.equal('Edit profile second');
    expect(await page.inputValue('#profile-apiKey')).to.equal('[redacted]');
    expect(await page.isVisible('#profile-apiKey-hint')).to.equal(true);
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('profile-name');
    await page.fill('#profile-model', 'm2');
    await page.click('#profile-more summary');
    await page.fill('#profile-temperature', '7');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('profile-temperature-error')?.textContent !== '');
    expect(await page.textContent('#profile-temperature-error')).to.match(/2/);
    expect(await page.textContent('#profile-model-error')).to.equal('');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('profile-temperature');
    await page.screenshot({ path: path.join(ROOT, 'test-output', 'ui', 'profiles-edit-error.png') });
    await page.fill('#profile-temperature', '0.5');
    await page.click('#profile-create');
    await page.waitForFunction(() => document.querySelector('#profiles li[data-profile="second"] .profile-detail')?.textContent === 'openai-compatible · m2 · key [redacted]');
    const stored = () => (JSON.parse(readFileSync(path.join(ui.s.home, 'profiles.json'), 'utf8')) as { default: string; profiles: any[] });
    const second = stored().profiles.find((p) => p.name === 'second');
    expect(second).to.include({ model: 'm2', temperature: 0.5, apiKey: PROFILE_SECRET, baseUrl: ui.fake.baseUrl });
    expect(await page.textContent('#profile-form-title')).to.equal('New profile');
    // The kept key still works: a real call to the provider with it.
    await row.locator('button', { hasText: 'Test' }).click();
    await page.waitForFunction(() => /^ok · \d+ ms$/.test(document.querySelector('#profiles li[data-profile="second"] .profile-test')?.textContent ?? ''));

    // The placeholder may not carry the key to another server: the daemon says to send it again.
    await page.click('button[aria-label="Edit profile second"]');
    await page.fill('#profile-baseUrl', 'http://127.0.0.1:9/v1');
    await page.click('#profile-create');
    await page.waitForFunction(() => document.getElementById('profile-form-error')?.textContent !== '');
    expect(await page.textContent('#profile-form-error')).to.contain('send the secret again');
    expect(stored().profiles.find((p) => p.name === 'second').baseUrl).to.equal(ui.fake.baseUrl);
    await page.keyboard.press('Escape');
    expect(await page.textContent('#profile-form-title')).to.equal('New profile');
    expect(await page.inputValue('#profile-apiKey')).to.equal('');

    // Make default; delete (confirmed).
    await page.click('button[aria-label="Make default profile second"]');
    await page.waitForFunction(() => document.querySelector('#profiles li[data-profile="second"] .profile-name')?.textContent === 'second (default)');
    expect(await page.textContent('#profiles li[data-profile="fake"] .profile-name')).to.equal('fake');
    expect(stored().default).to.equal('second');
    // Back to fake (the rest of the suite runs on it), then delete the other one.
    await page.click('button[aria-label="Make default profile fake"]');
    await page.waitForFunction(() => document.querySelector('#profiles li[data-profile="fake"] .profile-name')?.textContent === 'fake (default)');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.click('button[aria-label="Delete profile second"]');
    await page.waitForSelector('#profiles li[data-profile="second"]', { state: 'detached' });
    expect(asked[0]).to.contain('Delete profile second?');
    expect(await page.textContent('#profiles li[data-profile="fake"] .profile-name')).to.equal('fake (default)');
    expect(stored().profiles.map((p) => p.name)).to.not.include('second');

    expect(frames.length).to.be.greaterThan(5);
    expect(frames.filter((f) => f.includes(PROFILE_SECRET))).to.deep.equal([]);
    expect(await page.content()).to.not.contain(PROFILE_SECRET);
    await ctx.close();

    await ui.openPanel('profiles');
    await ui.page.click('button[aria-label="Edit profile fake"]');
    await lightAndDark(ui, 'profiles-panel');
    await ui.page.click('#profile-cancel');
  });

  it('adds MCP servers from a pasted block (bad JSON and each bad field said), connects one to the session, lists its tools, follows a crash, disconnects and removes it', async () => {
    await ui.newSession('mcp', ui.workspace);
    await ui.openPanel('mcp');
    const page = ui.page;
    expect(await page.textContent('#mcp-servers-note')).to.contain('No MCP servers');

    // Broken JSON: where it breaks, said, and the caret put there.
    const broken = '{"mcpServers": {\n  "ev": {"command": "x",}\n}}';
    await page.fill('#mcp-json', broken);
    await page.click('#mcp-add');
    await page.waitForFunction(() => document.getElementById('mcp-json-error')?.textContent !== '');
    expect(await page.textContent('#mcp-json-error')).to.match(/^Not valid JSON: .*line 2,? column \d+/);
    expect(await page.getAttribute('#mcp-json', 'aria-invalid')).to.equal('true');
    expect(await page.evaluate(() => (document.getElementById('mcp-json') as HTMLTextAreaElement).selectionStart)).to.equal(broken.indexOf('}'));
    await page.fill('#mcp-json', '[1, 2]');
    await page.click('#mcp-add');
    await page.waitForFunction(() => document.getElementById('mcp-json-error')?.textContent?.includes('not an array'));

    // Valid JSON, bad servers: each field's error from the daemon's declaration, by its place in the block.
    await page.fill(
      '#mcp-json',
      JSON.stringify({
        mcpServers: {
          'bad name!': { command: 'x' },
          typed: { command: 5, args: 'stdio' },
          remote: { url: 'ftp://example.invalid/mcp' },
          empty: {},
        },
      }),
    );
    await page.press('#mcp-json', 'Control+Enter');
    await page.waitForSelector('#mcp-field-errors li');
    const errors = Object.fromEntries(
      await page.$$eval('#mcp-field-errors li', (lis) => lis.map((li) => [li.getAttribute('data-path'), li.textContent])),
    ) as Record<string, string>;
    expect(Object.keys(errors).sort()).to.deep.equal(['mcpServers."bad name!"', 'mcpServers.empty', 'mcpServers.remote.url', 'mcpServers.typed.args', 'mcpServers.typed.command']);
    expect(errors['mcpServers."bad name!"']).to.contain('a server name is');
    expect(errors['mcpServers.typed.command']).to.contain('expected string');
    expect(errors['mcpServers.typed.args']).to.contain('expected array');
    expect(errors['mcpServers.remote.url']).to.contain('http(s) URL');
    expect(errors['mcpServers.empty']).to.contain('needs either "command"');
    expect(Object.keys(JSON.parse(await page.inputValue('#mcp-json')).mcpServers)).to.have.length(4);
    await lightAndDark(ui, 'mcp-errors');

    // A good block with a secret in env: added, shown redacted, gone from the page.
    await page.fill('#mcp-json', JSON.stringify({ mcpServers: { everything: { command: EVERYTHING, args: ['stdio'], env: { EV_TOKEN: MCP_SECRET } } } }, null, 2));
    await page.click('#mcp-add');
    await page.waitForSelector('#mcp-servers li[data-server="everything"]');
    expect(await page.textContent('#mcp-add-note')).to.equal('Added everything.');
    expect(await page.inputValue('#mcp-json')).to.equal('');
    expect(await page.locator('#mcp-field-errors li').count()).to.equal(0);
    expect(await page.textContent('#mcp-servers li[data-server="everything"] .mcp-detail')).to.equal(`stdio · ${EVERYTHING} stdio · EV_TOKEN=[redacted]`);
    expect(await page.content()).to.not.contain(MCP_SECRET);
    expect(JSON.parse(readFileSync(path.join(ui.s.home, 'mcp.json'), 'utf8')).mcpServers.everything.env.EV_TOKEN).to.equal(MCP_SECRET);
    // Adding it again is a conflict, said against that server.
    await page.fill('#mcp-json', JSON.stringify({ mcpServers: { everything: { command: EVERYTHING } } }));
    await page.click('#mcp-add');
    await page.waitForSelector('#mcp-field-errors li[data-path="mcpServers.everything"]');
    expect(await page.textContent('#mcp-field-errors')).to.contain('already');
    await page.fill('#mcp-json', '');

    // Connect it to the open session: its state and tools.
    await page.click('button[aria-label="Connect everything to this session"]');
    const conn = page.locator('#mcp-connections li[data-connection="everything"]');
    await page.waitForSelector('#mcp-connections li[data-connection="everything"][data-status="connected"]', { timeout: 60000 });
    const tools = await conn.locator('li[data-tool]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-tool')));
    expect(tools).to.include('everything__echo');
    expect(await page.isDisabled('button[aria-label="Connect everything to this session"]')).to.equal(true);
    const pidOf = async () => Number(/pid (\d+)/.exec((await conn.locator('.mcp-detail').textContent()) ?? '')?.[1]);
    const pid = await pidOf();
    expect(pid).to.be.greaterThan(0);
    await lightAndDark(ui, 'mcp-connected');

    // The server dies: the page hears it from the daemon (mcp/status) and shows the restart.
    process.kill(pid, 'SIGKILL');
    await page.waitForFunction(
      () => {
        const li = document.querySelector('#mcp-connections li[data-connection="everything"]');
        return li?.getAttribute('data-status') === 'connected' && li.querySelector('.mcp-detail')?.textContent?.includes('1 restart');
      },
      undefined,
      { timeout: 60000 },
    );
    expect(await pidOf()).to.not.equal(pid);
    expect(await conn.locator('li[data-tool="everything__echo"]').count()).to.equal(1);

    // Disconnect: the state says so and the tools are gone; it can be connected again.
    await conn.locator('button', { hasText: 'Disconnect' }).click();
    await page.waitForSelector('#mcp-connections li[data-connection="everything"][data-status="disconnected"]');
    expect(await conn.locator('li[data-tool]').count()).to.equal(0);
    expect(await conn.locator('button', { hasText: 'Reconnect' }).count()).to.equal(1);
    const status = (await (await ui.s.fetch(`/sessions/${(await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!}/mcp`)).json()) as { servers: { status: string }[] };
    expect(status.servers.map((x) => x.status)).to.deep.equal(['disconnected']);

    // Remove (confirmed): gone from the list and from mcp.json.
    page.once('dialog', (d) => void d.accept());
    await page.click('button[aria-label="Remove everything from mcp.json"]');
    await page.waitForSelector('#mcp-servers li[data-server="everything"]', { state: 'detached' });
    expect(JSON.parse(readFileSync(path.join(ui.s.home, 'mcp.json'), 'utf8')).mcpServers).to.deep.equal({});
  });

  it('lists an "allow always" answered on a prompt card with its scope, revokes it, and the tool asks again; edits rules and the mode', async () => {
    const page = ui.page;
    await ui.newSession('grants', ui.workspace);
    await ui.openPanel('rules');
    await page.waitForSelector('#rules-body:not([hidden])');
    expect(await page.textContent('#grants-list')).to.contain('None yet');
    const config = page.locator('#rules-list li[data-source="config"]');
    expect(await config.getAttribute('data-pattern')).to.equal('read_file:private/**');
    expect(await config.locator('button').count()).to.equal(0);
    expect(await config.textContent()).to.contain('permissions.json');
    const run = async (expectPrompt: boolean) => {
      ui.fake.enqueue({ type: 'tools', calls: [{ name: 'shell', args: { command: 'echo granted' } }] }, { type: 'text', chunks: ['ran'] });
      await ui.prompt('run echo');
      if (expectPrompt) await page.waitForSelector('.permission button[data-option-id="allow_always"]');
      else await ui.turnEnded('end_turn');
    };

    // Answered "always" in the chat: the open panel shows the grant, with its scope.
    await run(true);
    await page.click('.permission button[data-option-id="allow_always"]');
    await ui.turnEnded('end_turn');
    const grant = page.locator('#grants-list li[data-grant-id]');
    await grant.waitFor();
    expect(await grant.getAttribute('data-scope')).to.equal('session');
    expect(await grant.locator('.grant-what').textContent()).to.equal('shell: echo granted');
    expect(await grant.locator('.rule-action').textContent()).to.equal('always allow');
    expect(await grant.locator('.grant-scope').textContent()).to.match(/^for this session · since /);
    await lightAndDark(ui, 'rules-grant');

    // The grant answers the same call: no prompt.
    await run(false);
    expect(await page.locator('.permission').count()).to.equal(0);

    // Revoked: gone from the panel and the daemon, and the same call asks again.
    await grant.locator('button', { hasText: 'Revoke' }).click();
    await page.waitForSelector('#grants-list li[data-grant-id]', { state: 'detached' });
    const sessionId = (await page.getAttribute('#sessions button[aria-current="true"]', 'data-session-id'))!;
    const left = await page.evaluate(
      async (sid) => (await (await fetch(`/sessions/${sid}/permissions`, { headers: { authorization: `Bearer ${sessionStorage.getItem('switchboard.token')}` } })).json()) as { pending: unknown[] },
      sessionId,
    );
    expect(left.pending).to.deep.equal([]);
    await run(true);
    await page.click('.permission button[data-option-id="reject_once"]');
    await ui.turnEnded('end_turn');

    // Rules: an empty pattern is refused beside its input; a good one is listed and removed.
    await page.click('#rule-add');
    await page.waitForFunction(() => document.getElementById('rule-pattern-error')?.textContent !== '');
    expect(await page.textContent('#rule-pattern-error')).to.match(/^pattern: /);
    await page.fill('#rule-pattern', 'shell:ls *');
    await page.selectOption('#rule-action', 'deny');
    await page.press('#rule-pattern', 'Enter');
    await page.waitForSelector('#rules-list li[data-pattern="shell:ls *"][data-action="deny"]');
    expect(await page.inputValue('#rule-pattern')).to.equal('');
    expect(await page.textContent('#rule-pattern-error')).to.equal('');

    // The mode, switched here, is the session's (the chat's mode switch follows).
    await page.selectOption('#rules-mode', 'accept-edits');
    await page.waitForFunction(() => (document.getElementById('mode') as HTMLSelectElement).value === 'accept-edits');
    // The explanation is redrawn when the daemon's answer comes back: waited for, not raced.
    await page.waitForFunction(() => document.getElementById('rules-mode-about')?.textContent?.includes('Edits inside the workspace run'));
    await lightAndDark(ui, 'rules-panel');
    await page.click('button[aria-label="Remove rule deny shell:ls *"]');
    await page.waitForSelector('#rules-list li[data-pattern="shell:ls *"]', { state: 'detached' });
  });

  it('labels every control of the three panels, and reaches the panels from the keyboard', async () => {
    const page = ui.page;
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#profiles-panel, #mcp-panel, #rules-panel')).flatMap((panel) =>
        Array.from(panel.querySelectorAll('input, select, textarea, button'))
          .filter((el) => {
            const c = el as HTMLInputElement;
            const named = (c.labels?.length ?? 0) > 0 || c.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent?.trim());
            return !named;
          })
          .map((el) => `${panel.id}: ${el.outerHTML.slice(0, 80)}`),
      ),
    );
    expect(unlabelled).to.deep.equal([]);
    // Tabs: arrow keys move between the panels (WAI-ARIA tabs), each opening its view.
    await ui.openPanel('profiles');
    await page.focus('#tab-profiles');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('#mcp-panel:not([hidden])');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('#rules-panel:not([hidden])');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('tab-rules');
  });
});
