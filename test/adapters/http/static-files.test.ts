import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveStatic } from '../../../src/adapters/http/static-files.js';

/** GET of a path from a real server that serves only `serveStatic` (404 for everything else). */
async function withStaticServer(dir: string, run: (get: (p: string) => Promise<{ status: number; body: string }>) => Promise<void>) {
  const server = http.createServer((req, res) => {
    if (!serveStatic(dir, new URL(req.url ?? '/', 'http://x').pathname, res, false)) res.writeHead(404).end('not served');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await run(async (p) => {
      const res = await fetch(base + p);
      return { status: res.status, body: await res.text() };
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('static files: only regular files inside the static folder', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sb-static-'));
    dir = path.join(root, 'static');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<h1>page</h1>');
    writeFileSync(path.join(dir, 'sub', 'a.js'), 'ok()');
    writeFileSync(path.join(root, 'secret.txt'), 'outside the static folder');
    symlinkSync('/etc', path.join(dir, 'etcdir'));
    symlinkSync(path.join(root, 'secret.txt'), path.join(dir, 'leak.txt'));
    symlinkSync(path.join(dir, 'sub', 'a.js'), path.join(dir, 'inside.js'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('serves the page and its files, and a link that stays inside', async () => {
    await withStaticServer(dir, async (get) => {
      expect(await get('/')).to.deep.equal({ status: 200, body: '<h1>page</h1>' });
      expect((await get('/sub/a.js')).body).to.equal('ok()');
      expect((await get('/inside.js')).body).to.equal('ok()');
    });
  });

  it('never follows a symlink out of the folder, nor serves a folder, nor climbs with ../', async () => {
    await withStaticServer(dir, async (get) => {
      for (const p of ['/etcdir/passwd', '/etcdir/hostname', '/leak.txt', '/sub', '/..%2Fsecret.txt', '/%2e%2e/secret.txt', '/sub/%00']) {
        const res = await get(p);
        expect(res.status, p).to.equal(404);
        expect(res.body, p).to.equal('not served');
      }
    });
  });
});
