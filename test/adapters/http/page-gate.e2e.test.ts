import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chromiumOrSkip } from '../../support/browser.js';
import { spawnServe, type Served } from '../../support/spawn-serve.js';

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('the page gate link and the service worker', function () {
  this.timeout(60_000);
  let s: Served;
  before(async () => {
    s = await spawnServe(['--log-level', 'debug']);
  });
  after(async () => {
    await s?.stop();
  });

  it('GET /?key=<token> redirects once to /#token=…, and the key never reaches the log', async () => {
    const printed = count(s.cli.stderr(), s.token);
    const res = await fetch(`${s.url}/?key=${encodeURIComponent(s.token)}`, { redirect: 'manual' });
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal(`/#token=${encodeURIComponent(s.token)}`);
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(res.headers.get('cache-control')).to.equal('no-store');
    // Followed, it lands on the page (the fragment never goes to the server): no second redirect.
    const followed = await fetch(`${s.url}/?key=${encodeURIComponent(s.token)}`);
    expect(followed.status).to.equal(200);
    expect(followed.redirected).to.equal(true);
    expect(await followed.text()).to.contain('<title>Switchboard</title>');
    const wrong = await fetch(`${s.url}/?key=not-the-token`, { redirect: 'manual' });
    expect(wrong.status).to.equal(401);
    // The daemon logged the requests (debug) without the key.
    await s.fetch('/health');
    expect(s.cli.stderr()).to.contain('http request');
    expect(count(s.cli.stderr(), s.token)).to.equal(printed);
    expect(s.cli.stderr()).not.to.contain('not-the-token');
  });

  it('GET /sw.js is served as JavaScript without the token', async () => {
    const res = await fetch(`${s.url}/sw.js`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/javascript');
    expect(await res.text()).to.contain("addEventListener('fetch'");
  });

  describe('in headless Chromium', () => {
    let browser: Browser | undefined;
    before(async function () {
      browser = await chromiumOrSkip(this);
    });
    after(async () => {
      await browser?.close();
    });

    it('the worker caches the UI shell, never an API answer, and the page starts from it offline', async () => {
      const context = await browser!.newContext();
      const page = await context.newPage();
      await page.goto(s.pageUrl);
      await page.waitForSelector('body[data-state="connected"]');
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
      // API calls from the page, with the token, while the worker controls it.
      await page.reload();
      await page.waitForSelector('body[data-state]');
      await page.evaluate(async (token) => {
        await fetch('/status', { headers: { authorization: `Bearer ${token}` } });
        await fetch('/sessions', { headers: { authorization: `Bearer ${token}` } });
      }, s.token);
      const cached = await page.evaluate(async () => {
        const out: string[] = [];
        for (const name of await caches.keys()) {
          for (const req of await (await caches.open(name)).keys()) out.push(new URL(req.url).pathname);
        }
        return out.sort();
      });
      expect(cached).to.include.members(['/', '/app.js', '/app.css']);
      expect(cached.every((p) => ['/', '/index.html', '/app.js', '/app.css', '/favicon.svg'].includes(p)), cached.join(' ')).to.equal(true);
      // Offline: the shell still starts (the page shows, then fails to reach the daemon).
      await context.setOffline(true);
      await page.reload();
      expect(await page.title()).to.equal('Switchboard');
      expect(await page.isVisible('header h1')).to.equal(true);
      await context.close();
    });
  });
});
