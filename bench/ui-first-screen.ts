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

async function timeLoads(url: string, ready: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < pages + 2; i++) {
    const page = await browser!.newPage();
    const t0 = performance.now();
    await page.goto(url);
    await page.waitForSelector(ready);
    const ms = performance.now() - t0;
    await page.close();
    if (i >= 2) times.push(ms); // the first two warm the browser and the daemon's file cache
  }
  return times;
}

const bare = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><body data-state="connected">hi</body>'));
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
const s = await spawnServe();
try {
  const floor = median(await timeLoads(bareUrl, 'body[data-state="connected"]'));
  const ui = median(await timeLoads(s.pageUrl, 'body[data-state="connected"]'));
  console.log(`first screen, median of ${pages} pages (goto → connected):`);
  console.log(`  bare Node page (browser floor): ${fmt(floor, 1)} ms`);
  console.log(`  switchboard UI (bundle + /ws initialize + session/list): ${fmt(ui, 1)} ms`);
} finally {
  await browser.close();
  await s.stop();
  bare.close();
}
