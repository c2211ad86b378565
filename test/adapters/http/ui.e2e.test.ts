import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chromiumOrSkip } from '../../support/browser.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

describe('the browser UI (static/) in headless Chromium', function () {
  this.timeout(30000);
  let s: Served;
  let browser: Browser | undefined;
  before(async function () {
    browser = await chromiumOrSkip(this);
    s = await spawnServe();
  });
  after(async () => {
    await browser?.close();
    if (s) await s.stop();
  });

  it('reads the token from #token=, removes it from the address bar, connects to /ws and initializes', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(s.pageUrl);
    await page.waitForSelector('body[data-state="connected"]');
    expect(await page.textContent('#status')).to.match(/^connected · switchboard \d/);
    expect(new URL(page.url()).hash).to.equal('');
    // The daemon counts the page as a WebSocket client.
    const st = (await (await s.fetch('/status')).json()) as { http: { ws: { connected: number } } };
    expect(st.http.ws.connected).to.equal(1);
    expect(errors).to.deep.equal([]);
    await page.close();
  });

  it('without a token asks for one instead of connecting', async () => {
    const page = await browser!.newPage();
    await page.goto(s.url + '/');
    await page.waitForSelector('body[data-state="no-token"]');
    expect(await page.isVisible('#token-form')).to.equal(true);
    await page.fill('#token-input', s.token);
    await page.click('#token-form button');
    await page.waitForSelector('body[data-state="connected"]');
    await page.close();
  });
});
