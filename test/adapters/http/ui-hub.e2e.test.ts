import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startStdioAgent, type StdioAgent } from '../../support/hub-clients.js';
import { uiSuite } from '../../support/ui-page.js';
import { cuttableWs, type WsCut } from '../../support/ws-cut.js';

/**
 * The hub panel in real Chromium against `switchboard serve`, with a real `switchboard stdio`
 * agent (an editor's, which is asked about its tools but never answers) sharing the daemon's
 * home: the page lists it live, follows its turn as it streams, and approves its prompt.
 */
describe('the browser UI: the hub panel follows a stdio agent and answers its prompts', function () {
  const ui = uiSuite(this);
  let agent: StdioAgent;
  let agentId: string;
  let sessionId: string;

  after(async () => {
    await agent?.cli.kill('SIGKILL');
  });

  const session = (page: Page = ui.page) => `.hub-agent[data-agent-id="${agentId}"] .hub-session[data-session-id="${sessionId}"]`;
  const followState = (text: string, page: Page = ui.page) =>
    page.waitForFunction((t) => document.getElementById('hub-follow-state')?.textContent === t, text);

  async function shots(name: string): Promise<void> {
    await ui.shot(name);
    await ui.page.emulateMedia({ colorScheme: 'dark' });
    await ui.shot(`${name}-dark`);
    await ui.page.emulateMedia({ colorScheme: 'light' });
  }

  it('lists the stdio agent as it joins, follows its streamed turn and approves its tool call from the page', async () => {
    const { page } = ui;
    await ui.openPanel('hub');
    await page.waitForSelector('.hub-agent[data-self="true"]');
    agent = await startStdioAgent(ui.s.home);
    const pid = agent.cli.child.pid!;
    // It appears through the hub/event feed (no reload): found by its pid.
    const handle = await page.waitForFunction(
      (p) => Array.from(document.querySelectorAll<HTMLElement>('.hub-agent')).find((a) => a.querySelector('.hub-agent-name')?.textContent === `stdio · pid ${p}`)?.dataset.agentId,
      pid,
    );
    agentId = (await handle.jsonValue()) as string;
    expect(agentId).to.match(/^stdio-/);

    ({ sessionId } = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: ui.workspace, mcpServers: [] }));
    await page.waitForSelector(`${session()}[data-state="idle"]`);

    // Follow it from the keyboard.
    await page.focus(`${session()} .hub-follow-button`);
    await page.keyboard.press('Enter');
    await followState('idle');
    expect(await page.getAttribute(`${session()} .hub-follow-button`, 'aria-pressed')).to.equal('true');

    ui.fake.enqueue(
      { type: 'tools', calls: [{ id: 'sh1', name: 'shell', args: { command: 'echo approved > out.txt' } }] },
      { type: 'text', chunks: ['Ran **the** ', 'command: all done'] },
    );
    const turn = agent.rpc.sendRequest<{ stopReason: string }>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'write out.txt' }] });

    // The prompt shows in the page as a card with the whole command; the list says who waits.
    const card = await page.waitForSelector('#hub-follow-prompts .permission');
    expect(await card.textContent()).to.contain('echo approved > out.txt');
    await page.waitForSelector(`${session()}[data-state="waiting"]`);
    expect(await page.textContent(`${session()} .hub-session-pending`)).to.contain('echo approved');
    expect(await page.textContent('#hub-follow-state')).to.match(/^waiting for approval: /);
    await agent.asked.until(() => true, 'the editor was asked too');
    expect(existsSync(path.join(ui.workspace, 'out.txt'))).to.equal(false);
    await shots('hub-prompt');

    await page.click('#hub-follow-prompts .permission button[data-option-id="allow_once"]');
    expect(await turn).to.deep.equal({ stopReason: 'end_turn' });
    expect(readFileSync(path.join(ui.workspace, 'out.txt'), 'utf8')).to.equal('approved\n');
    // The editor's own prompt was withdrawn: the page's answer won.
    await agent.cancelled.until(() => true, 'the editor prompt withdrawn');

    // The followed view streamed the turn: the tool card completed, the reply rendered as markdown.
    await followState('turn ended: end_turn');
    await page.waitForSelector('#hub-follow-log .msg.tool[data-status="completed"]');
    await page.waitForFunction(() => document.querySelector('#hub-follow-log .msg.agent')?.textContent?.trim() === 'Ran the command: all done');
    expect(await page.textContent('#hub-follow-log .msg.agent strong')).to.equal('the');
    expect(await page.textContent('#hub-follow-log')).to.contain('allowed once');
    expect(await page.$$('#hub-follow-prompts .permission')).to.have.length(0);
    await page.waitForSelector(`${session()}[data-state="idle"]`);
    expect(await page.getAttribute('#hub-follow-log', 'aria-live')).to.equal('polite');
    expect(await page.content()).not.to.contain(ui.s.token);
    await shots('hub-followed');
  });

  it('follows a turn that already waits (replayed), rejects from the page, and closes a prompt answered elsewhere', async () => {
    const { page } = ui;
    await page.click('#hub-unfollow');
    await page.waitForSelector('#hub-follow', { state: 'hidden' });

    ui.fake.enqueue(
      { type: 'tools', calls: [{ id: 'sh2', name: 'shell', args: { command: 'echo second > two.txt' } }] },
      { type: 'text', chunks: ['left it alone'] },
    );
    const turn = agent.rpc.sendRequest<{ stopReason: string }>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'again' }] });
    await page.waitForSelector(`${session()}[data-state="waiting"]`);
    // Followed only now: the replay brings the earlier turn and the prompt still waiting.
    await page.click(`${session()} .hub-follow-button`);
    const card = await page.waitForSelector('#hub-follow-prompts .permission');
    expect(await card.textContent()).to.contain('echo second > two.txt');
    expect(await page.textContent('#hub-follow-log')).to.contain('Ran the command: all done');
    await page.click('#hub-follow-prompts .permission button[data-option-id="reject_once"]');
    expect(await turn).to.deep.equal({ stopReason: 'end_turn' });
    expect(existsSync(path.join(ui.workspace, 'two.txt'))).to.equal(false);
    await followState('turn ended: end_turn');
    expect(await page.textContent('#hub-follow-log')).to.contain('rejected');

    // A prompt the editor answers itself closes in the page.
    ui.fake.enqueue({ type: 'tools', calls: [{ id: 'sh3', name: 'shell', args: { command: 'echo third > three.txt' } }] }, { type: 'text', chunks: ['third'] });
    const third = agent.rpc.sendRequest<{ stopReason: string }>('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'third' }] });
    await page.waitForSelector('#hub-follow-prompts .permission');
    const pending: any = await agent.rpc.sendRequest('permissions/get', { sessionId });
    await agent.rpc.sendRequest('permissions/respond', { sessionId, requestId: pending.pending[0].requestId, optionId: 'allow_once' });
    await page.waitForSelector('#hub-follow-prompts .permission', { state: 'detached' });
    expect(await third).to.deep.equal({ stopReason: 'end_turn' });
    expect(readFileSync(path.join(ui.workspace, 'three.txt'), 'utf8')).to.equal('third\n');
    await followState('turn ended: end_turn');
  });

  it('after a dropped connection, follows on from the last event shown: nothing lost, nothing twice', async () => {
    let cut!: WsCut;
    const page = await ui.newPage(async (p) => void (cut = await cuttableWs(p)));
    await ui.openPanel('hub', page);
    await page.click(`${session(page)} .hub-follow-button`);
    await page.waitForFunction(() => document.getElementById('hub-follow-log')?.textContent?.includes('Ran the command: all done'));
    await cut.cut();
    await page.waitForSelector('body[data-state="disconnected"]');
    // A turn the page does not see while it is away.
    ui.fake.enqueue({ type: 'text', chunks: ['Missed ', 'while away.'] });
    expect(await agent.rpc.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'while away' }] })).to.deep.equal({ stopReason: 'end_turn' });
    cut.restore();
    await page.waitForFunction(() => document.getElementById('hub-follow-log')?.textContent?.includes('Missed while away.'), undefined, { timeout: 30000 });
    ui.fake.enqueue({ type: 'text', chunks: ['Live ', 'again.'] });
    expect(await agent.rpc.sendRequest('session/prompt', { sessionId, prompt: [{ type: 'text', text: 'back' }] })).to.deep.equal({ stopReason: 'end_turn' });
    await page.waitForFunction(() => document.getElementById('hub-follow-log')?.textContent?.includes('Live again.'));
    const log = (await page.textContent('#hub-follow-log'))!;
    for (const text of ['Ran the command: all done', 'Missed while away.', 'Live again.']) expect(log.split(text).length - 1, text).to.equal(1);
    expect(cut.connections).to.equal(2);
    await page.context().close();
  });

  it('says so when the followed agent exits, and drops it from the list', async () => {
    const { page } = ui;
    // A title with markup in it is shown as text.
    const hostile = '<img src=x onerror=alert(1)><b>title</b>';
    const other = await agent.rpc.sendRequest<{ sessionId: string }>('session/new', { cwd: ui.workspace, mcpServers: [], title: hostile });
    const row = await page.waitForSelector(`.hub-session[data-session-id="${other.sessionId}"]`);
    expect(await row.$eval('.hub-session-title', (e) => e.textContent)).to.equal(hostile);
    expect(await page.$$('#hub-agents img, #hub-agents b')).to.have.length(0);
    agent.cli.child.stdin.end();
    await agent.cli.exited;
    await page.waitForSelector(`.hub-agent[data-agent-id="${agentId}"]`, { state: 'detached' });
    await followState('the agent left (exit)');
    expect(await page.$$('.hub-agent')).to.have.length(1);
  });
});
