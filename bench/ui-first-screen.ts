/**
 * Issue 16 benchmark: how soon the browser UI is interactive. Headless Chromium loads the page
 * from a warm `switchboard serve` until it is connected and has listed its sessions
 * (body[data-state="connected"], which also means app.js ran and /ws answered initialize), beside
 * the same browser loading a one-line page from a bare Node HTTP server (the browser's own floor).
 * Median of N fresh pages each. Asserts nothing.
 *
 *   npm run build && node dist/bench/ui-first-screen.js [pages=15]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '../test/support/browser.js';
import { spawnServe } from '../test/support/spawn-serve.js';
import { fmt, median } from './support/measure.js';

const pages = Number(process.argv[2] ?? 15);
const browser = await launchChromium();
if (!browser) {
  console.log('no Chromium (apt-get install -y chromium)');
  process.exit(0);
}

/**
 * Two clocks per page: the wall time of the driver (goto → the selector seen, which includes
 * Playwright's own round trips and the browser's page setup), and the page's own clock: from its
 * navigation start to when the UI marked its first screen usable (the floor page: its load end).
 */
async function timeLoads(url: string, ready: string): Promise<{ wall: number[]; page: number[] }> {
  const times: number[] = [];
  const inPage: number[] = [];
  for (let i = 0; i < pages + 2; i++) {
    const page = await browser!.newPage();
    const t0 = performance.now();
    await page.goto(url);
    await page.waitForSelector(ready);
    const ms = performance.now() - t0;
    const own = await page.evaluate(() => {
      const mark = performance.getEntriesByName('switchboard:first-screen')[0];
      return mark ? mark.startTime : (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd;
    });
    await page.close();
    if (i >= 2) {
      // the first two warm the browser and the daemon's file cache
      times.push(ms);
      inPage.push(own);
    }
  }
  return { wall: times, page: inPage };
}

const bare = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><body data-state="connected">hi</body>'));
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
const s = await spawnServe();
try {
  const floor = await timeLoads(bareUrl, 'body[data-state="connected"]');
  const ui = await timeLoads(s.pageUrl, 'body[data-state="connected"]');
  console.log(`first screen, median of ${pages} pages:     driver wall (goto → seen)   page clock (navigation start → usable)`);
  console.log(`  bare Node page (browser floor):           ${fmt(median(floor.wall), 1).padStart(8)} ms   ${fmt(median(floor.page), 1).padStart(8)} ms`);
  console.log(`  switchboard UI (bundle, /ws initialize, session/list): ${fmt(median(ui.wall), 1).padStart(8)} ms   ${fmt(median(ui.page), 1).padStart(8)} ms   goal < 300 ms`);
} finally {
  await browser.close();
  await s.stop();
  bare.close();
}
